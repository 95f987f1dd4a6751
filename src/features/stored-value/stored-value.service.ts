import type { AppContext } from '../../app-context.ts'
import { decideStoredValueRefund, storedValueRefundOf, type StoredValueRefund, type StoredValueRefundRule } from '../../domain/stored-value.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import type { MerchantScope } from '../members/members.service.ts'
import { findMemberWithCard, lockMemberWithCard, type MemberWithCard } from '../members/members.repository.ts'
import { postingOnce, postOncePerSource } from '../ledger/ledger.ts'
import { findStoredValueEntryByRequest, postStoredValueInTx, STORED_VALUE_LEDGER, type StoredValueEntryRow } from './stored-value.ledger.ts'

function requireStoredValue({ card }: MemberWithCard): void {
  if (!card.terms.stored_value.enabled) throw new AppError('stored_value_not_enabled', 'This member card does not take stored value.')
}

/**
 * A top-up (positive delta, with the payment's reference) or a payment (negative delta) of stored value.
 * A payment reference tops up once: a repeat returns the first entry and moves nothing. The entry records
 * the Idempotency-Key request posting it (`requestRef`), so that a retry after a crash between the commit
 * and the stored response is answered with it, as the first time, instead of charging again.
 */
export async function changeStoredValue(
  ctx: AppContext,
  scope: MerchantScope,
  memberId: string,
  input: { delta: number; reason: string; paymentRef: string | null; requestRef?: string | null },
): Promise<{ entry: StoredValueEntryRow; replayed: boolean }> {
  if (input.delta === 0) throw validationFailed([{ field: 'delta', code: 'zero', message: 'must not be 0' }])
  const now = ctx.clock.now()
  const sourceRef = input.paymentRef === null ? null : `payment:${input.paymentRef}`
  const once = {
    merchantId: scope.merchantId,
    memberId,
    sourceRef,
    requestRef: input.requestRef,
    replaysSource: true,
    clash: () => new AppError('duplicate_payment_ref', 'This payment_ref was already used for another member.'),
    check: requireStoredValue,
  }
  return postOncePerSource(ctx.database, STORED_VALUE_LEDGER, once, async (tx, locked) => {
    const { entry } = await postStoredValueInTx(tx, {
      notifier: ctx.notifier,
      member: locked.member,
      delta: input.delta,
      type: input.delta > 0 ? 'top_up' : 'payment',
      reason: input.reason,
      paymentRef: input.paymentRef,
      sourceRef,
      requestRef: input.requestRef,
      now,
    })
    return entry
  })
}

/**
 * Pays unspent stored value back to the member under the card's published refund rule. A retry of the
 * same Idempotency-Key request (`requestRef`) after a crash is answered with the refund it made.
 */
export async function refundStoredValue(
  ctx: AppContext,
  scope: MerchantScope,
  memberId: string,
  input: { amount: number | null; reason: string; paymentRef: string | null; requestRef?: string | null },
): Promise<{ entry: StoredValueEntryRow; refund: StoredValueRefund }> {
  const now = ctx.clock.now()
  const { db } = ctx.database
  const refunded = async (ref: string) => {
    const entry = await findStoredValueEntryByRequest(db, scope.merchantId, memberId, ref)
    if (!entry) return undefined
    // Member cards' terms never change, so the rule that set the fee is the card's rule now.
    const { card } = await findMemberWithCard(db, scope.merchantId, memberId)
    return { entry, refund: storedValueRefundOf(card.terms.stored_value.refund_rule as StoredValueRefundRule, -entry.delta) }
  }
  return onceForRequest(input.requestRef, refunded, () => postingOnce(db, ctx.database.isUniqueViolation, async (tx) => {
    const locked = await lockMemberWithCard(tx, scope.merchantId, memberId)
    requireStoredValue(locked)
    const rule = locked.card.terms.stored_value.refund_rule
    if (rule === null) throw new AppError('refund_not_allowed', 'This member card publishes no refund rule.')
    const decided = decideStoredValueRefund(rule, locked.member.stored_value_balance, input.amount)
    if (!decided.ok) throw new AppError(decided.error, decided.detail)
    const { refund } = decided
    const { entry } = await postStoredValueInTx(tx, {
      notifier: ctx.notifier,
      member: locked.member,
      delta: -refund.amount,
      type: 'refund',
      reason: refund.fee > 0 ? `${input.reason} (fee ${refund.fee}, paid out ${refund.payout})` : input.reason,
      paymentRef: input.paymentRef,
      sourceRef: input.paymentRef === null ? null : `refund:${input.paymentRef}`,
      requestRef: input.requestRef,
      now,
    })
    return { entry, refund }
  }))
}
