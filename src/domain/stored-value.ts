// Stored value (储值): a prepaid balance in fen. Single-purpose prepaid cards are regulated: the merchant
// publishes its refund rule, the member sees it with the balance and every movement, and the balance
// never goes below zero.

import type { Result } from './types.ts'
import { percentOfFloor } from './pricing.ts'

/** The refund rule a merchant publishes with a member card that takes stored value. */
export interface StoredValueRefundRule {
  /** The rule in words, shown to members as published. */
  description: string
  /** Whether members may have unspent stored value paid back at all. */
  refundable: boolean
  /** A handling fee kept on a refund, in percent of the amount refunded, rounded down to the fen. */
  fee_percent: number
}

export interface StoredValueRefund {
  /** Taken off the balance. */
  amount: number
  /** Kept by the merchant under the rule. */
  fee: number
  /** Paid back to the member: amount − fee. */
  payout: number
}

/**
 * A refund of unspent stored value under the merchant's published rule: `requested` fen, or the whole
 * balance when null. The fee is rounded down, in the member's favour.
 */
export function decideStoredValueRefund(
  rule: StoredValueRefundRule,
  balance: number,
  requested: number | null,
): Result<{ refund: StoredValueRefund }, 'refund_not_allowed' | 'insufficient_balance'> {
  if (!rule.refundable) return { ok: false, error: 'refund_not_allowed', detail: `This card's stored value is not refundable: ${rule.description}` }
  const amount = requested ?? balance
  if (amount < 1 || amount > balance) {
    return { ok: false, error: 'insufficient_balance', detail: `The stored value balance is ${balance}; ${amount} cannot be refunded.` }
  }
  return { ok: true, refund: storedValueRefundOf(rule, amount) }
}

/** What refunding `amount` fen under the rule keeps and pays back: the fee rounded down, in the member's favour. */
export function storedValueRefundOf(rule: StoredValueRefundRule, amount: number): StoredValueRefund {
  const fee = percentOfFloor(amount, rule.fee_percent)
  return { amount, fee, payout: amount - fee }
}

