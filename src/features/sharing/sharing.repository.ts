import { sql } from 'kysely'
import type { Db, Tx } from '../../db/database.ts'
import type { ClaimLinkRow } from '../claim-links/claim-links.repository.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import type { CardSharesTable, ShareFriendsTable, ShareRewardGrantsTable } from './sharing.table.ts'

/** The sharer's share link of the card, if they shared it before. */
export async function findShareLink(db: Db | Tx, merchantId: string, cardId: string, sharerId: string): Promise<ClaimLinkRow | undefined> {
  return db.selectFrom('claim_links').selectAll().where('merchant_id', '=', merchantId).where('card_id', '=', cardId).where('shared_by', '=', sharerId).executeTakeFirst()
}

/** Inserts a share link unless the sharer has one for the card already (two first shares at once: one wins). */
export async function insertShareLinkUnlessExists(db: Db | Tx, row: ClaimLinkRow): Promise<void> {
  await db
    .insertInto('claim_links')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'shared_by']).where('shared_by', 'is not', null).doNothing())
    .execute()
}

/** Friends the user's share link of the card has brought (0 without a link). */
export async function shareFriendCount(db: Db | Tx, merchantId: string, cardId: string, sharerId: string): Promise<number> {
  const row = await db.selectFrom('claim_links').select('friend_count').where((eb) => eb.and({ merchant_id: merchantId, card_id: cardId, shared_by: sharerId })).executeTakeFirst()
  return Number(row?.friend_count ?? 0)
}

export async function insertShare(db: Db | Tx, row: CardSharesTable): Promise<void> {
  await db.insertInto('card_shares').values(row).execute()
}

/** Records a friend of the sharer on the card; false when they were counted already. */
export async function addShareFriend(tx: Db, row: ShareFriendsTable): Promise<boolean> {
  const result = await tx
    .insertInto('share_friends')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'sharer_id', 'friend_id']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

/**
 * Counts one more friend on the share link and answers the new count. The claim's own count on the link
 * (countClaim) already locks its row until commit, so on PostgreSQL the claims of one sharer's friends
 * take turns and each reads the count the one before it left.
 */
export async function addToFriendCount(tx: Db, merchantId: string, linkId: string): Promise<number> {
  const row = await tx
    .updateTable('claim_links')
    .set((eb) => ({ friend_count: eb('friend_count', '+', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', linkId)
    .returning('friend_count')
    .executeTakeFirstOrThrow()
  return Number(row.friend_count)
}

/** Claims a tier's reward for the sharer; false when it was granted already (the key allows one). */
export async function grantShareReward(tx: Db, row: ShareRewardGrantsTable): Promise<boolean> {
  const result = await tx
    .insertInto('share_reward_grants')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'sharer_id', 'friends']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export async function setGrantCoupon(tx: Db, key: { merchantId: string; cardId: string; sharerId: string; friends: number }, couponId: string): Promise<void> {
  await tx
    .updateTable('share_reward_grants')
    .set({ coupon_id: couponId })
    .where('merchant_id', '=', key.merchantId)
    .where('card_id', '=', key.cardId)
    .where('sharer_id', '=', key.sharerId)
    .where('friends', '=', key.friends)
    .execute()
}

/** Unlocks the holder's locked coupons of the card whose goal `friends` reaches; the coupons unlocked. */
export async function unlockCoupons(tx: Db, merchantId: string, cardId: string, userId: string, friends: number, now: number): Promise<CouponRow[]> {
  return tx
    .updateTable('coupons')
    .set({ state: 'available', updated_at: now })
    .where((eb) => eb.and({ merchant_id: merchantId, card_id: cardId, user_id: userId, state: 'locked' }))
    .where('unlock_after_friends', '<=', friends)
    .returningAll()
    .execute()
}

/** A member's profile name the sharer gave with consent to any of the merchant's member cards, if any. */
export async function sharerProfile(db: Db, merchantId: string, userId: string): Promise<unknown[]> {
  const rows = await db.selectFrom('members').select('profile').where('merchant_id', '=', merchantId).where('user_id', '=', userId).execute()
  return rows.map((r) => r.profile)
}

/** Savepoints inside the caller's transaction (`name` is ours, never user input: names cannot be bound). */
export async function savepoint(tx: Db, name: string, action: 'savepoint' | 'release' | 'rollback'): Promise<void> {
  const id = sql.raw(name)
  if (action === 'savepoint') await sql`savepoint ${id}`.execute(tx)
  else if (action === 'release') await sql`release savepoint ${id}`.execute(tx)
  else await sql`rollback to savepoint ${id}`.execute(tx)
}
