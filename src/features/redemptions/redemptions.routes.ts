import { Type, type Static } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, Nullable, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { listedStore } from '../../principals.ts'
import { addressKey } from '../../rate-limit-rules.ts'
import { presentCoupon } from '../coupons/coupons.presenter.ts'
import { previewMemberAtTill } from '../member-orders/member-orders.service.ts'
import { checkRedemption, findRedemption, redeem, reverseRedemption, type RedemptionRow } from './redemptions.service.ts'
import { findRedeemedCode, listRedemptions } from './redemptions.repository.ts'
import { CheckSchema, RedeemBody, RedeemedSchema, RedemptionSchema, ReversedSchema } from './redemptions.schemas.ts'
import type { FeatureApp } from '../feature.ts'

type RedeemBodyType = Static<typeof RedeemBody>

function inputOf(body: RedeemBodyType, clientAddress: string) {
  return { code: body.code, storeId: body.store_id ?? null, orderAmount: body.order_amount ?? null, channel: body.channel ?? 'api', memberId: body.member_id ?? null, confirm: body.confirm ?? null, confirmer: body.confirmer ?? null, location: body.location ?? null, clientAddress }
}

export function presentRedemption(row: RedemptionRow, code: string, tz: string) {
  return {
    id: row.id,
    code,
    coupon_id: row.coupon_id,
    card_id: row.card_id,
    store_id: row.store_id,
    order_amount: row.order_amount,
    discount_amount: row.discount_amount,
    channel: row.channel,
    api_key_id: row.api_key_id,
    staff_id: row.staff_id,
    redeemed_at: formatInstant(row.redeemed_at, tz),
    reversed_at: formatOptionalInstant(row.reversed_at, tz),
    reversal_reason: row.reversal_reason,
  }
}

export async function redemptionsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/redemptions/check',
    {
      schema: { tags: ['redemptions'], summary: 'Preview what a code would take off an order, without redeeming it', body: RedeemBody, response: responses({ 200: CheckSchema }) },
      config: { permission: 'redeem' },
    },
    async (request) => {
      const principal = merchantOf(request)
      const input = inputOf(request.body, addressKey(request.ip))
      const decision = await checkRedemption(ctx, principal, input)
      const { coupon, code, terms } = decision.found
      const member = input.memberId ? await previewMemberAtTill(db, principal.merchantId, input.memberId, input.orderAmount, decision.discountAmount) : null
      return {
        redeemable: true,
        code,
        card_id: coupon.card_id,
        store_id: decision.store?.id ?? null,
        order_amount: input.orderAmount,
        discount_amount: decision.discountAmount,
        coupon: presentCoupon(coupon, principal.merchantTz, ctx.clock.now(), ctx.secrets, code),
        card: { type: terms.type, title: terms.title, notice: terms.notice, least_cost: terms.least_cost, reduce_cost: terms.reduce_cost, percent_off: terms.percent_off, max_discount: terms.max_discount, tiers: terms.tiers },
        ...(member ? { member } : {}),
      }
    },
  )

  app.post(
    '/v1/redemptions',
    {
      schema: { tags: ['redemptions'], summary: 'Redeem a code, exactly once (send an Idempotency-Key to retry safely)', body: RedeemBody, response: responses({ 201: RedeemedSchema }) },
      config: { permission: 'redeem' },
    },
    async (request, reply) => {
      const principal = merchantOf(request)
      const { redemption, code, member } = await redeem(ctx, principal, { ...inputOf(request.body, addressKey(request.ip)), requestRef: idempotencyRefOf(request) })
      return reply.code(201).send({ ...presentRedemption(redemption, code, principal.merchantTz), ...(member ? { member } : {}) })
    },
  )

  app.get(
    '/v1/redemptions/:redemption_id',
    { schema: { tags: ['redemptions'], summary: 'Get a redemption', params: IdParam('redemption_id'), response: responses({ 200: RedemptionSchema }) }, config: { till: true } },
    async (request) => {
      const principal = merchantOf(request)
      const row = await findRedemption(db, principal, request.params.redemption_id)
      return presentRedemption(row, ctx.secrets.decryptCode(await findRedeemedCode(db, principal.merchantId, row.coupon_id)), principal.merchantTz)
    },
  )

  app.get(
    '/v1/redemptions',
    {
      schema: {
        tags: ['redemptions'],
        summary: 'List redemptions, newest first; a store-bound key or clerk lists its own store’s only',
        querystring: Type.Object({ ...ListQuery.properties, store_id: Type.Optional(Type.String({ maxLength: 100 })), card_id: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: responses({ 200: listOf(RedemptionSchema) }),
      },
      config: { till: true },
    },
    async (request) => {
      const principal = merchantOf(request)
      const { merchantId, merchantTz } = principal
      const { query } = request
      const limit = query.limit ?? 50
      const filter = { storeId: listedStore(principal, query.store_id ?? null), cardId: query.card_id ?? null }
      const rows = await listRedemptions(db, merchantId, filter, decodeCursor(query.cursor), limit + 1)
      return page(rows, limit, ({ code_enc, ...row }) => presentRedemption(row, ctx.secrets.decryptCode(code_enc), merchantTz))
    },
  )

  app.post(
    '/v1/redemptions/:redemption_id/reverse',
    {
      schema: {
        tags: ['redemptions'],
        summary: 'Reverse a redemption once; the coupon is available again if still valid, else expired',
        params: IdParam('redemption_id'),
        body: Type.Optional(Type.Object({ reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) }, { additionalProperties: false })),
        response: responses({ 200: ReversedSchema }),
      },
      config: { permission: 'redeem' },
    },
    async (request) => {
      const principal = merchantOf(request)
      const { merchantTz } = principal
      const { redemption, coupon } = await reverseRedemption(ctx, principal, request.params.redemption_id, request.body?.reason ?? null, idempotencyRefOf(request))
      const code = ctx.secrets.decryptCode(coupon.code_enc)
      return { ...presentRedemption(redemption, code, merchantTz), coupon: presentCoupon(coupon, merchantTz, ctx.clock.now(), ctx.secrets, code) }
    },
  )
}
