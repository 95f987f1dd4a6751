import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * WeChat-compatible facade: a `QR_MULTIPLE_CARD` QR code opens a page offering several cards (a landing
 * page that may expire with its QR code, whose sealed token the QR row keeps to show the image), and each
 * merchant's `encrypt_code` key has a generation, raised when the merchant rotates it (no row: never rotated).
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema.alterTable('wechat_qrcodes').addColumn('page_token_sealed', 'text').execute()
  await db.schema.alterTable('wechat_landing_pages').addColumn('expires_at', types.bigint).execute()
  await db.schema
    .createTable('wechat_code_keys')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('rotated_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_code_keys_pk', ['merchant_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wechat_code_keys').execute()
  await db.schema.alterTable('wechat_landing_pages').dropColumn('expires_at').execute()
  await db.schema.alterTable('wechat_qrcodes').dropColumn('page_token_sealed').execute()
}
