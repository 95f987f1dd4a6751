import { sql } from 'kysely'
import type { Db, Tx } from '../../db/database.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import type { GiftsTable, GiftState } from './gifts.table.ts'

export type GiftRow = GiftsTable

export async function insertGift(db: Db | Tx, row: GiftRow): Promise<void> {
  await db.insertInto('gifts').values(row).execute()
}

export async function findGift(db: Db | Tx, merchantId: string, id: string): Promise<GiftRow | undefined> {
  return db.selectFrom('gifts').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst()
}

/** A gift by the hash of its public token, whichever merchant it belongs to. */
export async function findGiftWithTokenHash(db: Db | Tx, tokenHash: string): Promise<GiftRow | undefined> {
  return db.selectFrom('gifts').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
}

/** The latest gift of a coupon (a coupon has at most one pending gift: only an available coupon is given). */
export async function findLatestGiftOfCoupon(db: Db | Tx, merchantId: string, couponId: string): Promise<GiftRow | undefined> {
  return db.selectFrom('gifts').selectAll().where('merchant_id', '=', merchantId).where('coupon_id', '=', couponId).orderBy('id', 'desc').limit(1).executeTakeFirst()
}

/** A page of the merchant's gifts in id order after the cursor's id, of one coupon (given or received) or one user (giving or receiving). */
export async function listGifts(db: Db, merchantId: string, filter: { couponId?: string; userId?: string; state?: GiftState; after: string | null; limit: number }): Promise<GiftRow[]> {
  let q = db.selectFrom('gifts').selectAll().where('merchant_id', '=', merchantId)
  const { couponId, userId } = filter
  if (couponId) q = q.where((eb) => eb.or([eb('coupon_id', '=', couponId), eb('received_coupon_id', '=', couponId)]))
  if (userId) q = q.where((eb) => eb.or([eb('giver_user_id', '=', userId), eb('receiver_user_id', '=', userId)]))
  if (filter.state) q = q.where('state', '=', filter.state)
  if (filter.after) q = q.where('id', '>', filter.after)
  return q.orderBy('id').limit(filter.limit).execute()
}

/**
 * Counts one more gift sent by the user on the day, unless `limit` are sent already: one conditional upsert,
 * so parallel gifts never pass the merchant's daily limit. False, with nothing written, when it is reached.
 */
export async function takeFromDailyGifts(tx: Db, merchantId: string, userId: string, day: string, limit: number): Promise<boolean> {
  if (limit <= 0) return false
  const counted = await tx
    .insertInto('gift_user_days')
    .values({ merchant_id: merchantId, user_id: userId, day, sent: 1 })
    .onConflict((oc) => oc.columns(['merchant_id', 'user_id', 'day']).doUpdateSet({ sent: sql`gift_user_days.sent + 1` }).where('gift_user_days.sent', '<', limit))
    .returning('sent')
    .executeTakeFirst()
  return counted !== undefined
}

export async function giftsSentOn(db: Db, merchantId: string, userId: string, day: string): Promise<number> {
  const row = await db.selectFrom('gift_user_days').select('sent').where('merchant_id', '=', merchantId).where('user_id', '=', userId).where('day', '=', day).executeTakeFirst()
  return row?.sent ?? 0
}

/** Moves a coupon from one state to another if it is still in the first; the updated row, or undefined. */
export async function moveCouponState(tx: Db, merchantId: string, couponId: string, from: CouponRow['state'], to: CouponRow['state'], now: number): Promise<CouponRow | undefined> {
  return tx
    .updateTable('coupons')
    .set({ state: to, updated_at: now })
    .where((eb) => eb.and({ merchant_id: merchantId, id: couponId, state: from }))
    .returningAll()
    .executeTakeFirst()
}

/** Puts an available coupon, still within its validity, on hold for a gift; undefined when it no longer is. */
export async function holdCouponForGift(tx: Db, merchantId: string, couponId: string, now: number): Promise<CouponRow | undefined> {
  return tx
    .updateTable('coupons')
    .set({ state: 'gifting', updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', couponId)
    .where('state', '=', 'available')
    // valid_until is the last valid second.
    .where('valid_until', '>', now - 1000)
    .returningAll()
    .executeTakeFirst()
}

/**
 * Closes a pending gift (accepted by a receiver, cancelled, returned), if it is still pending; for an
 * acceptance only before it expires. The closed row, or undefined when another closing came first.
 */
export async function closeGift(
  tx: Db,
  merchantId: string,
  giftId: string,
  change: { state: Exclude<GiftState, 'pending'>; now: number; receiverUserId?: string; receivedCouponId?: string; unexpiredAt?: number },
): Promise<GiftRow | undefined> {
  let q = tx
    .updateTable('gifts')
    .set({ state: change.state, closed_at: change.now, receiver_user_id: change.receiverUserId ?? null, received_coupon_id: change.receivedCouponId ?? null })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', giftId)
    .where('state', '=', 'pending')
  if (change.unexpiredAt !== undefined) q = q.where('expires_at', '>', change.unexpiredAt)
  return q.returningAll().executeTakeFirst()
}

/** Pending gifts whose time ran out (any merchant's), oldest first, with their merchant's zone. */
export async function giftsDueToReturn(db: Db, now: number, limit: number): Promise<(GiftRow & { timezone: string })[]> {
  return db
    .selectFrom('gifts')
    .innerJoin('merchants', 'merchants.id', 'gifts.merchant_id')
    .selectAll('gifts')
    .select('merchants.timezone')
    .where('gifts.state', '=', 'pending')
    .where('gifts.expires_at', '<=', now)
    .orderBy('gifts.expires_at')
    .limit(limit)
    .execute()
}
