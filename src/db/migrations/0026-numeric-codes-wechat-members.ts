import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Numeric codes and WeChat member cards. `cards.code_format` says how a card's codes are drawn
 * (`alphanumeric`, as before, or `numeric`: 20 digits with a check digit). `wechat_member_codes` holds the
 * code that identifies a member of a member card at tills and in WeChat-compatible calls (as a keyed hash
 * and a ciphertext, like coupon codes), with its activation: when the member was activated and the
 * activation's own fields (background, custom field values, activation times), kept for `userinfo/get`.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('cards').addColumn('code_format', 'text', (c) => c.notNull().defaultTo('alphanumeric')).execute()
  await db.schema
    .createTable('wechat_member_codes')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('member_card_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('code_enc', 'text', (c) => c.notNull())
    .addColumn('activated_at', t.bigint)
    .addColumn('fields', t.json, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('wechat_member_codes_pk', ['merchant_id', 'member_id'])
    .addUniqueConstraint('wechat_member_codes_code_uq', ['merchant_id', 'code_hash'])
    .execute()
  await db.schema.createIndex('wechat_member_codes_activated_idx').on('wechat_member_codes').columns(['merchant_id', 'member_card_id', 'activated_at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wechat_member_codes').execute()
  await db.schema.alterTable('cards').dropColumn('code_format').execute()
}
