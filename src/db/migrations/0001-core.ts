import { sql, type Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/** Merchants, keys, stores, cards and their versions, coupons, redemptions, events, claim links, customers. */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('merchants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('capabilities', t.json, (c) => c.notNull())
    .addColumn('policy', t.json, (c) => c.notNull())
    .addColumn('wallet_secret_enc', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('revoked_at', t.bigint)
    .addColumn('expires_at', t.bigint)
    .addPrimaryKeyConstraint('api_keys_pk', ['merchant_id', 'id'])
    .execute()
  // Keys are looked up by hash before the merchant is known; the hash is 256 bits, so it is unique on its own.
  await db.schema.createIndex('api_keys_hash_uq').on('api_keys').column('key_hash').unique().execute()

  await db.schema
    .createTable('stores')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('latitude', t.double)
    .addColumn('longitude', t.double)
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('stores_pk', ['merchant_id', 'id'])
    .execute()

  await db.schema
    .createTable('cards')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('stock_remaining', t.bigint, (c) => c.notNull().check(sql`stock_remaining >= 0`))
    .addColumn('issued_count', t.bigint, (c) => c.notNull())
    .addColumn('get_limit', 'integer', (c) => c.notNull())
    .addColumn('code_type', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('cards_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('cards_created_idx').on('cards').columns(['merchant_id', 'created_at']).execute()

  await db.schema
    .createTable('card_versions')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('terms', t.json, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('card_versions_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('card_versions_uq', ['merchant_id', 'card_id', 'version'])
    .execute()

  await db.schema
    .createTable('card_user_claims')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('claimed', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('card_user_claims_pk', ['merchant_id', 'card_id', 'user_id'])
    .execute()

  await db.schema
    .createTable('coupons')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('card_version_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('code_enc', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_ref', 'text')
    .addColumn('valid_from', t.bigint, (c) => c.notNull())
    .addColumn('valid_until', t.bigint, (c) => c.notNull())
    .addColumn('issued_at', t.bigint, (c) => c.notNull())
    .addColumn('redeemed_at', t.bigint)
    .addColumn('redemption_id', 'text')
    .addColumn('voided_at', t.bigint)
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('coupons_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('coupons_code_uq', ['merchant_id', 'code_hash'])
    .addUniqueConstraint('coupons_source_ref_uq', ['merchant_id', 'source_ref'])
    .execute()
  await db.schema.createIndex('coupons_user_idx').on('coupons').columns(['merchant_id', 'user_id', 'id']).execute()
  await db.schema.createIndex('coupons_card_idx').on('coupons').columns(['merchant_id', 'card_id', 'id']).execute()
  await db.schema.createIndex('coupons_expiry_idx').on('coupons').columns(['state', 'valid_until']).execute()

  await db.schema
    .createTable('redemptions')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('api_key_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('order_amount', t.bigint)
    .addColumn('discount_amount', t.bigint, (c) => c.notNull())
    .addColumn('redeemed_at', t.bigint, (c) => c.notNull())
    .addColumn('reversed_at', t.bigint)
    .addColumn('reversal_reason', 'text')
    .addPrimaryKeyConstraint('redemptions_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('redemptions_coupon_idx').on('redemptions').columns(['merchant_id', 'coupon_id']).execute()
  await db.schema.createIndex('redemptions_time_idx').on('redemptions').columns(['merchant_id', 'redeemed_at']).execute()

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('locked_until', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['merchant_id', 'key'])
    .execute()
  await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute()

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', t.json, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('events_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('events_type_idx').on('events').columns(['merchant_id', 'type', 'id']).execute()

  await db.schema
    .createTable('claim_links')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claimed_count', t.bigint, (c) => c.notNull())
    .addColumn('max_claims', t.bigint)
    .addColumn('expires_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('claim_links_pk', ['merchant_id', 'id'])
    .execute()
  // The token is the public part of the link and is looked up before the merchant is known.
  await db.schema.createIndex('claim_links_token_uq').on('claim_links').column('token').unique().execute()

  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('customers_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('customers_user_uq', ['merchant_id', 'user_id'])
    .addUniqueConstraint('customers_phone_uq', ['merchant_id', 'phone'])
    .addUniqueConstraint('customers_email_uq', ['merchant_id', 'email'])
    .execute()

  await db.schema
    .createTable('otp_challenges')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .addColumn('consumed_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('otp_challenges_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('otp_destination_idx').on('otp_challenges').columns(['merchant_id', 'destination', 'created_at']).execute()

  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('locked_until', t.bigint, (c) => c.notNull())
    .addColumn('last_run_at', t.bigint)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'job_leases', 'otp_challenges', 'customers', 'claim_links', 'events', 'idempotency_keys',
    'redemptions', 'coupons', 'card_user_claims', 'card_versions', 'cards', 'stores', 'api_keys', 'merchants',
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
