import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { runHarness } from './harness/run.ts'

// The same clients while a killer SIGKILLs one of the two server processes at random moments and starts it
// again: answers lost with a process are unknown, and every checker must still pass. KABAO_LONG=1 runs it
// for two minutes instead of a few seconds.
const SECONDS = process.env.KABAO_LONG === '1' ? 120 : 6

for (const engine of ENGINES) {
  describe(`reliability: server processes killed at random on ${engine}`, await engineOptions(engine), () => {
    it('keeps every promise while processes die mid-request', async () => {
      const report = await runHarness({ engine, servers: 2, clients: 12, seconds: SECONDS, killer: { minMs: 300, maxMs: 1500 } })
      assert.ok(report.kills > 0, 'no process was killed')
      for (const op of ['redeem ok', 'burn ok']) assert.ok((report.summary[op] ?? 0) > 0, `no ${op}: ${JSON.stringify(report.summary)}`)
      assert.deepEqual(report.violations, Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])), JSON.stringify({ kills: report.kills, ...report.summary }))
    })
  })
}
