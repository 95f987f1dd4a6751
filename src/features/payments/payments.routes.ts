import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, Money, NoContent, OrderAmount, Nullable, UserId, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { fromJson } from '../../db/database.ts'
import { formatInstant } from '../../domain/time.ts'
import { listedStore } from '../../principals.ts'
import { presentCoupon } from '../coupons/coupons.presenter.ts'
import {
  createPaymentRule,
  deletePaymentRule,
  findPayment,
  findPaymentRule,
  paymentOutcome,
  reportPayment,
  updatePaymentRule,
  type PaymentItem,
  type PaymentRow,
  type PaymentRuleRow,
} from './payments.service.ts'
import { findCouponsByIds, listPaymentRules, listPayments } from './payments.repository.ts'
import { PaymentItemSchema, PaymentRuleSchema, PaymentSchema } from './payments.schemas.ts'

const Id = Type.String({ minLength: 1, maxLength: 100 })
const PaymentBody = Type.Object(
  {
    order_id: Type.String({ minLength: 1, maxLength: 128, description: 'The merchant’s order id: an order is reported once' }),
    amount: OrderAmount,
    user_id: UserId,
    store_id: Type.Optional(Nullable(Id)),
    items: Type.Optional(Nullable(Type.Array(PaymentItemSchema, { maxItems: 500 }))),
  },
  { additionalProperties: false },
)
const RuleFields = { card_id: Id, min_amount: Money, active: Type.Optional(Type.Boolean()) }

function presentRule(rule: PaymentRuleRow, tz: string) {
  return {
    id: rule.id,
    card_id: rule.card_id,
    min_amount: rule.min_amount,
    active: rule.active === 1,
    created_at: formatInstant(rule.created_at, tz),
    updated_at: formatInstant(rule.updated_at, tz),
  }
}

/** A payment with the coupons it issued (as they are now, codes included) and the rules that could not issue. */
async function presentPayment(ctx: AppContext, payment: PaymentRow, tz: string) {
  const outcome = paymentOutcome(payment)
  const ids = outcome.coupons.map((c) => c.coupon_id)
  const coupons = await findCouponsByIds(ctx.database.db, payment.merchant_id, ids)
  const byId = new Map(coupons.map((coupon) => [coupon.id, coupon]))
  const now = ctx.clock.now()
  return {
    id: payment.id,
    order_id: payment.order_id,
    amount: payment.amount,
    user_id: payment.user_id,
    store_id: payment.store_id,
    items: payment.items === null ? null : fromJson<PaymentItem[]>(payment.items),
    created_at: formatInstant(payment.created_at, tz),
    coupons: outcome.coupons.flatMap((issued) => {
      const coupon = byId.get(issued.coupon_id)
      return coupon ? [{ rule_id: issued.rule_id, ...presentCoupon(coupon, tz, now, ctx.secrets) }] : []
    }),
    failures: outcome.failures,
  }
}

export async function paymentsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/payments',
    {
      config: { permission: 'redeem' },
      schema: {
        tags: ['payments'],
        summary: 'Report a paid order; coupons are issued by the issue-after-payment rules. The same order again answers 200 with the first payment',
        body: PaymentBody,
        response: responses({ 201: PaymentSchema, 200: { ...PaymentSchema, description: 'The order was reported before: the first payment' } }),
      },
    },
    async (request, reply) => {
      const principal = merchantOf(request)
      const { body } = request
      const { payment, created } = await reportPayment(ctx, principal, {
        orderId: body.order_id,
        amount: body.amount,
        userId: body.user_id,
        storeId: body.store_id ?? null,
        items: body.items ?? null,
      })
      return reply.code(created ? 201 : 200).send(await presentPayment(ctx, payment, principal.merchantTz))
    },
  )

  app.get(
    '/v1/payments',
    {
      schema: {
        tags: ['payments'],
        summary: 'Reported payments, newest first; a store-bound key lists its own store’s only',
        querystring: Type.Intersect([ListQuery, Type.Object({ user_id: Type.Optional(UserId), order_id: Type.Optional(Type.String({ maxLength: 128 })) })]),
        response: responses({ 200: listOf(PaymentSchema) }),
      },
    },
    async (request) => {
      const principal = merchantOf(request)
      const { merchantId, merchantTz } = principal
      const { query } = request
      const limit = query.limit ?? 50
      const filter = { storeId: listedStore(principal, null), userId: query.user_id, orderId: query.order_id, before: decodeCursor(query.cursor) }
      const rows = await listPayments(db, merchantId, filter, limit + 1)
      const listed = page(rows, limit, (row) => row)
      return { data: await Promise.all(listed.data.map((row) => presentPayment(ctx, row, merchantTz))), next_cursor: listed.next_cursor }
    },
  )

  app.get(
    '/v1/payments/:payment_id',
    { schema: { tags: ['payments'], summary: 'A payment and what it issued', params: IdParam('payment_id'), response: responses({ 200: PaymentSchema }) } },
    async (request) => {
      const principal = merchantOf(request)
      return presentPayment(ctx, await findPayment(db, principal, request.params.payment_id), principal.merchantTz)
    },
  )

  app.post(
    '/v1/payment-rules',
    {
      schema: {
        tags: ['payments'],
        summary: 'Issue a card after payments of at least min_amount (once per order)',
        body: Type.Object(RuleFields, { additionalProperties: false }),
        response: responses({ 201: PaymentRuleSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return reply.code(201).send(presentRule(await createPaymentRule(ctx, merchantId, request.body, idempotencyRefOf(request)), merchantTz))
    },
  )

  app.get(
    '/v1/payment-rules',
    {
      schema: {
        tags: ['payments'],
        summary: 'The issue-after-payment rules, oldest first',
        querystring: Type.Intersect([ListQuery, Type.Object({ active: Type.Optional(Type.Boolean()) })]),
        response: responses({ 200: listOf(PaymentRuleSchema) }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { query } = request
      const limit = query.limit ?? 50
      const rows = await listPaymentRules(db, merchantId, { active: query.active, after: decodeCursor(query.cursor) }, limit + 1)
      return page(rows, limit, (row) => presentRule(row, merchantTz))
    },
  )

  const RuleParams = Type.Object({ payment_rule_id: IdParam('payment_rule_id').properties.payment_rule_id })
  const ruleId = (request: { params: { payment_rule_id: string } }) => request.params.payment_rule_id

  app.get('/v1/payment-rules/:payment_rule_id', { schema: { tags: ['payments'], summary: 'An issue-after-payment rule', params: RuleParams, response: responses({ 200: PaymentRuleSchema }) } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    return presentRule(await findPaymentRule(db, merchantId, ruleId(request)), merchantTz)
  })

  app.patch(
    '/v1/payment-rules/:payment_rule_id',
    {
      schema: {
        tags: ['payments'],
        summary: 'Change a rule (card, minimum, active); orders already reported keep what they got',
        params: RuleParams,
        body: Type.Object(
          { card_id: Type.Optional(RuleFields.card_id), min_amount: Type.Optional(RuleFields.min_amount), active: RuleFields.active },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: responses({ 200: PaymentRuleSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentRule(await updatePaymentRule(ctx, merchantId, ruleId(request), request.body), merchantTz)
    },
  )

  app.delete(
    '/v1/payment-rules/:payment_rule_id',
    { schema: { tags: ['payments'], summary: 'Delete a rule', params: RuleParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await deletePaymentRule(ctx, merchantOf(request).merchantId, ruleId(request))
      return reply.code(204).send(null)
    },
  )
}
