// Whether a coupon may be redeemed now, here, on this order, and for how much. The service loads
// the coupon, calls decideRedemption, and only then makes its conditional update.

import type { CardTerms, ProblemParams, Result } from './types.ts'
import { formatInstant, formatOptionalInstant, zonedParts } from './time.ts'
import { evaluateValidityWindow } from './validity.ts'
import { describeUsableHours, isWithinUsableHours, weekdayName } from './usable-hours.ts'
import { computeDiscount } from './pricing.ts'

export type CouponState = 'available' | 'redeemed' | 'expired' | 'voided' | 'gifting' | 'gifted' | 'locked'

/** What a coupon's state reads as at `now`: an available (or still locked) coupon past valid_until is expired. */
export function effectiveCouponState(c: { state: CouponState; valid_until: number }, now: number): CouponState {
  if ((c.state === 'available' || c.state === 'locked') && evaluateValidityWindow(now, Number.NEGATIVE_INFINITY, c.valid_until) === 'expired') {
    return 'expired'
  }
  return c.state
}

export type RedeemError =
  | 'voided'
  | 'coupon_gifting'
  | 'coupon_gifted'
  | 'coupon_locked'
  | 'already_redeemed'
  | 'expired'
  | 'not_yet_valid'
  | 'store_not_allowed'
  | 'outside_usable_hours'
  | 'below_threshold'
  | 'order_amount_required'

export interface RedemptionInput {
  coupon: {
    state: CouponState
    valid_from: number
    valid_until: number
    redeemed_at: number | null
    redeemed_store_id: string | null
  }
  terms: CardTerms
  /** The store where it is being redeemed, if known. */
  store: { id: string; timezone: string } | null
  merchantTz: string
  orderAmount: number | null
  now: number
}

const fail = (error: RedeemError, detail: string, params?: ProblemParams): Result<{ discount_amount: number }, RedeemError> => ({ ok: false, error, detail, params })

/**
 * Checks in this order, the first failure wins: voided, coupon_gifting, coupon_gifted, already_redeemed, expired, locked, not_yet_valid,
 * store_not_allowed, outside_usable_hours (store's zone, else merchant's), then the discount
 * (below_threshold, order_amount_required). Times in details are in the store's zone when known.
 */
export function decideRedemption(input: RedemptionInput): Result<{ discount_amount: number }, RedeemError> {
  const { coupon, terms, store, merchantTz, orderAmount, now } = input
  const tz = store?.timezone ?? merchantTz

  if (coupon.state === 'voided') return fail('voided', 'This coupon has been voided.')
  // A coupon being given away is held for its receiver; one given away lives on as the receiver's new code.
  if (coupon.state === 'gifting') return fail('coupon_gifting', 'This coupon is being given as a gift; it can be used once the gift is cancelled or returns.')
  if (coupon.state === 'gifted') return fail('coupon_gifted', 'This coupon was given away as a gift; its code no longer works.')

  if (coupon.state === 'redeemed') {
    const when = coupon.redeemed_at === null ? '' : ` at ${formatInstant(coupon.redeemed_at, tz)}`
    const where = coupon.redeemed_store_id === null ? '' : ` in store ${coupon.redeemed_store_id}`
    return fail('already_redeemed', `This coupon was already redeemed${when}${where}.`, {
      redeemed_at: formatOptionalInstant(coupon.redeemed_at, tz),
      store_id: coupon.redeemed_store_id,
    })
  }

  const window = evaluateValidityWindow(now, coupon.valid_from, coupon.valid_until)
  if (coupon.state === 'expired' || window === 'expired') {
    const validUntil = formatInstant(coupon.valid_until, tz)
    return fail('expired', `This coupon expired: it was valid until ${validUntil}.`, { valid_until: validUntil })
  }
  if (coupon.state === 'locked') return fail('coupon_locked', 'This coupon is locked: it becomes usable once enough friends have claimed it through its holder’s share link.')
  if (window === 'not_yet_valid') {
    const validFrom = formatInstant(coupon.valid_from, tz)
    return fail('not_yet_valid', `This coupon is not valid yet: it can be used from ${validFrom}.`, { valid_from: validFrom })
  }

  if (terms.store_ids.length > 0) {
    if (store === null) return fail('store_not_allowed', 'This coupon can only be used in certain stores; the store must be given.', { store_id: null })
    if (!terms.store_ids.includes(store.id)) return fail('store_not_allowed', `This coupon cannot be used in store ${store.id}.`, { store_id: store.id })
  }

  if (!isWithinUsableHours(terms.usable_hours, now, tz)) {
    const p = zonedParts(now, tz)
    const nowText = `${weekdayName(p.weekday)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
    const hours = terms.usable_hours ?? []
    return fail('outside_usable_hours', `This coupon cannot be used now (${nowText}); it can be used ${describeUsableHours(hours)}.`, { usable_hours: hours })
  }

  const discount = computeDiscount(terms, orderAmount)
  if (!discount.ok) return discount
  return { ok: true, discount_amount: discount.discount_amount }
}
