import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Member analytics and A/B tests. `rfm_thresholds` holds a member card's RFM thresholds when the merchant
 * changed them from the defaults; an index by member and time lets a member's orders be scored without
 * scanning the merchant's. `experiments` are A/B tests behind one claim token (hashed, and sealed for the
 * console), `experiment_variants` their cards with weights and view counts, `experiment_claims` which
 * coupon each visitor claimed through which variant. `tracked_events_time_idx` and
 * `card_day_viewers_purge_idx` let the retention job purge old views by time across merchants.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('rfm_thresholds')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('member_card_id', 'text', (c) => c.notNull())
    .addColumn('window_days', 'integer', (c) => c.notNull())
    .addColumn('recency_days', 'integer', (c) => c.notNull())
    .addColumn('frequency', 'integer', (c) => c.notNull())
    .addColumn('monetary', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('rfm_thresholds_pk', ['merchant_id', 'member_card_id'])
    .execute()
  await db.schema.createIndex('member_orders_member_time_idx').on('member_orders').columns(['merchant_id', 'member_id', 'created_at']).execute()

  await db.schema
    .createTable('experiments')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('winner_card_id', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('stopped_at', t.bigint)
    .addColumn('request_ref', 'text')
    .addPrimaryKeyConstraint('experiments_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('experiments_token_uq', ['token_hash'])
    .addUniqueConstraint('experiments_request_uq', ['merchant_id', 'request_ref'])
    .execute()
  await db.schema
    .createTable('experiment_variants')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('weight', 'integer', (c) => c.notNull())
    .addColumn('views', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_variants_pk', ['merchant_id', 'experiment_id', 'card_id'])
    .execute()
  await db.schema
    .createTable('experiment_claims')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('claimed_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_claims_pk', ['merchant_id', 'coupon_id'])
    .execute()
  await db.schema.createIndex('experiment_claims_experiment_idx').on('experiment_claims').columns(['merchant_id', 'experiment_id', 'card_id']).execute()

  await db.schema.createIndex('tracked_events_time_idx').on('tracked_events').column('occurred_at').execute()
  await db.schema.createIndex('card_day_viewers_purge_idx').on('card_day_viewers').column('day').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('card_day_viewers_purge_idx').execute()
  await db.schema.dropIndex('tracked_events_time_idx').execute()
  await db.schema.dropIndex('experiment_claims_experiment_idx').execute()
  await db.schema.dropIndex('member_orders_member_time_idx').execute()
  for (const table of ['experiment_claims', 'experiment_variants', 'experiments', 'rfm_thresholds']) await db.schema.dropTable(table).execute()
}
