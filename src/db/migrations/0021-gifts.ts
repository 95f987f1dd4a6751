import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Gifts (转赠), single hop: `gifts` is the audit trail of every gift (who gave which coupon, to whom, when,
 * how it ended), `gift_user_days` counts each giver's gifts per local day so the merchant's daily limit
 * holds under parallel requests (a conditional upsert), and a received coupon names its giver (`gifted_by`).
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('gifts')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text', (c) => c.notNull())
    .addColumn('giver_user_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('receiver_user_id', 'text')
    .addColumn('received_coupon_id', 'text')
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('closed_at', t.bigint)
    .addPrimaryKeyConstraint('gifts_pk', ['merchant_id', 'id'])
    // Random 192-bit tokens, looked up before the merchant is known (as claim-link tokens are).
    .addUniqueConstraint('gifts_token_hash_uq', ['token_hash'])
    .execute()
  await db.schema.createIndex('gifts_coupon_idx').on('gifts').columns(['merchant_id', 'coupon_id', 'id']).execute()
  await db.schema.createIndex('gifts_giver_idx').on('gifts').columns(['merchant_id', 'giver_user_id', 'id']).execute()
  await db.schema.createIndex('gifts_due_idx').on('gifts').columns(['state', 'expires_at']).execute()

  await db.schema
    .createTable('gift_user_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('gift_user_days_pk', ['merchant_id', 'user_id', 'day'])
    .execute()

  await db.schema.alterTable('coupons').addColumn('gifted_by', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('coupons').dropColumn('gifted_by').execute()
  await db.schema.dropTable('gift_user_days').ifExists().execute()
  await db.schema.dropTable('gifts').ifExists().execute()
}
