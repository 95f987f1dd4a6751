import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'

// docs/operations.md, "Distributing by merchant": every primary and unique key of a merchant's table
// includes merchant_id, but for the few looked up before the merchant is known, listed there.
const LOOKED_UP_BEFORE_THE_MERCHANT = new Set([
  'api_keys.api_keys_hash_uq',
  'claim_links.claim_links_token_hash_uq',
  'gifts.gifts_token_hash_uq',
  'experiments.experiments_token_uq',
  'staff.staff_login_uq',
  'staff.staff_setup_slot_uq',
  'staff_sessions.staff_sessions_token_uq',
  'wechat_apps.wechat_apps_appid_idx',
  'wechat_tokens.wechat_tokens_pk',
  'wechat_qrcodes.wechat_qrcodes_pk',
  'wechat_landing_pages.wechat_landing_pages_token_idx',
])
const NOT_MERCHANT_DATA = new Set(['merchants', 'job_leases', 'job_runs', 'kabao_migrations', 'login_attempts'])

describe('the schema can be distributed by merchant_id', async () => {
  let target: TestDatabase
  before(async () => {
    if ((await engineOptions('postgres')).skip === false) target = await createTestDatabase('postgres')
  })
  after(() => target?.drop())

  it('has merchant_id in every table of merchant data and in every one of their unique keys', await engineOptions('postgres'), async () => {
    const client = new pg.Client({ connectionString: target.url })
    await client.connect()
    try {
      const tables = await client.query<{ table_name: string; has_merchant: boolean }>(`
        select c.relname as table_name,
          exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'merchant_id' and not a.attisdropped) as has_merchant
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind = 'r'`)
      const withoutMerchant = tables.rows.filter((t) => !t.has_merchant).map((t) => t.table_name).sort()
      assert.deepEqual(withoutMerchant, [...NOT_MERCHANT_DATA].sort())

      const keys = await client.query<{ name: string; columns: string[] }>(`
        select tbl.relname || '.' || idx.relname as name, array_agg(a.attname::text order by k.ord) as columns
        from pg_index i join pg_class idx on idx.oid = i.indexrelid join pg_class tbl on tbl.oid = i.indrelid
        join pg_namespace n on n.oid = tbl.relnamespace
        cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
        join pg_attribute a on a.attrelid = tbl.oid and a.attnum = k.attnum
        where n.nspname = current_schema() and i.indisunique
        group by tbl.relname, idx.relname`)
      assert.ok(keys.rows.length > 30)
      const offending = keys.rows
        .filter((key) => !NOT_MERCHANT_DATA.has(key.name.split('.')[0]) && !key.columns.includes('merchant_id'))
        .map((key) => key.name)
        .sort()
      assert.deepEqual(offending, [...LOOKED_UP_BEFORE_THE_MERCHANT].sort())
    } finally {
      await client.end()
    }
  })
})
