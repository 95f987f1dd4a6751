import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { sql } from 'kysely'
import { createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { fillWithSampleData, type SampleData } from '../helpers/sample-data.ts'
import { kabaoEnv, runCli, startServer } from '../helpers/server-process.ts'

// `kabao migrate-data --to postgres://…`: every row of an SQLite database arrives in PostgreSQL, and the
// copy serves the same merchants, keys and codes.

type Row = Record<string, unknown>

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Row)[k])]))
  return value
}

/** Rows as sorted canonical JSON strings, JSON columns compared as documents. */
function rowSet(rows: Row[], jsonColumns: Set<string>): string[] {
  return rows
    .map((row) => JSON.stringify(canonical(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonColumns.has(k) && typeof v === 'string' ? JSON.parse(v) : v])))))
    .sort()
}

describe('kabao migrate-data from SQLite to PostgreSQL', await engineOptions('postgres'), () => {
  let source: TestApp
  let sample: SampleData
  let target: TestDatabase
  let tables: string[]

  before(async () => {
    source = await startTestApp('sqlite', { sqliteFile: true })
    sample = await fillWithSampleData(source)
    target = await createTestDatabase('postgres', { migrate: false })
    const file = new DatabaseSync(source.db.url.slice('sqlite:'.length), { readOnly: true })
    tables = file.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite%' and name <> 'kabao_migrations' order by name").all().map((r) => (r as { name: string }).name)
    file.close()
  })
  after(async () => {
    await source?.close()
    await target?.drop()
  })

  it('copies every row of every table, and says so table by table', async () => {
    const run = await runCli(['migrate-data', '--to', target.url, '--json'], kabaoEnv(source.db.url))
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout) as { tables: { table: string; rows: number; checksum: string }[] }
    assert.deepEqual(report.tables.map((t) => t.table), tables)

    const file = new DatabaseSync(source.db.url.slice('sqlite:'.length), { readOnly: true })
    try {
      for (const table of tables) {
        const from = file.prepare(`select * from "${table}"`).all() as Row[]
        const { rows: to } = await sql<Row>`select * from ${sql.table(table)}`.execute(target.database.db)
        const { rows: types } = await sql<{ column_name: string }>`
          select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${table} and data_type = 'jsonb'`.execute(target.database.db)
        const json = new Set(types.map((t) => t.column_name))
        assert.deepEqual(rowSet(to, json), rowSet(from, json), `table ${table}`)
        assert.equal(report.tables.find((t) => t.table === table)?.rows, from.length, `reported count of ${table}`)
      }
    } finally {
      file.close()
    }
    // Something of everything made it: the sample touches every table.
    for (const table of ['merchants', 'api_keys', 'stores', 'cards', 'card_versions', 'card_user_claims', 'coupons', 'redemptions', 'idempotency_keys', 'events', 'claim_links', 'customers', 'otp_challenges']) {
      assert.ok((report.tables.find((t) => t.table === table)?.rows ?? 0) > 0, `no rows copied for ${table}`)
    }
  })

  it('serves the same merchants, keys and codes from PostgreSQL', async () => {
    const server = await startServer(kabaoEnv(target.url))
    try {
      const headers = { authorization: `Bearer ${sample.apiKey}`, 'content-type': 'application/json' }
      const cards = await fetch(`${server.base}/v1/cards`, { headers })
      assert.equal(cards.status, 200)
      assert.equal(((await cards.json()) as { data: unknown[] }).data.length, 2)
      const redeemed = await fetch(`${server.base}/v1/redemptions`, { method: 'POST', headers, body: JSON.stringify({ code: sample.availableCodes[0], order_amount: 30000 }) })
      assert.equal(redeemed.status, 201, await redeemed.text())
    } finally {
      await server.stop()
    }
  })

  it('refuses a target that is not empty, and leaves it as it was', async () => {
    const before = await target.database.db.selectFrom('coupons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const run = await runCli(['migrate-data', '--to', target.url], kabaoEnv(source.db.url))
    assert.equal(run.code, 1, run.stdout)
    assert.match(run.stderr, /not empty/)
    const after = await target.database.db.selectFrom('coupons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    assert.equal(Number(after.n), Number(before.n))
  })

  it('wants a postgres:// target and an SQLite source', async () => {
    const toSqlite = await runCli(['migrate-data', '--to', 'sqlite:/tmp/elsewhere.db'], kabaoEnv(source.db.url))
    assert.equal(toSqlite.code, 2)
    assert.match(toSqlite.stderr, /postgres:\/\//)
    const fromPostgres = await runCli(['migrate-data', '--to', target.url], kabaoEnv(target.url))
    assert.equal(fromPostgres.code, 2)
    assert.match(fromPostgres.stderr, /SQLite/)
  })
})
