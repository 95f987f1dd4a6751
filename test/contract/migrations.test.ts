import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'
import { sql } from 'kysely'
import { ENGINES, createTestDatabase, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp } from '../helpers/app.ts'
import type { Database } from '../../src/db/database.ts'
import { migrateDown, migrateToLatest } from '../../src/db/migrate.ts'
import { expectProblem, expectStatus, merchantApi, newMerchant } from '../helpers/merchant-api.ts'

const BOOKKEEPING_TABLES = ['kabao_migrations']

/** Every table, column and index of the current schema, as comparable text. */
async function schemaOf(database: Database): Promise<string[]> {
  if (database.engine === 'sqlite') {
    const { rows } = await sql<{ entry: string }>`
      select type || ' ' || name || ' ' || coalesce(sql, '') as entry from sqlite_master
      where name not like 'sqlite_%' order by type, name`.execute(database.db)
    return rows.map((r) => r.entry)
  }
  const { rows: columns } = await sql<{ entry: string }>`
    select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable as entry
    from information_schema.columns where table_schema = current_schema() order by table_name, column_name`.execute(database.db)
  const { rows: indexes } = await sql<{ entry: string }>`
    select replace(indexdef, current_schema() || '.', '') as entry from pg_indexes where schemaname = current_schema() order by indexname`.execute(database.db)
  return [...columns, ...indexes].map((r) => r.entry)
}

async function tablesOf(database: Database): Promise<string[]> {
  const { rows } =
    database.engine === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(database.db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() order by table_name`.execute(database.db)
  return rows.map((r) => r.name)
}

async function appliedMigrations(database: Database): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from kabao_migrations`.execute(database.db)
  return Number(rows[0].n)
}

/** Undoes every migration, one at a time, as an operator rolling back would. */
async function migrateAllTheWayDown(database: Database): Promise<void> {
  for (let guard = 0; guard < 100 && (await appliedMigrations(database)) > 0; guard++) await migrateDown(database)
  assert.equal(await appliedMigrations(database), 0)
}

/** Undoes the migrations after `name` and `name` itself: the database as it was before that upgrade. */
async function migrateDownThrough(database: Database, name: string): Promise<void> {
  const applied = async () => (await sql<{ name: string }>`select name from kabao_migrations`.execute(database.db)).rows.some((r) => r.name === name)
  for (let guard = 0; guard < 100 && (await applied()); guard++) await migrateDown(database)
  assert.equal(await applied(), false)
}

/** Runs `migrateToLatest` in a separate process, as a second server starting would. */
function migrateInAnotherProcess(url: string): Promise<{ code: number | null; output: string }> {
  const database = new URL('../../src/db/database.ts', import.meta.url).href
  const migrate = new URL('../../src/db/migrate.ts', import.meta.url).href
  const script = `
    const { openDatabase } = await import(${JSON.stringify(database)})
    const { migrateToLatest } = await import(${JSON.stringify(migrate)})
    const database = openDatabase(process.argv[1])
    try { await migrateToLatest(database) } finally { await database.close() }
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

for (const engine of ENGINES) {
  describe(`migrations on ${engine}`, await engineOptions(engine), () => {
    it('goes up, all the way down and up again, leaving an empty schema that works', async () => {
      const t = await startTestApp(engine)
      try {
        const { database } = t.ctx
        const migrated = await schemaOf(database)
        const tables = await tablesOf(database)
        for (const table of ['merchants', 'api_keys', 'stores', 'cards', 'card_versions', 'coupons', 'redemptions', 'events']) {
          assert.ok(tables.includes(table), `${table} missing from ${tables}`)
        }
        const before = await newMerchant(t)
        await before.createCard(cashCard())

        await migrateAllTheWayDown(database)
        assert.deepEqual(await tablesOf(database), BOOKKEEPING_TABLES)

        await migrateToLatest(database)
        assert.deepEqual(await schemaOf(database), migrated)
        for (const table of tables.filter((name) => !BOOKKEEPING_TABLES.includes(name))) {
          const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(database.db)
          assert.equal(Number(rows[0].n), 0, `${table} is not empty`)
        }
        // A server remembers API keys for a second (src/http/auth.ts); then the wiped key is refused.
        await delay(1100)
        expectProblem(await before.get('/v1/cards'), 401, 'unauthenticated')

        const m = await newMerchant(t)
        const store = await m.createStore()
        const card = await m.createCard(cashCard({ reduce_cost: 2000, least_cost: 10000 }))
        const coupon = await m.issue(card.id, 'u1')
        assert.equal(expectStatus(await m.redeem({ code: coupon.code, store_id: store.id, order_amount: 10000 }), 201).discount_amount, 2000)
        assert.equal((await m.events('coupon.redeemed')).length, 1)
        // Migrating again when up to date changes nothing.
        await migrateToLatest(database)
        assert.deepEqual(await schemaOf(database), migrated)
        assert.equal(expectStatus(await merchantApi(t, m.key).coupon(coupon.code), 200).state, 'redeemed')
      } finally {
        await t.close()
      }
    })

    it('0030 reads need_push_on_view from stored WeChat definitions and subscribes saved push destinations to the new pushes', async () => {
      const t = await startTestApp(engine)
      try {
        const { database } = t.ctx
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard())
        const quiet = await m.createCard(cashCard())
        await migrateDownThrough(database, '0030-wallet-removal-view-pushes-gifts')
        const db = database.db as any
        const now = Date.now()
        const definition = (base: Record<string, unknown>) => JSON.stringify({ card_type: 'CASH', cash: { base_info: { title: 'x', ...base } } })
        await db.insertInto('wechat_cards').values([
          { merchant_id: m.merchantId, card_id: card.id, definition: definition({ need_push_on_view: 'true' }), created_at: now, updated_at: now },
          { merchant_id: m.merchantId, card_id: quiet.id, definition: definition({}), created_at: now, updated_at: now },
        ]).execute()
        const endpoint = (id: string, kind: string, events: string[]) => ({
          id, merchant_id: m.merchantId, url: 'https://push.example/wx', events: JSON.stringify(events), description: null, secret_enc: 'x', prev_secret_enc: null, prev_secret_until: null,
          status: 'enabled', disabled_code: null, disabled_reason: null, disabled_at: null, failing_since: null, last_success_at: null, created_at: now, updated_at: now,
          request_ref: null, secret_request_ref: null, kind, wechat_appid: kind === 'wechat' ? 'wx0000000000000000' : null,
        })
        await db.insertInto('webhook_endpoints').values([endpoint('whe_wechat', 'wechat', ['coupon.issued', 'coupon.redeemed']), endpoint('whe_hook', 'webhook', ['coupon.issued'])]).execute()

        await migrateToLatest(database)
        const flags = await db.selectFrom('wechat_cards').select(['card_id', 'push_on_view']).where('merchant_id', '=', m.merchantId).orderBy('card_id').execute()
        assert.deepEqual(Object.fromEntries(flags.map((r: any) => [r.card_id, Number(r.push_on_view)])), { [card.id]: 1, [quiet.id]: 0 })
        const events = async (id: string) => {
          const row = await db.selectFrom('webhook_endpoints').select('events').where('id', '=', id).executeTakeFirstOrThrow()
          return typeof row.events === 'string' ? JSON.parse(row.events) : row.events
        }
        assert.deepEqual(await events('whe_wechat'), ['coupon.issued', 'coupon.redeemed', 'coupon.voided', 'coupon.viewed'])
        assert.deepEqual(await events('whe_hook'), ['coupon.issued'], 'merchants’ own webhooks keep their choice')
      } finally {
        await t.close()
      }
    })

    it('lets several processes migrate one fresh database at the same time', async () => {
      const fresh = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      const reference = await createTestDatabase(engine, { sqliteFile: true })
      try {
        // Four rather than two: with two, the race between creating the same tables shows only rarely.
        const results = await Promise.all([1, 2, 3, 4].map(() => migrateInAnotherProcess(fresh.url)))
        for (const result of results) assert.equal(result.code, 0, result.output)
        assert.deepEqual(await schemaOf(fresh.database), await schemaOf(reference.database))
        assert.equal(await appliedMigrations(fresh.database), await appliedMigrations(reference.database))
      } finally {
        await fresh.drop()
        await reference.drop()
      }
    })
  })
}
