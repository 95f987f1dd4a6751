import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { IdParam, ListQuery, Nullable, UserId, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { findCouponByCode, findIssued, issueCoupon, voidCoupon } from './coupons.service.ts'
import { presentCoupon } from './coupons.presenter.ts'
import { listUserCoupons } from './coupons.repository.ts'
import { CouponLookupSchema, CouponSchema, CouponStateSchema, TagInputFields, tagsOf } from './coupons.schemas.ts'
import { maskedContactOf } from '../customers/customers.service.ts'

export async function couponsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/cards/:card_id/issue',
    {
      schema: {
        tags: ['coupons'],
        summary: 'Issue a coupon of this card to a user',
        params: IdParam('card_id'),
        body: Type.Object({ user_id: UserId, ...TagInputFields }, { additionalProperties: false }),
        response: responses({ 201: CouponSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { card_id } = request.params
      const { user_id } = request.body
      // The request's reference names the coupon, so that a retry after a crash finds it instead of issuing another.
      const sourceRefOf = (ref: string) => `api:${ref}`
      const requestRef = idempotencyRefOf(request)
      const tags = tagsOf(request.body)
      const issue = () => issueCoupon(ctx, { merchantId, merchantTz, cardId: card_id, userId: user_id, source: 'api', sourceRef: requestRef && sourceRefOf(requestRef), tags })
      const issued = await onceForRequest(requestRef, (ref) => findIssued(ctx, db, merchantId, sourceRefOf(ref)), issue)
      return reply.code(201).send(presentCoupon(issued.coupon, merchantTz, ctx.clock.now(), ctx.secrets, issued.code))
    },
  )

  app.get(
    '/v1/coupons/:code',
    { schema: { tags: ['coupons'], summary: 'Look a coupon up by its code, with its holder’s masked wallet contact', params: IdParam('code'), response: responses({ 200: CouponLookupSchema }) }, config: { till: true } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { coupon, code } = await findCouponByCode(ctx, merchantId, request.params.code)
      return { ...presentCoupon(coupon, merchantTz, ctx.clock.now(), ctx.secrets, code), customer_contact: await maskedContactOf(db, merchantId, coupon.user_id) }
    },
  )

  app.post(
    '/v1/coupons/:code/void',
    {
      schema: {
        tags: ['coupons'],
        summary: 'Void an available coupon',
        params: IdParam('code'),
        body: Type.Optional(Type.Object({ reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) }, { additionalProperties: false })),
        response: responses({ 200: CouponSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const coupon = await voidCoupon(ctx, merchantId, merchantTz, request.params.code, request.body?.reason ?? null)
      return presentCoupon(coupon, merchantTz, ctx.clock.now(), ctx.secrets)
    },
  )

  app.get(
    '/v1/users/:user_id/coupons',
    {
      schema: {
        tags: ['coupons'],
        summary: 'A user’s coupons with this merchant, newest first',
        params: Type.Object({ user_id: UserId }),
        querystring: Type.Intersect([ListQuery, Type.Object({ state: Type.Optional(CouponStateSchema), card_id: Type.Optional(Type.String({ maxLength: 100 })) })]),
        response: responses({ 200: listOf(CouponSchema) }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { user_id } = request.params
      const { query } = request
      const limit = query.limit ?? 50
      const now = ctx.clock.now()
      const rows = await listUserCoupons(db, merchantId, user_id, { state: query.state, cardId: query.card_id, now, before: decodeCursor(query.cursor), limit: limit + 1 })
      return page(rows, limit, (row) => presentCoupon(row, merchantTz, now, ctx.secrets))
    },
  )
}
