import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import type { FeatureApp } from '../feature.ts'
import { findMember } from '../members/members.repository.ts'
import { listMemberExchanges, listRewards } from './rewards.repository.ts'
import { CreateRewardBody, ExchangeBody, ExchangeSchema, NewExchangeSchema, RewardSchema } from './rewards.schemas.ts'
import { presentExchange, presentExchangeRow, presentReward } from './rewards.presenter.ts'
import { changeRewardStock, createReward, exchangeReward, findReward, pickUpExchange, setRewardStatus } from './rewards.service.ts'

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
