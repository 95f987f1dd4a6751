import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * The WeChat-compatible facade: app credentials (appid/secret) of a merchant, their access tokens (stored
 * hashed, so every process accepts a token another issued), the WeChat definition a card was made with
 * (fields Kabao keeps without effect), QR tickets and landing pages over native claim links, and the
 * integer POI ids WeChat clients know stores by.
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('wechat_apps')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('original_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('create_as_draft', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addColumn('updated_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_apps_pk', ['merchant_id', 'appid'])
    .execute()
  // An appid is looked up before its merchant is known (the token call), and is unique in the installation.
  await db.schema.createIndex('wechat_apps_appid_idx').on('wechat_apps').column('appid').unique().execute()
  await db.schema
    .createTable('wechat_tokens')
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('issued_at', types.bigint, (c) => c.notNull())
    .addColumn('expires_at', types.bigint, (c) => c.notNull())
    .addColumn('superseded_at', types.bigint)
    .addPrimaryKeyConstraint('wechat_tokens_pk', ['token_hash'])
    .execute()
  await db.schema.createIndex('wechat_tokens_app_idx').on('wechat_tokens').columns(['merchant_id', 'appid', 'issued_at']).execute()
  await db.schema
    .createTable('wechat_cards')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('definition', types.json, (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addColumn('updated_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_cards_pk', ['merchant_id', 'card_id'])
    .execute()
  await db.schema
    .createTable('wechat_qrcodes')
    .addColumn('ticket_hash', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('claim_link_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text')
    .addColumn('outer_str', 'text')
    .addColumn('expires_at', types.bigint)
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_qrcodes_pk', ['ticket_hash'])
    .execute()
  await db.schema
    .createTable('wechat_landing_pages')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('page_id', 'integer', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('page_title', 'text', (c) => c.notNull())
    .addColumn('banner', 'text')
    .addColumn('can_share', 'integer', (c) => c.notNull())
    .addColumn('scene', 'text')
    .addColumn('cards', types.json, (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_landing_pages_pk', ['merchant_id', 'page_id'])
    .execute()
  await db.schema.createIndex('wechat_landing_pages_token_idx').on('wechat_landing_pages').column('token_hash').unique().execute()
  await db.schema
    .createTable('wechat_pois')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('poi_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_pois_pk', ['merchant_id', 'store_id'])
    .execute()
  await db.schema.createIndex('wechat_pois_poi_idx').on('wechat_pois').columns(['merchant_id', 'poi_id']).unique().execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wechat_pois').execute()
  await db.schema.dropTable('wechat_landing_pages').execute()
  await db.schema.dropTable('wechat_qrcodes').execute()
  await db.schema.dropTable('wechat_cards').execute()
  await db.schema.dropTable('wechat_tokens').execute()
  await db.schema.dropTable('wechat_apps').execute()
}
