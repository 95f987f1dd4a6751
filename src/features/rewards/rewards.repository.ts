import { sql } from 'kysely'
import type { Db } from '../../db/database.ts'
import { AppError } from '../../errors.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import type { RewardExchangesTable, RewardStatus, RewardsTable } from './rewards.table.ts'

export type RewardRow = RewardsTable
export type RewardExchangeRow = RewardExchangesTable

export function rewardNotFound(): AppError {
  return new AppError('reward_not_found', 'There is no reward with this id.')
}

export async function findReward(db: Db, merchantId: string, rewardId: string): Promise<RewardRow> {
  const row = await db.selectFrom('rewards').selectAll().where('merchant_id', '=', merchantId).where('id', '=', rewardId).executeTakeFirst()
  if (!row) throw rewardNotFound()
  return row
}

export async function insertReward(tx: Db, row: RewardRow): Promise<void> {
  await tx.insertInto('rewards').values(row).execute()
}

/** A page of the merchant's rewards in id order after the cursor's id, of one member card if given. */
export function listRewards(db: Db, merchantId: string, memberCardId: string | undefined, after: string | null, limit: number): Promise<RewardRow[]> {
  let q = db.selectFrom('rewards').selectAll().where('merchant_id', '=', merchantId)
  if (memberCardId) q = q.where('member_card_id', '=', memberCardId)
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

/** The member card's catalogue as members see it: the active rewards, cheapest first. */
export function listActiveRewards(db: Db, merchantId: string, memberCardId: string): Promise<RewardRow[]> {
  return db
    .selectFrom('rewards')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('member_card_id', '=', memberCardId)
    .where('status', '=', 'active')
    .orderBy('points_cost')
    .orderBy('id')
    .execute()
}

/** Adds `delta` to the stock unless it would go below zero (then undefined). */
export function addRewardStock(tx: Db, merchantId: string, rewardId: string, delta: number, now: number): Promise<RewardRow | undefined> {
  return tx
    .updateTable('rewards')
    .set((eb) => ({ stock_remaining: eb('stock_remaining', '+', delta), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', rewardId)
    .where((eb) => eb(eb('stock_remaining', '+', delta), '>=', 0))
    .returningAll()
    .executeTakeFirst()
}

export async function updateRewardStatus(db: Db, merchantId: string, rewardId: string, status: RewardStatus, now: number): Promise<void> {
  await db.updateTable('rewards').set({ status, updated_at: now }).where('merchant_id', '=', merchantId).where('id', '=', rewardId).execute()
}

/**
 * Counts one more exchange of the reward by the member, unless they reached `limit`: false then. One
 * upsert, so parallel exchanges never pass the limit.
 */
export async function countMemberExchange(tx: Db, merchantId: string, rewardId: string, memberId: string, limit: number): Promise<boolean> {
  const allowance = await tx
    .insertInto('reward_member_counts')
    .values({ merchant_id: merchantId, reward_id: rewardId, member_id: memberId, exchanged: 1 })
    .onConflict((oc) =>
      oc
        .columns(['merchant_id', 'reward_id', 'member_id'])
        .doUpdateSet({ exchanged: sql`reward_member_counts.exchanged + 1` })
        .where('reward_member_counts.exchanged', '<', limit),
    )
    .returning('exchanged')
    .executeTakeFirst()
  return allowance !== undefined
}

/** Takes one unit of stock for an exchange, unless none is left (then undefined): a conditional decrement, never overselling. */
export function takeRewardStock(tx: Db, merchantId: string, rewardId: string, now: number): Promise<RewardRow | undefined> {
  return tx
    .updateTable('rewards')
    .set((eb) => ({ stock_remaining: eb('stock_remaining', '-', 1), exchanged_count: eb('exchanged_count', '+', 1), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', rewardId)
    .where('stock_remaining', '>', 0)
    .returningAll()
    .executeTakeFirst()
}

export async function insertExchange(tx: Db, row: RewardExchangeRow): Promise<void> {
  await tx.insertInto('reward_exchanges').values(row).execute()
}

/** The exchange an Idempotency-Key request made for this member. */
export function findExchangeByRequest(db: Db, merchantId: string, memberId: string, requestRef: string): Promise<RewardExchangeRow | undefined> {
  return db.selectFrom('reward_exchanges').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).where('member_id', '=', memberId).executeTakeFirst()
}

/** The points balance right after the exchange's points entry. */
export async function balanceAfterEntry(db: Db, merchantId: string, pointsEntryId: string): Promise<number> {
  const entry = await db.selectFrom('points_entries').select('balance_after').where('merchant_id', '=', merchantId).where('id', '=', pointsEntryId).executeTakeFirstOrThrow()
  return entry.balance_after
}

/** The coupon an exchange issued. */
export function findExchangeCoupon(db: Db, merchantId: string, couponId: string): Promise<CouponRow> {
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', couponId).executeTakeFirstOrThrow()
}

/** A page of the member's exchanges, newest first, before the cursor's id. */
export function listMemberExchanges(db: Db, merchantId: string, memberId: string, before: string | null, limit: number): Promise<RewardExchangeRow[]> {
  let q = db.selectFrom('reward_exchanges').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId)
  if (before) q = q.where('id', '<', before)
  return q.orderBy('id', 'desc').limit(limit).execute()
}

/** The pick-up an Idempotency-Key request made of the goods with this code. */
export function findPickUpByRequest(db: Db, merchantId: string, codeHash: string, requestRef: string): Promise<RewardExchangeRow | undefined> {
  return db.selectFrom('reward_exchanges').selectAll().where('merchant_id', '=', merchantId).where('pickup_request_ref', '=', requestRef).where('pickup_code_hash', '=', codeHash).executeTakeFirst()
}

/** Marks the goods with this pick-up code picked up, unless they were (then undefined). */
export function markPickedUp(tx: Db, merchantId: string, codeHash: string, requestRef: string | null, now: number): Promise<RewardExchangeRow | undefined> {
  return tx
    .updateTable('reward_exchanges')
    .set({ picked_up_at: now, pickup_request_ref: requestRef })
    .where((eb) => eb.and({ merchant_id: merchantId, pickup_code_hash: codeHash, picked_up_at: null }))
    .returningAll()
    .executeTakeFirst()
}

export async function pickUpCodeExists(db: Db, merchantId: string, codeHash: string): Promise<boolean> {
  const row = await db.selectFrom('reward_exchanges').select('id').where('merchant_id', '=', merchantId).where('pickup_code_hash', '=', codeHash).executeTakeFirst()
  return row !== undefined
}
