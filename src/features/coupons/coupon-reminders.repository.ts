import type { Db } from '../../db/database.ts'
import type { Json } from '../../db/json.ts'
import type { Language } from '../notifications/messages.ts'

const DAY = 86_400_000

/** The reminder settings cards use (a handful: 1, 3, 7 days…). */
export async function listRemindDaysInUse(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('cards').select('remind_days_before').distinct().where('remind_days_before', 'is not', null).execute()
  return rows.map((row) => row.remind_days_before as number)
}

export interface CouponToRemind {
  merchant_id: string
  id: string
  card_id: string
  user_id: string
  valid_until: number
  terms: Json
  timezone: string
  language: Language
}

/**
 * Available coupons not yet reminded, still valid (their last valid second has not passed) and expiring
 * within `days`, of cards reminding `days` before: an index range over coupons expiring within it.
 */
export function listCouponsToRemind(db: Db, days: number, now: number, limit: number): Promise<CouponToRemind[]> {
  return db
    .selectFrom('coupons')
    .innerJoin('cards', (join) => join.onRef('cards.merchant_id', '=', 'coupons.merchant_id').onRef('cards.id', '=', 'coupons.card_id'))
    .innerJoin('card_versions', (join) => join.onRef('card_versions.merchant_id', '=', 'coupons.merchant_id').onRef('card_versions.id', '=', 'coupons.card_version_id'))
    .innerJoin('merchants', 'merchants.id', 'coupons.merchant_id')
    .select(['coupons.merchant_id', 'coupons.id', 'coupons.card_id', 'coupons.user_id', 'coupons.valid_until', 'card_versions.terms', 'merchants.timezone', 'merchants.language'])
    .where('coupons.state', '=', 'available')
    .where('coupons.reminded_at', 'is', null)
    .where('coupons.valid_until', '>', now - 1000)
    .where('coupons.valid_until', '<=', now + days * DAY)
    .where('cards.remind_days_before', '=', days)
    .orderBy('coupons.valid_until')
    .limit(limit)
    .execute()
}

/** Marks a coupon reminded while it is still available; false when it was reminded or is no longer available. */
export async function markCouponReminded(tx: Db, merchantId: string, couponId: string, now: number): Promise<boolean> {
  const marked = await tx
    .updateTable('coupons')
    .set({ reminded_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', couponId)
    .where('state', '=', 'available')
    .where('reminded_at', 'is', null)
    .executeTakeFirst()
  return Number(marked.numUpdatedRows) === 1
}
