// Points: what a member earns, when points expire, and which points a burn takes. All arithmetic is
// integer arithmetic (BigInt where a product could pass 2^53), always rounded DOWN, so a member is never
// promised a fraction of a point and the merchant never gives more than its rule says.

import { percentOfFloor } from './pricing.ts'
import type { Result } from './types.ts'
import { addCalendarDays, localDate, zonedStartOfDay } from './time.ts'

/** Earning rules of a member card: points (or growth) per ¥1 spent and for behaviour. */
export interface EarningRules {
  per_yuan: number
  sign_in: number
  profile_completed: number
  referral: number
}

/** A level's multiplier such as 1.5 as an integer percent (150); null when it has more than two decimals. */
export function multiplierPercent(multiplier: number): number | null {
  const percent = Math.round(multiplier * 100)
  return Number.isFinite(multiplier) && multiplier >= 0 && Math.abs(multiplier * 100 - percent) < 1e-6 ? percent : null
}

/**
 * Points for spending `amount` fen at `perYuan` points per ¥1 (100 fen), times the level's multiplier in
 * percent: floor(amount × perYuan × percent / 10 000). ¥9.99 at 1 point per ¥1 earns 9 points.
 */
export function computeSpendPoints(amount: number, perYuan: number, percent = 100): number {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError('amount must be a non-negative integer (fen)')
  return Number((BigInt(amount) * BigInt(perYuan) * BigInt(percent)) / 10_000n)
}

/** What a member pays at the till (实付) for an order a coupon was used on, and the level's share of the discount. */
export interface PaidAtTill {
  /** The level's percent off what is left after the coupon, rounded down (the till applies it). */
  level_discount: number
  /** The order less the coupon's discount and the level's: what points and growth are earned on. */
  paid: number
}

/**
 * The member pays the order less the coupon's discount, less the level's percent off what is then left:
 * ¥128 with 满100减20 at 5% off pays 108 − 5.40 = ¥102.60. Points are earned on what is paid (1 元 实付
 * earns `per_yuan`), not on the order before its discounts.
 */
export function computePaidAtTill(orderAmount: number, couponDiscount: number, levelPercentOff: number): PaidAtTill {
  if (!Number.isSafeInteger(orderAmount) || orderAmount < 0) throw new RangeError('orderAmount must be a non-negative integer (fen)')
  const afterCoupon = Math.max(0, orderAmount - couponDiscount)
  const levelDiscount = percentOfFloor(afterCoupon, levelPercentOff)
  return { level_discount: levelDiscount, paid: afterCoupon - levelDiscount }
}

/** Growth for spending `amount` fen at `perYuan` growth per ¥1; no multiplier. */
export function computeSpendGrowth(amount: number, perYuan: number): number {
  return computeSpendPoints(amount, perYuan, 100)
}

/** What an order earned and what its refunds have taken back so far. */
export interface OrderAccount {
  order_amount: number
  refunded_amount: number
  points_earned: number
  /** Points accounted as reversed so far, including any that could not be recovered. */
  points_reversed: number
  growth_earned: number
  growth_reversed: number
  stored_value_paid: number
  stored_value_returned: number
}

export interface OrderRefund {
  /** Points to take off the balance now. */
  points: number
  /** Points the refund should take back but the member no longer has (already spent or expired). */
  points_unrecovered: number
  growth: number
  /** Growth to take back that the member's current growth count no longer holds (a review reset it). */
  growth_unrecovered: number
  /** Stored value paid for the order that goes back to the member's balance. */
  stored_value: number
}

/** The share of `total` that `part / whole` of the order stands for, rounded down. */
function shareOf(total: number, part: number, whole: number): number {
  return Number((BigInt(total) * BigInt(part)) / BigInt(whole))
}

/**
 * A refund of `amount` fen takes back the order's points, growth and stored value in proportion to what
 * has been refunded in all: after refunds totalling R of an order of A, floor(earned × R / A) have been
 * taken back, so a full refund takes back exactly what was earned however it was split. Points already
 * spent are not taken from later earnings: the balance never goes below zero and the rest is recorded as
 * unrecovered. Growth does not go below zero either.
 */
export function computeOrderRefund(
  order: OrderAccount,
  amount: number,
  member: { points_balance: number; growth: number },
): Result<{ refund: OrderRefund }, 'refund_exceeds_order'> {
  const refundable = order.order_amount - order.refunded_amount
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > refundable) {
    return { ok: false, error: 'refund_exceeds_order', detail: `At most ${refundable} of this order's ${order.order_amount} is left to refund.` }
  }
  const after = order.refunded_amount + amount
  const pointsDue = shareOf(order.points_earned, after, order.order_amount) - order.points_reversed
  const points = Math.min(pointsDue, member.points_balance)
  const growthDue = shareOf(order.growth_earned, after, order.order_amount) - order.growth_reversed
  const growth = Math.min(growthDue, member.growth)
  const storedValue = shareOf(order.stored_value_paid, after, order.order_amount) - order.stored_value_returned
  return { ok: true, refund: { points, points_unrecovered: pointsDue - points, growth, growth_unrecovered: growthDue - growth, stored_value: storedValue } }
}

/** When points earned at a moment expire, as the merchant's rule says. */
export type PointsExpiryRule =
  | { type: 'never' }
  /** At the end of the year they were earned in, or `years_after` years later (1 = the end of the next year). */
  | { type: 'end_of_year'; years_after: number }
  /** At the end of day number `days`, the day they were earned being day 1. */
  | { type: 'days'; days: number }

/**
 * The instant points earned at `earnedAt` expire (they are gone from that instant on), in the merchant's
 * zone, or null when they never expire. Points earned on 2026-06-01 under "end of the year after" are
 * good until 2027-12-31 23:59:59 and expire at 2028-01-01 00:00.
 */
export function computeLotExpiry(rule: PointsExpiryRule, earnedAt: number, tz: string): number | null {
  switch (rule.type) {
    case 'never':
      return null
    case 'end_of_year':
      return zonedStartOfDay(localDate(earnedAt, tz).year + rule.years_after + 1, 1, 1, tz)
    case 'days': {
      const dayAfterLast = addCalendarDays(localDate(earnedAt, tz), rule.days)
      return zonedStartOfDay(dayAfterLast.year, dayAfterLast.month, dayAfterLast.day, tz)
    }
  }
}

/** Points still held from one earning: they are spent and expire together. */
export interface PointsLot {
  id: string
  remaining: number
  /** Null: never expires. */
  expires_at: number | null
}

/** Soonest to expire first, never-expiring last; among equals the oldest (ids sort by creation). */
export function compareLots(a: PointsLot, b: PointsLot): number {
  if (a.expires_at !== b.expires_at) {
    if (a.expires_at === null) return 1
    if (b.expires_at === null) return -1
    return a.expires_at - b.expires_at
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export interface LotTake {
  id: string
  take: number
}

/**
 * Which lots a burn of `amount` points consumes: oldest first (soonest-expiring), after `firstLotId` when
 * given (a refund takes back the order's own points before any others).
 */
export function allocateBurn(lots: PointsLot[], amount: number, firstLotId?: string): Result<{ takes: LotTake[] }, 'insufficient_points'> {
  const ordered = lots.filter((lot) => lot.remaining > 0).sort(compareLots)
  const first = ordered.findIndex((lot) => lot.id === firstLotId)
  if (first > 0) ordered.unshift(...ordered.splice(first, 1))
  const held = ordered.reduce((sum, lot) => sum + lot.remaining, 0)
  if (amount > held) return { ok: false, error: 'insufficient_points', detail: `The member has ${held} points; ${amount} are needed.` }
  const takes: LotTake[] = []
  let left = amount
  for (const lot of ordered) {
    if (left === 0) break
    const take = Math.min(lot.remaining, left)
    takes.push({ id: lot.id, take })
    left -= take
  }
  return { ok: true, takes }
}

/** The lots that have expired by `now` and still hold points, and how many points that is. */
export function computeExpiry(lots: PointsLot[], now: number): { lots: PointsLot[]; points: number } {
  const due = lots.filter((lot) => lot.remaining > 0 && lot.expires_at !== null && lot.expires_at <= now).sort(compareLots)
  return { lots: due, points: due.reduce((sum, lot) => sum + lot.remaining, 0) }
}
