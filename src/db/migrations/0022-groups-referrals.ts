import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Group coupons (拼团) and referrals (邀请有礼). A group holds its card's stock from its opening; its
 * members carry the card while the group is open (`open_card_id`, null once it completed or failed), so
 * that a unique key keeps a user in at most one open group of a card (NULLs never clash, on either
 * engine). Each member's invite code is stored as a hash for lookup and sealed for showing it again; a
 * referral is recorded once per invited user and member card, which is what makes its rewards once-only.
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('member_count', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', types.bigint, (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addColumn('closed_at', types.bigint)
    .addColumn('request_ref', 'text')
    .addPrimaryKeyConstraint('groups_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('groups_request_ref_uq', ['merchant_id', 'request_ref'])
    .execute()
  // The failing job reads open groups by deadline.
  await db.schema.createIndex('groups_state_expires_idx').on('groups').columns(['state', 'expires_at']).execute()
  await db.schema
    .createTable('group_members')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('open_card_id', 'text')
    .addColumn('coupon_id', 'text')
    .addColumn('joined_at', types.bigint, (c) => c.notNull())
    .addColumn('request_ref', 'text')
    .addPrimaryKeyConstraint('group_members_pk', ['merchant_id', 'group_id', 'user_id'])
    .addUniqueConstraint('group_members_open_uq', ['merchant_id', 'open_card_id', 'user_id'])
    .addUniqueConstraint('group_members_request_ref_uq', ['merchant_id', 'request_ref'])
    .execute()
  await db.schema
    .createTable('member_invites')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('member_card_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('code_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('member_invites_pk', ['merchant_id', 'member_id'])
    .addUniqueConstraint('member_invites_code_uq', ['merchant_id', 'code_hash'])
    .execute()
  await db.schema
    .createTable('referrals')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('member_card_id', 'text', (c) => c.notNull())
    .addColumn('referrer_member_id', 'text', (c) => c.notNull())
    .addColumn('invitee_member_id', 'text', (c) => c.notNull())
    .addColumn('invitee_user_id', 'text', (c) => c.notNull())
    .addColumn('rewards', types.json, (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('referrals_pk', ['merchant_id', 'id'])
    .addUniqueConstraint('referrals_invitee_uq', ['merchant_id', 'member_card_id', 'invitee_user_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('referrals').execute()
  await db.schema.dropTable('member_invites').execute()
  await db.schema.dropTable('group_members').execute()
  await db.schema.dropIndex('groups_state_expires_idx').execute()
  await db.schema.dropTable('groups').execute()
}
