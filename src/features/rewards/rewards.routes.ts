import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import type { FeatureApp } from '../feature.ts'
import { formatInstant } from '../../domain/time.ts'
import type { Secrets } from '../../ports/secrets.ts'
import { presentCoupon } from '../coupons/coupons.presenter.ts'
import { findMember } from '../members/members.repository.ts'
import { listMemberExchanges, listRewards } from './rewards.repository.ts'
import { CreateRewardBody, ExchangeBody, ExchangeSchema, NewExchangeSchema, RewardSchema } from './rewards.schemas.ts'
import { changeRewardStock, createReward, exchangeReward, findReward, pickUpExchange, setRewardStatus, type Exchange, type RewardExchangeRow, type RewardRow } from './rewards.service.ts'

export function presentReward(row: RewardRow, tz: string) {
  return {
    id: row.id,
    member_card_id: row.member_card_id,
    type: row.type,
    card_id: row.card_id,
    title: row.title,
    description: row.description,
    points_cost: row.points_cost,
    stock: row.stock_remaining,
    stock_remaining: row.stock_remaining,
    exchanged_count: row.exchanged_count,
    per_member_limit: row.per_member_limit,
    status: row.status,
    created_at: formatInstant(row.created_at, tz),
    updated_at: formatInstant(row.updated_at, tz),
  }
}

function presentExchangeRow(row: RewardExchangeRow, tz: string, secrets: Secrets) {
  return {
    id: row.id,
    reward_id: row.reward_id,
    member_id: row.member_id,
    points_cost: row.points_cost,
    coupon_id: row.coupon_id,
    pickup_code: row.pickup_code_enc === null ? null : secrets.decryptCode(row.pickup_code_enc),
    picked_up_at: row.picked_up_at === null ? null : formatInstant(row.picked_up_at, tz),
    created_at: formatInstant(row.created_at, tz),
  }
}

/** A new exchange: the coupon it issued (with its code) or the goods' pick-up code, and the points left. */
export function presentExchange(ctx: AppContext, { exchange, coupon, pointsBalance }: Exchange, tz: string) {
  return {
    ...presentExchangeRow(exchange, tz, ctx.secrets),
    coupon: coupon === null ? null : presentCoupon(coupon.row, tz, ctx.clock.now(), ctx.secrets, coupon.code),
    points_balance: pointsBalance,
  }
}

const RewardParams = IdParam('reward_id')

export async function rewardsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/rewards',
    {
      schema: {
        tags: ['rewards'],
        summary: 'Add a reward to a member card’s catalogue: a coupon of one of your cards (card_id) or goods (type goods, title)',
        body: CreateRewardBody,
        response: responses({ 201: RewardSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return reply.code(201).send(presentReward(await createReward(ctx, merchantId, request.body, idempotencyRefOf(request)), merchantTz))
    },
  )

  app.get(
    '/v1/rewards',
    {
      schema: {
        tags: ['rewards'],
        summary: 'List rewards, newest last',
        querystring: Type.Intersect([ListQuery, Type.Object({ member_card_id: Type.Optional(Type.String({ maxLength: 100 })) })]),
        response: responses({ 200: listOf(RewardSchema) }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { query } = request
      const limit = query.limit ?? 50
      const rows = await listRewards(db, merchantId, query.member_card_id, decodeCursor(query.cursor), limit + 1)
      return page(rows, limit, (row) => presentReward(row, merchantTz))
    },
  )

  app.get('/v1/rewards/:reward_id', { schema: { tags: ['rewards'], summary: 'Get a reward with its stock', params: RewardParams, response: responses({ 200: RewardSchema }) } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    return presentReward(await findReward(db, merchantId, request.params.reward_id), merchantTz)
  })

  app.post(
    '/v1/rewards/:reward_id/stock',
    {
      schema: {
        tags: ['rewards'],
        summary: 'Add to or take from a reward’s stock',
        params: RewardParams,
        body: Type.Object({ delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }) }, { additionalProperties: false }),
        response: responses({ 200: RewardSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const reward = await changeRewardStock(ctx, merchantId, request.params.reward_id, request.body.delta, idempotencyRefOf(request))
      return presentReward(reward, merchantTz)
    },
  )

  for (const [action, status] of [['pause', 'paused'], ['activate', 'active']] as const) {
    app.post(
      `/v1/rewards/:reward_id/${action}`,
      { schema: { tags: ['rewards'], summary: `${action === 'pause' ? 'Stop' : 'Restart'} exchanges of a reward`, params: RewardParams, response: responses({ 200: RewardSchema }) } },
      async (request) => {
        const { merchantId, merchantTz } = merchantOf(request)
        return presentReward(await setRewardStatus(ctx, merchantId, request.params.reward_id, status), merchantTz)
      },
    )
  }

  app.post(
    '/v1/members/:member_id/exchanges',
    {
      schema: {
        tags: ['rewards'],
        summary: 'Exchange points for a reward: points burned and coupon issued together, or neither (409 insufficient_points, out_of_stock)',
        params: IdParam('member_id'),
        body: ExchangeBody,
        response: responses({ 201: NewExchangeSchema }),
      },
    },
    async (request, reply) => {
      const scope = merchantOf(request)
      const exchange = await exchangeReward(ctx, scope, request.params.member_id, request.body.reward_id, { requestRef: idempotencyRefOf(request) })
      return reply.code(201).send(presentExchange(ctx, exchange, scope.merchantTz))
    },
  )

  app.get(
    '/v1/members/:member_id/exchanges',
    { schema: { tags: ['rewards'], summary: 'A member’s exchanges, newest first', params: IdParam('member_id'), querystring: ListQuery, response: responses({ 200: listOf(ExchangeSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const member = await findMember(db, merchantId, request.params.member_id)
      const limit = request.query.limit ?? 50
      const rows = await listMemberExchanges(db, merchantId, member.id, decodeCursor(request.query.cursor), limit + 1)
      return page(rows, limit, (row) => presentExchangeRow(row, merchantTz, ctx.secrets))
    },
  )

  app.post(
    '/v1/reward-exchanges/pick-up',
    {
      schema: {
        tags: ['rewards'],
        summary: 'Hand goods over against their pick-up code, once (409 already_picked_up)',
        body: Type.Object({ pickup_code: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
        response: responses({ 200: ExchangeSchema }),
      },
      config: { permission: 'redeem' },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const picked = await pickUpExchange(ctx, merchantId, request.body.pickup_code, idempotencyRefOf(request))
      return presentExchangeRow(picked, merchantTz, ctx.secrets)
    },
  )
}
