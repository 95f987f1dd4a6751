import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/** The rules that count every hit (not distinct members): their database counters move to `risk_counts`. */
const PLAIN_RULES = ['claims_per_address', 'wrong_codes', 'redemptions_per_clerk']

/**
 * Risk counters that count every hit (claims per address, wrong codes, redemptions per clerk) as one row
 * per fixed tenth of the window (`risk_counts`: its hits `n`, and when it stops counting), moved by one
 * statement per hit, instead of a row per hit. Counters of distinct members (users per device, accounts
 * per device and per phone) keep `risk_counters` and `risk_counter_hits`. The hit rows of the plain
 * rules are dropped: their counts start again from nothing after the upgrade (as after a Redis restart).
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('risk_counts')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('counter_key', 'text', (c) => c.notNull())
    .addColumn('bucket_start', types.bigint, (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('last_counted', 'integer', (c) => c.notNull())
    .addColumn('limit_value', 'integer', (c) => c.notNull())
    .addColumn('expires_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_counts_pk', ['merchant_id', 'counter_key', 'bucket_start'])
    .execute()
  await db.schema.createIndex('risk_counts_expires_idx').on('risk_counts').column('expires_at').execute()
  for (const rule of PLAIN_RULES) {
    await db.deleteFrom('risk_counter_hits').where('counter_key', 'like', `${rule}:%`).execute()
    await db.deleteFrom('risk_counters').where('counter_key', 'like', `${rule}:%`).execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('risk_counts').execute()
}
