import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Analytics. `tracked_events` is the append-only record of views and merchants' own events;
 * `card_view_days` rolls views up per card and local day as they happen, and `card_day_viewers` holds one
 * row per card, day and viewer so a viewer is counted once a day however often they look.
 * `daily_channel_stats` is the daily roll-up per card and issue channel the `daily-stats` job writes.
 * The two indexes let a card's distinct claimers and redeemers be counted from its own rows in a range.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('tracked_events')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('device', 'text')
    .addColumn('props', t.json)
    .addColumn('occurred_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('tracked_events_pk', ['merchant_id', 'id'])
    .execute()

  await db.schema
    .createTable('card_view_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('views', t.bigint, (c) => c.notNull())
    .addColumn('viewers', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('card_view_days_pk', ['merchant_id', 'card_id', 'day'])
    .execute()

  await db.schema
    .createTable('card_day_viewers')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('viewer', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('card_day_viewers_pk', ['merchant_id', 'card_id', 'day', 'viewer'])
    .execute()
  await db.schema.createIndex('card_day_viewers_day_idx').on('card_day_viewers').columns(['merchant_id', 'day']).execute()

  await db.schema
    .createTable('daily_channel_stats')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('issued', t.bigint, (c) => c.notNull())
    .addColumn('redeemed', t.bigint, (c) => c.notNull())
    .addColumn('reversed', t.bigint, (c) => c.notNull())
    .addColumn('expired', t.bigint, (c) => c.notNull())
    .addColumn('voided', t.bigint, (c) => c.notNull())
    .addColumn('discount_amount', t.bigint, (c) => c.notNull())
    .addColumn('order_amount', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_channel_stats_pk', ['merchant_id', 'card_id', 'day', 'channel'])
    .execute()

  await db.schema.createIndex('coupons_card_issued_idx').on('coupons').columns(['merchant_id', 'card_id', 'issued_at']).execute()
  await db.schema.createIndex('redemptions_card_time_idx').on('redemptions').columns(['merchant_id', 'card_id', 'redeemed_at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('redemptions_card_time_idx').execute()
  await db.schema.dropIndex('coupons_card_issued_idx').execute()
  for (const table of ['daily_channel_stats', 'card_day_viewers', 'card_view_days', 'tracked_events']) await db.schema.dropTable(table).execute()
}
