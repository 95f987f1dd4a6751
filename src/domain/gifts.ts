// Gifts (转赠), single hop: whether a coupon may be given, whether a gift may be accepted, and when a pending
// gift returns to its giver. WeChat removed gifting because gifts were abused in bulk, resold on a black
// market and passed on from hand to hand; each rule here closes one of those doors (docs/gifting.md).

import type { Result } from './types.ts'
import type { CouponState } from './redemption-rules.ts'
import { evaluateValidityWindow } from './validity.ts'

/** How long a gift waits for its receiver unless the giver says otherwise: one day. */
export const DEFAULT_GIFT_TTL_MS = 24 * 3_600_000
/** The shortest and longest wait a giver may ask for. */
export const MIN_GIFT_TTL_MS = 60_000
export const MAX_GIFT_TTL_MS = 7 * 24 * 3_600_000

export interface GiftSendInput {
  coupon: { state: CouponState; source: string; valid_until: number }
  /** The card's `can_gift` as the card says now (the merchant may stop gifting at any time). */
  canGift: boolean
  /** Gifts the giver sent today (merchant's zone), before this one. */
  sentToday: number
  /** The policy's max_gifts_per_user_day. */
  dailyLimit: number
  now: number
}

const refuse = (detail: string): Result<object, 'gift_not_allowed'> => ({ ok: false, error: 'gift_not_allowed', detail })

/**
 * Checks in this order, the first failure wins: the card allows gifts, the coupon was not itself a gift
 * (single hop), it is available now (not redeemed, expired, voided or already being given), and the giver
 * has gifts left today.
 */
export function decideGiftSend(input: GiftSendInput): Result<object, 'gift_not_allowed'> {
  const { coupon, now } = input
  if (!input.canGift) return refuse('This card’s coupons cannot be given as gifts.')
  if (coupon.source === 'gift') return refuse('A coupon received as a gift cannot be given on again.')
  if (coupon.state === 'gifting') return refuse('This coupon is already being given as a gift.')
  if (coupon.state !== 'available' || evaluateValidityWindow(now, Number.NEGATIVE_INFINITY, coupon.valid_until) === 'expired') {
    return refuse(`Only an available coupon can be given as a gift; this one is ${coupon.state === 'available' ? 'expired' : coupon.state}.`)
  }
  if (input.sentToday >= input.dailyLimit) return refuse(`Customers may send at most ${input.dailyLimit} gifts a day here.`)
  return { ok: true }
}

/**
 * When a gift sent now returns to its giver: after `ttlMs`, but never after the coupon itself expires, so a
 * coupon is never held by a pending gift past its validity.
 */
export function giftExpiresAt(now: number, validUntil: number, ttlMs: number = DEFAULT_GIFT_TTL_MS): number {
  return Math.min(now + ttlMs, validUntil + 1000)
}

export type GiftStatus = 'pending' | 'accepted' | 'cancelled' | 'returned'

export interface GiftAcceptInput {
  gift: { state: GiftStatus; giver_user_id: string; expires_at: number }
  receiverUserId: string
  now: number
}

/**
 * A gift is accepted once, by someone other than its giver, before it expires: a gift no longer pending
 * (accepted, cancelled, returned) or past `expires_at` is closed.
 */
export function decideGiftAccept(input: GiftAcceptInput): Result<object, 'gift_closed' | 'gift_not_allowed'> {
  const { gift, now } = input
  if (gift.state === 'accepted') return { ok: false, error: 'gift_closed', detail: 'This gift has already been accepted.' }
  if (gift.state === 'cancelled') return { ok: false, error: 'gift_closed', detail: 'The giver took this gift back.' }
  if (gift.state === 'returned' || gift.expires_at <= now) return { ok: false, error: 'gift_closed', detail: 'This gift expired and went back to the giver.' }
  if (gift.giver_user_id === input.receiverUserId) return refuse('You cannot accept your own gift; cancel it to keep the coupon.')
  return { ok: true }
}
