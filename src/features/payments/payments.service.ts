import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import { ensureOrderAmountAllowed } from '../merchants/merchants.service.ts'
import { reachesStore, type MerchantPrincipal, type StoreBinding } from '../../principals.ts'
import { AppError } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import { issueCouponInTx } from '../coupons/coupons.service.ts'
import { findStore } from '../stores/stores.repository.ts'
import {
  activeRulesReachedBy,
  cardExists,
  deletePaymentRuleRow,
  findPaymentByOrder,
  findPaymentRow,
  findPaymentRuleRow,
  insertPaymentOnce,
  insertPaymentRule,
  savepoint,
  setPaymentOutcome,
  updatePaymentRuleRow,
  type PaymentRow,
  type PaymentRuleRow,
} from './payments.repository.ts'

export type { PaymentRow, PaymentRuleRow }

export interface PaymentItem {
  sku?: string
  name?: string
  quantity?: number
  amount?: number
}

export interface PaymentInput {
  orderId: string
  amount: number
  userId: string
  storeId: string | null
  items: PaymentItem[] | null
}

/** What a payment issued: one coupon per matching rule, or the reason a rule could not issue. */
export interface PaymentOutcome {
  coupons: { rule_id: string; card_id: string; coupon_id: string }[]
  failures: { rule_id: string; card_id: string; code: string; message: string }[]
}

/** The store the order was paid in: a till key's own store, else the one named (which must exist). */
async function resolveStore(db: Db, principal: MerchantPrincipal, storeId: string | null): Promise<string | null> {
  if (storeId !== null && !reachesStore(principal, storeId)) {
    throw new AppError('forbidden', `This key reports payments of store ${principal.storeId} only.`)
  }
  const id = storeId ?? principal.storeId
  if (id !== null && !(await findStore(db, principal.merchantId, id))) throw new AppError('store_not_found', `There is no store ${id}.`)
  return id
}

/**
 * A second report of an order must be the same order: a different amount or customer is a mistake to
 * surface. Another store's payment is not shown to a store-bound credential, only that the order is taken.
 */
function checkSameOrder(principal: StoreBinding, existing: PaymentRow, input: PaymentInput): PaymentRow {
  if (!reachesStore(principal, existing.store_id)) throw new AppError('order_conflict', `Order ${input.orderId} was already reported elsewhere; an order is reported once.`)
  if (existing.amount !== input.amount || existing.user_id !== input.userId) {
    throw new AppError(
      'order_conflict',
      `Order ${input.orderId} was already reported with amount ${existing.amount} for user ${existing.user_id}; an order is reported once.`,
    )
  }
  return existing
}

/**
 * Records a paid order and issues what the merchant's issue-after-payment rules (支付后自动发放) promise:
 * one coupon per active rule whose minimum the amount reaches, at most once per order and rule (the coupon's
 * source reference is `payment:<order_id>:<rule_id>`). A rule that cannot issue (no stock, the user's
 * limit, a card no longer active) is reported and never fails the payment. The same order reported again
 * returns the first payment (`created: false`) and issues nothing more.
 */
export async function reportPayment(ctx: AppContext, principal: MerchantPrincipal, input: PaymentInput): Promise<{ payment: PaymentRow; created: boolean }> {
  const { merchantId, merchantTz } = principal
  const storeId = await resolveStore(ctx.database.db, principal, input.storeId)
  const now = ctx.clock.now()
  return ctx.database.db.transaction().execute(async (tx) => {
    const existing = await findPaymentByOrder(tx, merchantId, input.orderId)
    if (existing) return { payment: checkSameOrder(principal, existing, input), created: false }
    await ensureOrderAmountAllowed(tx, merchantId, input.amount)
    const payment: PaymentRow = {
      id: newId('pay', now),
      merchant_id: merchantId,
      order_id: input.orderId,
      amount: input.amount,
      user_id: input.userId,
      store_id: storeId,
      items: input.items === null ? null : toJson(input.items),
      outcome: toJson({ coupons: [], failures: [] }),
      created_at: now,
    }
    if (!(await insertPaymentOnce(tx, payment))) {
      // The same order reported at the same moment by another request, which committed first.
      const first = await findPaymentByOrder(tx, merchantId, input.orderId)
      if (!first) throw new AppError('request_in_progress', 'This order is being reported by another request; retry shortly.')
      return { payment: checkSameOrder(principal, first, input), created: false }
    }

    const rules = await activeRulesReachedBy(tx, merchantId, input.amount)
    const outcome: PaymentOutcome = { coupons: [], failures: [] }
    for (const [i, rule] of rules.entries()) {
      // Each rule in a savepoint: a refused issue undoes its own partial writes (the user's allowance) only.
      const name = `payment_rule_${i}`
      await savepoint(tx, name, 'savepoint')
      try {
        const issued = await issueCouponInTx(
          ctx,
          tx,
          { merchantId, merchantTz, cardId: rule.card_id, userId: input.userId, source: 'payment', sourceRef: `payment:${input.orderId}:${rule.id}` },
          now,
        )
        await savepoint(tx, name, 'release')
        outcome.coupons.push({ rule_id: rule.id, card_id: rule.card_id, coupon_id: issued.coupon.id })
      } catch (error) {
        if (!(error instanceof AppError)) throw error
        await savepoint(tx, name, 'rollback')
        outcome.failures.push({ rule_id: rule.id, card_id: rule.card_id, code: error.code, message: error.detail })
      }
    }
    await setPaymentOutcome(tx, merchantId, payment.id, toJson(outcome))
    await recordEvent(tx, {
      merchantId,
      type: 'payment.received',
      data: { payment_id: payment.id, order_id: input.orderId, amount: input.amount, user_id: input.userId, store_id: storeId, ...outcome },
      now,
    })
    return { payment: { ...payment, outcome: toJson(outcome) }, created: true }
  })
}

export function paymentOutcome(payment: PaymentRow): PaymentOutcome {
  return fromJson<PaymentOutcome>(payment.outcome)
}

/** The payment, if the credential reaches it: one of another store is answered as unknown to a store-bound credential. */
export async function findPayment(db: Db, scope: Pick<MerchantPrincipal, 'merchantId' | 'storeId'>, paymentId: string): Promise<PaymentRow> {
  const row = await findPaymentRow(db, scope.merchantId, paymentId)
  if (!row || !reachesStore(scope, row.store_id)) throw new AppError('payment_not_found', 'There is no payment with this id.')
  return row
}

export async function findPaymentRule(db: Db, merchantId: string, ruleId: string): Promise<PaymentRuleRow> {
  const row = await findPaymentRuleRow(db, merchantId, ruleId)
  if (!row) throw new AppError('payment_rule_not_found', 'There is no payment rule with this id.')
  return row
}

async function requireCard(db: Db, merchantId: string, cardId: string): Promise<void> {
  if (!(await cardExists(db, merchantId, cardId))) throw new AppError('card_not_found', 'There is no card with this id.')
}

/** Makes an issue-after-payment rule; a retry of the Idempotency-Key request making it (`requestRef`) after a crash finds it. */
export async function createPaymentRule(ctx: AppContext, merchantId: string, input: { card_id: string; min_amount: number; active?: boolean }, requestRef: string | null = null): Promise<PaymentRuleRow> {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'payment_rules', merchantId, (id) => findPaymentRule(db, merchantId, id)), async () => {
    await requireCard(db, merchantId, input.card_id)
    const now = ctx.clock.now()
    const rule: PaymentRuleRow = {
      id: newId('prl', now),
      merchant_id: merchantId,
      card_id: input.card_id,
      min_amount: input.min_amount,
      active: input.active === false ? 0 : 1,
      created_at: now,
      updated_at: now,
      request_ref: requestRef,
    }
    await insertPaymentRule(db, rule)
    return rule
  })
}

export async function updatePaymentRule(ctx: AppContext, merchantId: string, ruleId: string, input: { card_id?: string; min_amount?: number; active?: boolean }): Promise<PaymentRuleRow> {
  const { db } = ctx.database
  await findPaymentRule(db, merchantId, ruleId)
  if (input.card_id !== undefined) await requireCard(db, merchantId, input.card_id)
  const changes: Partial<PaymentRuleRow> = { updated_at: ctx.clock.now() }
  if (input.card_id !== undefined) changes.card_id = input.card_id
  if (input.min_amount !== undefined) changes.min_amount = input.min_amount
  if (input.active !== undefined) changes.active = input.active ? 1 : 0
  await updatePaymentRuleRow(db, merchantId, ruleId, changes)
  return findPaymentRule(db, merchantId, ruleId)
}

export async function deletePaymentRule(ctx: AppContext, merchantId: string, ruleId: string): Promise<void> {
  await findPaymentRule(ctx.database.db, merchantId, ruleId)
  await deletePaymentRuleRow(ctx.database.db, merchantId, ruleId)
}
