import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.ts'
import { formatSummary, progressBar, progressLine } from '../../src/cli/issue-command.ts'

const KABAO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kabao')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `bin/kabao …args` on the test database, as an operator would, and collects what it prints. */
function kabao(databaseUrl: string, args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, KABAO_SECRET_KEY: TEST_SECRET_KEY, KABAO_JOBS: 'false', LOG_LEVEL: 'warn' }
  // The child is a program under test, not part of this test run.
  delete env.NODE_TEST_CONTEXT
  const child = spawn(KABAO, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

for (const engine of ENGINES) {
  describe(`kabao issue on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let key: string
    let dir: string

    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      key = (await t.merchant()).apiKey
      dir = await mkdtemp(path.join(tmpdir(), 'kabao-issue-'))
    })
    after(async () => {
      await t.close()
      await rm(dir, { recursive: true, force: true })
    })

    async function newCard(overrides: Record<string, unknown>): Promise<string> {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard(overrides) })
      assert.equal(card.status, 201, card.text)
      return card.body.id
    }

    async function usersFile(name: string, text: string): Promise<string> {
      const file = path.join(dir, name)
      await writeFile(file, text)
      return file
    }

    async function couponsOf(cardId: string) {
      return t.ctx.database.db.selectFrom('coupons').select(['user_id', 'source', 'source_ref']).where('card_id', '=', cardId).orderBy('id').execute()
    }

    it('issues to every user of a CSV file, prints a summary and exits 0', async () => {
      const cardId = await newCard({ stock: 10 })
      const file = await usersFile('all.csv', 'user_id,name\r\nu1,Li\r\nu2,Han\r\n\r\nu3,Jim\r\n')
      const run = await kabao(t.db.url, ['issue', '--card', cardId, '--users', file])
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, new RegExp(`card ${cardId}: 3 rows, 3 issued, 0 failed; stock remaining 7`))
      // Not a terminal: plain progress lines instead of a bar.
      assert.match(run.stderr, /kabao issue: 100% 3/)
      assert.doesNotMatch(run.stderr, /\r/)
      const coupons = await couponsOf(cardId)
      assert.deepEqual(coupons.map((c) => c.user_id), ['u1', 'u2', 'u3'])
      assert.ok(coupons.every((c) => c.source === 'bulk' && /^bulk:cli-[\w-]+:[123]$/.test(c.source_ref ?? '')), JSON.stringify(coupons))
    })

    it('exits 1 when some rows fail, and --json prints the report the API gives', async () => {
      const cardId = await newCard({ stock: 3, get_limit: 1 })
      const file = await usersFile('some-fail.ndjson', '"a"\n"b"\n{"user_id":"a"}\n"c"\n"d"\n')
      const run = await kabao(t.db.url, ['issue', '--card', cardId, '--users', file, '--json'])
      assert.equal(run.code, 1, run.stderr)
      const report = JSON.parse(run.stdout)
      assert.deepEqual(Object.keys(report).sort(), ['already_issued', 'card_id', 'failed', 'failure_counts', 'failures', 'failures_truncated', 'issued', 'stock_remaining', 'total_rows'])
      assert.equal(report.card_id, cardId)
      assert.deepEqual([report.total_rows, report.issued, report.failed, report.stock_remaining], [5, 3, 2, 0])
      assert.deepEqual(report.failures.map((f: { row: number; code: string }) => [f.row, f.code]), [[3, 'get_limit_reached'], [5, 'out_of_stock']])
      assert.deepEqual((await couponsOf(cardId)).map((c) => c.user_id), ['a', 'b', 'c'])
    })

    it('skips the rows already issued when run again with the same --resume-key', async () => {
      const cardId = await newCard({ stock: 10 })
      const file = await usersFile('resume.csv', 'u1\nu2\nu3\nu4\n')
      const first = await kabao(t.db.url, ['issue', '--card', cardId, '--users', file, '--resume-key', 'march-campaign'])
      assert.equal(first.code, 0, first.stderr)
      const second = await kabao(t.db.url, ['issue', '--card', cardId, '--users', file, '--resume-key', 'march-campaign', '--json'])
      assert.equal(second.code, 0, second.stderr)
      const report = JSON.parse(second.stdout)
      assert.deepEqual([report.issued, report.already_issued, report.failed, report.stock_remaining], [4, 4, 0, 6])
      const coupons = await couponsOf(cardId)
      assert.deepEqual(coupons.map((c) => c.source_ref), [1, 2, 3, 4].map((row) => `bulk:march-campaign:${row}`))
    })

    it('exits 2 for missing flags, an unknown card and an unreadable file, issuing nothing', async () => {
      const cardId = await newCard({ stock: 10 })
      const file = await usersFile('usage.csv', 'u1\n')
      const missing = await kabao(t.db.url, ['issue', '--card', cardId])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /--users is required/)
      const unknownOption = await kabao(t.db.url, ['issue', '--card', cardId, '--users', file, '--colour', 'red'])
      assert.equal(unknownOption.code, 2)
      const unknownCard = await kabao(t.db.url, ['issue', '--card', 'crd_01jzzzzzzzzzzzzzzzzzzzzzzz', '--users', file])
      assert.equal(unknownCard.code, 2)
      assert.match(unknownCard.stderr, /no card crd_01jzzzzzzzzzzzzzzzzzzzzzzz/)
      const unreadable = await kabao(t.db.url, ['issue', '--card', cardId, '--users', path.join(dir, 'nowhere.csv')])
      assert.equal(unreadable.code, 2)
      assert.match(unreadable.stderr, /cannot read/)
      assert.equal((await couponsOf(cardId)).length, 0)
    })
  })
}

describe('kabao issue output', () => {
  const state = { rows: 37_000, issued: 36_990, failed: 10, offset: 370_000, totalBytes: 1_000_000, done: false }

  it('draws a bar with the share of the file read and an estimate of the rows in all', () => {
    assert.equal(progressBar(state, 100), `[###############-------------------------]   37%  37,000 / ~100,000 rows  issued 36,990  failed 10`)
    assert.equal(progressBar({ ...state, done: true, rows: 99_800 }, 100).slice(0, 48), `[########################################]  100%`)
  })

  it('writes plain lines for logs, and says when the share cannot be known', () => {
    assert.equal(progressLine(state), 'kabao issue: 37% 37,000 / ~100,000 rows, issued 36,990, failed 10')
    assert.equal(progressLine({ ...state, offset: null }), 'kabao issue: ?% 37,000 rows, issued 36,990, failed 10')
  })

  it('sums up a run with its failures by reason', () => {
    const summary = formatSummary({
      card_id: 'crd_1',
      total_rows: 3,
      issued: 2,
      already_issued: 1,
      failed: 1,
      stock_remaining: 0,
      failure_counts: { out_of_stock: 1 },
      failures: [{ row: 3, user_id: 'u3', code: 'out_of_stock', message: 'The card has no stock left.' }],
      failures_truncated: false,
    })
    assert.equal(
      summary,
      'card crd_1: 3 rows, 2 issued (1 by an earlier run), 1 failed; stock remaining 0\nfailed rows by reason: out_of_stock 1\n  row 3  u3  out_of_stock: The card has no stock left.\n',
    )
  })
})
