// Limits of a merchant's policy on what one order may be and what a member's balance may reach. They
// keep every amount far below 2^53 (where JavaScript numbers stop being exact) and PostgreSQL's bigint,
// so sums and BigInt products stay exact and a ledger always adds up to its balance.

import type { Result } from './types.ts'

/**
 * No limit may be set above this: 10^12 (¥10 billion in fen, a trillion points). Two such amounts add up
 * exactly, far below Number.MAX_SAFE_INTEGER (about 9 × 10^15).
 */
export const LIMIT_CEILING = 1_000_000_000_000

/** The limits a merchant's policy sets on amounts (fen) and balances. */
export interface AmountLimits {
  /** The largest order amount (fen) a till, order or payment may name. */
  max_order_amount: number
  max_points_balance: number
  /** In fen. */
  max_stored_value_balance: number
  /** The most gifts (转赠) one customer may send in a day (the merchant's zone); see docs/gifting.md. */
  max_gifts_per_user_day: number
}

export const DEFAULT_LIMITS: AmountLimits = Object.freeze({
  max_order_amount: 10_000_000, // ¥100,000
  max_points_balance: 100_000_000,
  max_stored_value_balance: 10_000_000, // ¥100,000
  max_gifts_per_user_day: 5,
})

/** Whether an order of `amount` fen is within the limit. */
export function decideOrderAmount(amount: number, limit: number): Result<object, 'order_amount_too_large'> {
  if (amount <= limit) return { ok: true }
  return { ok: false, error: 'order_amount_too_large', detail: `An order may be at most ${limit} fen under the merchant's policy; this one is ${amount}.` }
}

/**
 * Whether adding `delta` to `balance` stays within `limit`. Taking away (delta < 0) always does: a balance
 * above a limit that was lowered since can still be spent. Compared without adding, so an absurd delta
 * cannot round its way under the limit.
 */
export function decideBalanceMove(balance: number, delta: number, limit: number): Result<object, 'balance_limit_exceeded'> {
  if (delta <= 0 || delta <= limit - balance) return { ok: true }
  return { ok: false, error: 'balance_limit_exceeded', detail: `The balance may be at most ${limit} under the merchant's policy; it is ${balance}, and ${delta} more would pass it.` }
}
