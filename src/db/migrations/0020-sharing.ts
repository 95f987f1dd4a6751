import { sql, type Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Channel tags, share links, share rewards and fission coupons (社交裂变).
 *
 * - Coupons and claim links carry the merchant's free `channel` and `campaign` tags (named `channel_tag`
 *   in the tables: `channel` already names how a redemption was made); a coupon claimed through a share
 *   link names its sharer (`shared_by`); a fission coupon keeps the number of friends it was issued
 *   locked behind (`unlock_after_friends`), so a later change of the card does not move its goal.
 * - A share link is a claim link with `shared_by`: one per sharer and card (unique), counting in
 *   `friend_count` the distinct friends who claimed through it.
 * - `card_shares` records each share (the share rate); `share_friends` holds one row per card, sharer and
 *   friend (the key makes a friend count once); `share_reward_grants` one row per card, sharer and tier
 *   (the key makes each reward issue once).
 * - Cards carry `share_rewards` (JSON tiers) and `unlock_after_friends`: issuing settings, not promised terms.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  for (const column of ['channel_tag', 'campaign', 'shared_by']) await db.schema.alterTable('coupons').addColumn(column, 'text').execute()
  await db.schema.alterTable('coupons').addColumn('unlock_after_friends', 'integer').execute()
  for (const column of ['channel_tag', 'campaign', 'shared_by']) await db.schema.alterTable('claim_links').addColumn(column, 'text').execute()
  await db.schema.alterTable('claim_links').addColumn('friend_count', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema
    .createIndex('claim_links_share_uq')
    .on('claim_links')
    .columns(['merchant_id', 'card_id', 'shared_by'])
    .unique()
    .where(sql.ref('shared_by'), 'is not', null)
    .execute()
  await db.schema.alterTable('cards').addColumn('share_rewards', t.json).execute()
  await db.schema.alterTable('cards').addColumn('unlock_after_friends', 'integer').execute()

  await db.schema
    .createTable('card_shares')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('claim_link_id', 'text', (c) => c.notNull())
    .addColumn('shared_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('card_shares_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('card_shares_card_time_idx').on('card_shares').columns(['merchant_id', 'card_id', 'shared_at']).execute()

  await db.schema
    .createTable('share_friends')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('sharer_id', 'text', (c) => c.notNull())
    .addColumn('friend_id', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text', (c) => c.notNull())
    .addColumn('claimed_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('share_friends_pk', ['merchant_id', 'card_id', 'sharer_id', 'friend_id'])
    .execute()

  await db.schema
    .createTable('share_reward_grants')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('sharer_id', 'text', (c) => c.notNull())
    .addColumn('friends', 'integer', (c) => c.notNull())
    .addColumn('reward_card_id', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text')
    .addColumn('granted_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('share_reward_grants_pk', ['merchant_id', 'card_id', 'sharer_id', 'friends'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['share_reward_grants', 'share_friends', 'card_shares']) await db.schema.dropTable(table).execute()
  for (const column of ['unlock_after_friends', 'share_rewards']) await db.schema.alterTable('cards').dropColumn(column).execute()
  await db.schema.dropIndex('claim_links_share_uq').execute()
  for (const column of ['friend_count', 'shared_by', 'campaign', 'channel_tag']) await db.schema.alterTable('claim_links').dropColumn(column).execute()
  for (const column of ['unlock_after_friends', 'shared_by', 'campaign', 'channel_tag']) await db.schema.alterTable('coupons').dropColumn(column).execute()
}
