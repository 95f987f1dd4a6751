import { Type } from 'typebox'
import { pick } from '../../pick.ts'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { IdParam, Nullable, ORDER_AMOUNT_LIMIT, OrderAmount, PositiveMoney, responses } from '../../http/schemas.ts'
import { formatInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import { presentMember } from '../members/members.presenter.ts'
import { OrderRefundSchema, RecordedOrderSchema } from './member-orders.schemas.ts'
import { recordOrder, refundOrder, type MemberOrderRefundRow, type MemberOrderRow } from './member-orders.service.ts'

const OrderRef = Type.String({ minLength: 1, maxLength: 100, description: 'Your id of the order; an order is recorded once' })

function presentOrder(order: MemberOrderRow, tz: string) {
  return {
    ...pick(order, ['id', 'order_ref', 'member_id', 'store_id', 'redemption_id', 'order_amount']),
    stored_value_amount: order.stored_value_paid,
    ...pick(order, ['refunded_amount', 'points_earned', 'points_reversed', 'points_unrecovered', 'growth_earned']),
    created_at: formatInstant(order.created_at, tz),
  }
}

function presentRefund(refund: MemberOrderRefundRow, tz: string) {
  return {
    ...pick(refund, ['id', 'refund_ref', 'amount', 'points_reversed', 'points_unrecovered', 'growth_reversed', 'stored_value_returned']),
    created_at: formatInstant(refund.created_at, tz),
  }
}

/** The till: a member's purchase earns points and growth, may be paid with stored value, and may be refunded. */
export async function memberOrdersRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/members/:member_id/orders',
    {
      schema: {
        tags: ['members'],
        summary: 'Record a member’s purchase at the till: points and growth for order_amount, optionally paid with stored value',
        params: IdParam('member_id'),
        body: Type.Object(
          {
            order_ref: OrderRef,
            order_amount: { ...OrderAmount, description: `What the member paid, in fen: points and growth are earned on it. ${ORDER_AMOUNT_LIMIT}` },
            stored_value_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Fen of the order paid from stored value' })),
            store_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: RecordedOrderSchema, 200: { ...RecordedOrderSchema, description: 'The order_ref was already recorded: the first order, nothing moved' } }),
      },
      config: { permission: 'redeem' },
    },
    async (request, reply) => {
      const principal = merchantOf(request)
      const { body } = request
      const { order, member, replayed } = await recordOrder(ctx, principal, request.params.member_id, {
        orderRef: body.order_ref,
        orderAmount: body.order_amount,
        storedValueAmount: body.stored_value_amount ?? 0,
        storeId: body.store_id ?? null,
      })
      const tz = principal.merchantTz
      return reply.code(replayed ? 200 : 201).send({ ...presentOrder(order, tz), member: presentMember(member.member, member.card.terms, tz) })
    },
  )

  app.post(
    '/v1/members/:member_id/orders/:order_ref/refunds',
    {
      schema: {
        tags: ['members'],
        summary: 'Refund an order, in part or whole: its points and growth are taken back in proportion, its stored value returned',
        params: Type.Object({ member_id: Type.String({ minLength: 1, maxLength: 100 }), order_ref: OrderRef }),
        body: Type.Object(
          {
            refund_ref: Type.String({ minLength: 1, maxLength: 100, description: 'Your id of the refund; a refund is made once' }),
            amount: Type.Optional(PositiveMoney),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: OrderRefundSchema, 200: { ...OrderRefundSchema, description: 'The refund_ref was already refunded: the first refund, nothing moved' } }),
      },
      config: { permission: 'redeem' },
    },
    async (request, reply) => {
      const principal = merchantOf(request)
      const { params, body } = request
      const { refund, order, member, replayed } = await refundOrder(ctx, principal, params.member_id, params.order_ref, { refundRef: body.refund_ref, amount: body.amount ?? null })
      const tz = principal.merchantTz
      return reply.code(replayed ? 200 : 201).send({ ...presentRefund(refund, tz), order: presentOrder(order, tz), member: presentMember(member.member, member.card.terms, tz) })
    },
  )
}
