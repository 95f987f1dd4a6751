import { sql, type Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * The outbox fan-out and signed webhooks (endpoints, deliveries, the attempt log), the customer inbox,
 * payments and their issue rules, scheduled-job bookkeeping and daily statistics; plus the markers that
 * make reminders and stock alerts fire once (coupons.reminded_at, cards.stock_low_at).
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  // Events not yet fanned out to webhook endpoints. Existing events predate every endpoint: nothing to send.
  await db.schema.alterTable('events').addColumn('dispatched_at', t.bigint).execute()
  await db.updateTable('events').set({ dispatched_at: sql`created_at` }).execute()
  await db.schema.createIndex('events_undispatched_idx').on('events').column('id').where(sql.ref('dispatched_at'), 'is', null).execute()

  await db.schema.alterTable('coupons').addColumn('reminded_at', t.bigint).execute()
  await db.schema
    .createIndex('coupons_remind_idx')
    .on('coupons')
    .column('valid_until')
    .where(sql<boolean>`state = 'available' and reminded_at is null`)
    .execute()

  await db.schema.alterTable('cards').addColumn('stock_low_threshold', t.bigint).execute()
  await db.schema.alterTable('cards').addColumn('stock_low_at', t.bigint).execute()
  await db.schema.alterTable('cards').addColumn('remind_days_before', 'integer', (c) => c.defaultTo(3)).execute()

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', t.json, (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('prev_secret_enc', 'text')
    .addColumn('prev_secret_until', t.bigint)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('disabled_code', 'text')
    .addColumn('disabled_reason', 'text')
    .addColumn('disabled_at', t.bigint)
    .addColumn('failing_since', t.bigint)
    .addColumn('last_success_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_endpoints_pk', ['merchant_id', 'id'])
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', t.bigint, (c) => c.notNull())
    .addColumn('locked_until', t.bigint)
    .addColumn('lease_token', 'text')
    .addColumn('last_attempt_at', t.bigint)
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('webhook_deliveries_event_uq', ['merchant_id', 'endpoint_id', 'event_id'])
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .column('next_attempt_at')
    .where(sql<boolean>`status = 'pending'`)
    .execute()
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['merchant_id', 'endpoint_id', 'id']).execute()

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('attempted_at', t.bigint, (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('webhook_attempts_endpoint_idx').on('webhook_attempts').columns(['merchant_id', 'endpoint_id', 'id']).execute()

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('data', t.json, (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('read_at', t.bigint)
    .addPrimaryKeyConstraint('notifications_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('notifications_dedupe_uq', ['merchant_id', 'dedupe_key'])
    .execute()
  await db.schema.createIndex('notifications_user_idx').on('notifications').columns(['merchant_id', 'user_id', 'id']).execute()

  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('amount', t.bigint, (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('items', t.json)
    .addColumn('outcome', t.json, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('payments_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('payments_order_uq', ['merchant_id', 'order_id'])
    .execute()

  await db.schema
    .createTable('payment_rules')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('min_amount', t.bigint, (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_rules_pk', ['merchant_id', 'id'])
    .execute()

  // One row per run of a periodic job and period: with several processes the period runs once.
  await db.schema
    .createTable('job_runs')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('period_key', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('started_at', t.bigint, (c) => c.notNull())
    .addColumn('finished_at', t.bigint)
    .addColumn('handled', t.bigint)
    .addPrimaryKeyConstraint('job_runs_pk', ['job', 'period_key'])
    .execute()

  await db.schema
    .createTable('daily_stats')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('issued', t.bigint, (c) => c.notNull())
    .addColumn('redeemed', t.bigint, (c) => c.notNull())
    .addColumn('reversed', t.bigint, (c) => c.notNull())
    .addColumn('expired', t.bigint, (c) => c.notNull())
    .addColumn('voided', t.bigint, (c) => c.notNull())
    .addColumn('discount_amount', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_stats_pk', ['merchant_id', 'day', 'card_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['daily_stats', 'job_runs', 'payment_rules', 'payments', 'notifications', 'webhook_attempts', 'webhook_deliveries', 'webhook_endpoints']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
  // SQLite drops a column only once no index names it.
  await db.schema.dropIndex('coupons_remind_idx').ifExists().execute()
  await db.schema.dropIndex('events_undispatched_idx').ifExists().execute()
  await db.schema.alterTable('cards').dropColumn('remind_days_before').execute()
  await db.schema.alterTable('cards').dropColumn('stock_low_at').execute()
  await db.schema.alterTable('cards').dropColumn('stock_low_threshold').execute()
  await db.schema.alterTable('coupons').dropColumn('reminded_at').execute()
  await db.schema.alterTable('events').dropColumn('dispatched_at').execute()
}
