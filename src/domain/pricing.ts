// What a coupon takes off an order. Money is integer fen and all arithmetic is integer arithmetic.
//
// Rounding rule: a percentage discount is rounded DOWN to the fen (15% off 999 fen = 149 fen, not
// 149.85 → 150), so the merchant never gives more than it promised. Caps apply after rounding.
// A discount never exceeds the order amount.

import type { CardTerms, Result, Tier } from './types.ts'

export type PricingError = 'below_threshold' | 'order_amount_required'

export type DiscountResult = Result<{ discount_amount: number }, PricingError>

const ok = (discount_amount: number): DiscountResult => ({ ok: true, discount_amount })

const amountRequired = (why: string): DiscountResult => ({
  ok: false,
  error: 'order_amount_required',
  detail: `The order amount is required: ${why}.`,
})

const belowThreshold = (order: number, threshold: number): DiscountResult => ({
  ok: false,
  error: 'below_threshold',
  detail: `The order amount ${order} is below the threshold ${threshold}.`,
  params: { order_amount: order, threshold },
})

/** floor(amount * percent / 100) without floating point. */
export function percentOfFloor(amount: number, percent: number): number {
  const product = amount * percent
  return (product - (product % 100)) / 100
}

/** The tier with the highest least_cost the order reaches, or null. */
export function applicableTier(tiers: Tier[], orderAmount: number): Tier | null {
  let best: Tier | null = null
  for (const t of tiers) {
    if (t.least_cost <= orderAmount && (best === null || t.least_cost > best.least_cost)) best = t
  }
  return best
}

/**
 * The discount a coupon gives on an order (fen).
 * - cash: reduce_cost, at most the order; with least_cost the order must reach it.
 * - cash with tiers: the tier with the highest least_cost <= order applies; none reached → below_threshold.
 * - discount: floor(order * percent_off / 100), capped by max_discount; threshold as for cash.
 * - gift / groupon / general_coupon: 0 (not amount-based); a least_cost still has to be reached.
 * orderAmount null works only where no amount is needed (plain cash, or a non-cash card without a
 * threshold); otherwise order_amount_required. A least_cost of 0 is no threshold.
 * Throws on a negative or fractional orderAmount: the request schema rejects those.
 */
export function computeDiscount(terms: CardTerms, orderAmount: number | null): DiscountResult {
  if (orderAmount !== null && !(Number.isSafeInteger(orderAmount) && orderAmount >= 0)) {
    throw new RangeError('orderAmount must be a non-negative integer (fen)')
  }
  const threshold = terms.least_cost !== null && terms.least_cost > 0 ? terms.least_cost : null

  if (terms.type === 'cash' && terms.tiers !== null && terms.tiers.length > 0) {
    if (orderAmount === null) return amountRequired('this coupon has spending tiers')
    const tier = applicableTier(terms.tiers, orderAmount)
    if (tier === null) return belowThreshold(orderAmount, Math.min(...terms.tiers.map((t) => t.least_cost)))
    return ok(Math.min(tier.reduce_cost, orderAmount))
  }

  if (threshold !== null) {
    if (orderAmount === null) return amountRequired(`this coupon needs a spend of at least ${threshold}`)
    if (orderAmount < threshold) return belowThreshold(orderAmount, threshold)
  }

  switch (terms.type) {
    case 'cash': {
      const reduce = terms.reduce_cost ?? 0
      return ok(orderAmount === null ? reduce : Math.min(reduce, orderAmount))
    }
    case 'discount': {
      if (orderAmount === null) return amountRequired('this coupon takes a percentage off')
      let discount = percentOfFloor(orderAmount, terms.percent_off ?? 0)
      if (terms.max_discount !== null) discount = Math.min(discount, terms.max_discount)
      return ok(Math.min(discount, orderAmount))
    }
    case 'gift':
    case 'groupon':
    case 'general_coupon':
      return ok(0)
  }
}
