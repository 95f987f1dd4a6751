import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { runHarness } from './harness/run.ts'

// Concurrent clients issuing, claiming, redeeming (with and without Idempotency-Key, and racing), reversing,
// voiding, earning and burning member points (and racing burns), racing gifts (accept, cancel, return, redeem) against two server processes on one
// database; then every checker over the history and the final database. KABAO_LONG=1 runs it for a minute
// instead of a few seconds.
const SECONDS = process.env.KABAO_LONG === '1' ? 60 : 4

for (const engine of ENGINES) {
  describe(`reliability: two server processes on one ${engine} database`, await engineOptions(engine), () => {
    it('keeps every promise under concurrent clients', async () => {
      const report = await runHarness({ engine, servers: 2, clients: 12, seconds: SECONDS })
      for (const op of ['issue ok', 'redeem ok', 'burn ok', 'race-burn ok', 'gift-send ok']) assert.ok((report.summary[op] ?? 0) > 0, `no ${op}: ${JSON.stringify(report.summary)}`)
      assert.deepEqual(report.violations, Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])), JSON.stringify(report.summary))
    })
  })
}
