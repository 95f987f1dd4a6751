import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/** The longest window a rule may have (31 days): counters made before `expires_at` existed last at most this long. */
const LONGEST_WINDOW_MS = 31 * 86_400_000

/**
 * Risk control's upkeep and its per-store rule: when a database counter's window has passed since its last
 * hit (`expires_at`, so the retention job forgets it and its hits through an index), ended blocks found by
 * their end, and the redemptions of one store by time (the discount a store gave today,
 * `discount_per_store_day`).
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema.alterTable('risk_counters').addColumn('expires_at', types.bigint, (c) => c.notNull().defaultTo(0)).execute()
  await db.updateTable('risk_counters').set((eb) => ({ expires_at: eb('touched_at', '+', LONGEST_WINDOW_MS) })).execute()
  await db.schema.createIndex('risk_counters_expires_idx').on('risk_counters').column('expires_at').execute()
  await db.schema.createIndex('risk_blocks_until_idx').on('risk_blocks').column('until').execute()
  await db.schema.createIndex('redemptions_store_time_idx').on('redemptions').columns(['merchant_id', 'store_id', 'redeemed_at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('redemptions_store_time_idx').execute()
  await db.schema.dropIndex('risk_blocks_until_idx').execute()
  await db.schema.dropIndex('risk_counters_expires_idx').execute()
  await db.schema.alterTable('risk_counters').dropColumn('expires_at').execute()
}
