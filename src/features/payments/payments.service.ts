import { sql } from 'kysely'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import type { PaymentRulesTable, PaymentsTable } from '../../db/schema.ts'
import type { MerchantPrincipal } from '../../principals.ts'
import { AppError } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import { issueCouponInTx } from '../coupons/coupons.service.ts'
import { findStore } from '../stores/stores.repository.ts'

export type PaymentRow = PaymentsTable
export type PaymentRuleRow = PaymentRulesTable

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
  if (principal.storeId !== null && storeId !== null && storeId !== principal.storeId) {
    throw new AppError('forbidden', `This key reports payments of store ${principal.storeId} only.`)
  }
  const id = storeId ?? principal.storeId
  if (id !== null && !(await findStore(db, principal.merchantId, id))) throw new AppError('store_not_found', `There is no store ${id}.`)
  return id
}

/** A second report of an order must be the same order: a different amount or customer is a mistake to surface. */
function checkSameOrder(existing: PaymentRow, input: PaymentInput): PaymentRow {
  if (existing.amount !== input.amount || existing.user_id !== input.userId) {
    throw new AppError(
      'order_conflict',
      `Order ${input.orderId} was already reported with amount ${existing.amount} for user ${existing.user_id}; an order is reported once.`,
    )
  }
  return existing
}

function findPaymentByOrder(db: Db, merchantId: string, orderId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('order_id', '=', orderId).executeTakeFirst()
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
    if (existing) return { payment: checkSameOrder(existing, input), created: false }
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
    const inserted = await tx.insertInto('payments').values(payment).onConflict((oc) => oc.columns(['merchant_id', 'order_id']).doNothing()).executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) {
      // The same order reported at the same moment by another request, which committed first.
      const first = await findPaymentByOrder(tx, merchantId, input.orderId)
      if (!first) throw new AppError('request_in_progress', 'This order is being reported by another request; retry shortly.')
      return { payment: checkSameOrder(first, input), created: false }
    }

    const rules = await tx
      .selectFrom('payment_rules')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('active', '=', 1)
      .where('min_amount', '<=', input.amount)
      .orderBy('id')
      .execute()
    const outcome: PaymentOutcome = { coupons: [], failures: [] }
    for (const [i, rule] of rules.entries()) {
      // Each rule in a savepoint: a refused issue undoes its own partial writes (the user's allowance) only.
      const savepoint = sql.raw(`payment_rule_${i}`)
      await sql`savepoint ${savepoint}`.execute(tx)
      try {
        const issued = await issueCouponInTx(
          ctx,
          tx,
          { merchantId, merchantTz, cardId: rule.card_id, userId: input.userId, source: 'payment', sourceRef: `payment:${input.orderId}:${rule.id}` },
          now,
        )
        await sql`release savepoint ${savepoint}`.execute(tx)
        outcome.coupons.push({ rule_id: rule.id, card_id: rule.card_id, coupon_id: issued.coupon.id })
      } catch (error) {
        if (!(error instanceof AppError)) throw error
        await sql`rollback to savepoint ${savepoint}`.execute(tx)
        outcome.failures.push({ rule_id: rule.id, card_id: rule.card_id, code: error.code, message: error.detail })
      }
    }
    await tx.updateTable('payments').set({ outcome: toJson(outcome) }).where('merchant_id', '=', merchantId).where('id', '=', payment.id).execute()
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

export async function findPayment(db: Db, merchantId: string, paymentId: string): Promise<PaymentRow> {
  const row = await db.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('id', '=', paymentId).executeTakeFirst()
  if (!row) throw new AppError('payment_not_found', 'There is no payment with this id.')
  return row
}

export async function findPaymentRule(db: Db, merchantId: string, ruleId: string): Promise<PaymentRuleRow> {
  const row = await db.selectFrom('payment_rules').selectAll().where('merchant_id', '=', merchantId).where('id', '=', ruleId).executeTakeFirst()
  if (!row) throw new AppError('payment_rule_not_found', 'There is no payment rule with this id.')
  return row
}

async function requireCard(db: Db, merchantId: string, cardId: string): Promise<void> {
  const card = await db.selectFrom('cards').select('id').where('merchant_id', '=', merchantId).where('id', '=', cardId).executeTakeFirst()
  if (!card) throw new AppError('card_not_found', 'There is no card with this id.')
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
    await db.insertInto('payment_rules').values(rule).execute()
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
  await db.updateTable('payment_rules').set(changes).where('merchant_id', '=', merchantId).where('id', '=', ruleId).execute()
  return findPaymentRule(db, merchantId, ruleId)
}

export async function deletePaymentRule(ctx: AppContext, merchantId: string, ruleId: string): Promise<void> {
  await findPaymentRule(ctx.database.db, merchantId, ruleId)
  await ctx.database.db.deleteFrom('payment_rules').where('merchant_id', '=', merchantId).where('id', '=', ruleId).execute()
}
