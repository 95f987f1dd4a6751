import type { AppContext } from '../../app-context.ts'
import { customerOf } from '../../http/auth.ts'
import { type CustomerPrincipal } from '../../principals.ts'
import { AppError } from '../../errors.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { DeviceHeaders, IdParam, ListQuery, listOf, responses } from '../../http/schemas.ts'
import { requestRiskSubject } from '../risk/risk-request.ts'
import { Type } from 'typebox'
import { formatInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import { findMemberCard, type MemberCard } from '../member-cards/member-cards.repository.ts'
import { CustomerMemberCardSchema } from '../member-cards/member-cards.schemas.ts'
import { presentMemberCardForCustomer } from '../member-cards/member-cards.service.ts'
import { listPointsEntries } from '../points/points.routes.ts'
import { listStoredValueEntries } from '../stored-value/stored-value.routes.ts'
import { listActiveRewards } from '../rewards/rewards.repository.ts'
import { ExchangeBody, NewExchangeSchema, WalletRewardSchema } from '../rewards/rewards.schemas.ts'
import { exchangeReward } from '../rewards/rewards.service.ts'
import { presentExchange, presentReward } from '../rewards/rewards.presenter.ts'
import { findMemberOfCard, findUserMember, listUserMembers, type MemberRow, type MemberWithCard } from './members.repository.ts'
import { findNextExpiringPoints } from '../points/points.repository.ts'
import { presentMember } from './members.presenter.ts'
import { JoinFields, PointsEntrySchema, SignInSchema, StoredValueEntrySchema, UpdateProfileBody, WalletMemberSchema } from './members.schemas.ts'
import { joinMember, signIn, updateProfile, type MerchantScope } from './members.service.ts'

const customerOnly = { auth: 'customer' as const }
const MemberParams = IdParam('member_id')
/** How many of the latest stored-value movements the wallet shows with the balance. */
const RECENT_ENTRIES = 20

function scopeOf(customer: CustomerPrincipal): MerchantScope {
  return { merchantId: customer.merchantId, merchantTz: customer.merchantTz }
}

/** One of the customer's own memberships; anyone else's reads as not found. */
async function ownMember(ctx: AppContext, customer: CustomerPrincipal, memberId: string): Promise<MemberWithCard> {
  const { db } = ctx.database
  const member = await findUserMember(db, customer.merchantId, customer.userId, memberId)
  if (!member) throw new AppError('member_not_found', 'You have no membership with this id.')
  return { member, card: await findMemberCard(db, customer.merchantId, member.member_card_id) }
}

/**
 * A membership as its member sees it: card, level and benefits, points (and the next points to expire),
 * and, as single-purpose prepaid cards must show, the stored-value balance, its latest movements and the
 * published refund rule.
 */
export async function presentWalletMember(ctx: AppContext, member: MemberRow, card: MemberCard, tz: string) {
  const { db } = ctx.database
  const expiring = await findNextExpiringPoints(db, member.merchant_id, member.id)
  const storedValue = card.terms.stored_value
  return {
    ...presentMember(member, card.terms, tz),
    card: presentMemberCardForCustomer(card),
    points_expiring: expiring ? { points: expiring.points, expires_at: formatInstant(expiring.expires_at, tz) } : null,
    stored_value: {
      enabled: storedValue.enabled,
      balance: member.stored_value_balance,
      refund_rule: storedValue.refund_rule,
      entries: storedValue.enabled ? (await listStoredValueEntries(db, member.merchant_id, member.id, { limit: RECENT_ENTRIES }, tz)).data : [],
    },
  }
}

/** The signed-in customer's memberships: join, see, sign in, fill the profile, exchange points. */
export async function membersWalletRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.get(
    '/v1/wallet/member-cards/:member_card_id',
    {
      config: customerOnly,
      schema: {
        tags: ['wallet'],
        summary: 'A member card to join (what a join link opens), and my membership if I have one',
        params: IdParam('member_card_id'),
        response: responses({ 200: Type.Object({ card: CustomerMemberCardSchema, member: Type.Union([WalletMemberSchema, Type.Null()]) }) }),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const card = await findMemberCard(db, customer.merchantId, request.params.member_card_id)
      const member = await findMemberOfCard(db, customer.merchantId, card.row.id, customer.userId)
      return { card: presentMemberCardForCustomer(card), member: member ? await presentWalletMember(ctx, member, card, customer.merchantTz) : null }
    },
  )

  app.post(
    '/v1/wallet/member-cards/:member_card_id/join',
    {
      config: customerOnly,
      schema: {
        tags: ['wallet'],
        summary: 'Join the member card as the signed-in customer (409 already_member)',
        params: IdParam('member_card_id'),
        headers: DeviceHeaders,
        body: Type.Object(JoinFields, { additionalProperties: false }),
        response: responses({ 201: WalletMemberSchema }),
      },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      // An empty body counts as no body: joining without a profile.
      const body = request.body ?? {}
      const { member, card } = await joinMember(ctx, scopeOf(customer), request.params.member_card_id, {
        userId: customer.userId,
        profile: body.profile ?? {},
        consent: body.consent ?? false,
        referrerMemberId: body.referrer_member_id ?? null,
        inviteCode: body.invite_code ?? null,
        requestRef: idempotencyRefOf(request),
        risk: requestRiskSubject(request),
      })
      return reply.code(201).send(await presentWalletMember(ctx, member, card, customer.merchantTz))
    },
  )

  app.get(
    '/v1/wallet/members',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'My memberships with this merchant, oldest first', response: responses({ 200: listOf(WalletMemberSchema) }) } },
    async (request) => {
      const customer = customerOf(request)
      const data = []
      for (const member of await listUserMembers(db, customer.merchantId, customer.userId)) {
        data.push(await presentWalletMember(ctx, member, await findMemberCard(db, customer.merchantId, member.member_card_id), customer.merchantTz))
      }
      return { data, next_cursor: null }
    },
  )

  app.get(
    '/v1/wallet/members/:member_id',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'One of my memberships', params: MemberParams, response: responses({ 200: WalletMemberSchema }) } },
    async (request) => {
      const customer = customerOf(request)
      const { member, card } = await ownMember(ctx, customer, request.params.member_id)
      return presentWalletMember(ctx, member, card, customer.merchantTz)
    },
  )

  app.patch(
    '/v1/wallet/members/:member_id',
    {
      config: customerOnly,
      schema: { tags: ['wallet'], summary: 'Fill in or correct my profile, with my consent', params: MemberParams, body: UpdateProfileBody, response: responses({ 200: WalletMemberSchema }) },
    },
    async (request) => {
      const customer = customerOf(request)
      const { member: own } = await ownMember(ctx, customer, request.params.member_id)
      const { member, card } = await updateProfile(ctx, scopeOf(customer), own.id, { profile: request.body.profile, consent: request.body.consent ?? false })
      return presentWalletMember(ctx, member, card, customer.merchantTz)
    },
  )

  app.get(
    '/v1/wallet/members/:member_id/points',
    {
      config: customerOnly,
      schema: { tags: ['wallet'], summary: 'My points ledger, newest first', params: MemberParams, querystring: ListQuery, response: responses({ 200: listOf(PointsEntrySchema) }) },
    },
    async (request) => {
      const customer = customerOf(request)
      const { member } = await ownMember(ctx, customer, request.params.member_id)
      return listPointsEntries(db, customer.merchantId, member.id, request.query, customer.merchantTz)
    },
  )

  app.get(
    '/v1/wallet/members/:member_id/stored-value',
    {
      config: customerOnly,
      schema: {
        tags: ['wallet'],
        summary: 'Every movement of my stored value, newest first',
        params: MemberParams,
        querystring: ListQuery,
        response: responses({ 200: listOf(StoredValueEntrySchema) }),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const { member } = await ownMember(ctx, customer, request.params.member_id)
      return listStoredValueEntries(db, customer.merchantId, member.id, request.query, customer.merchantTz)
    },
  )

  app.post(
    '/v1/wallet/members/:member_id/sign-in',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'Sign in for today’s points (409 already_signed_in)', params: MemberParams, response: responses({ 201: SignInSchema }) } },
    async (request, reply) => {
      const customer = customerOf(request)
      const { member: own } = await ownMember(ctx, customer, request.params.member_id)
      const { entry, member } = await signIn(ctx, scopeOf(customer), own.id, idempotencyRefOf(request))
      return reply.code(201).send({ entry_id: entry.id, delta: entry.delta, points_balance: entry.balance_after, growth: member.growth })
    },
  )

  app.get(
    '/v1/wallet/members/:member_id/rewards',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'The rewards my points can buy (积分商城)', params: MemberParams, response: responses({ 200: listOf(WalletRewardSchema) }) } },
    async (request) => {
      const customer = customerOf(request)
      const { member } = await ownMember(ctx, customer, request.params.member_id)
      const rows = await listActiveRewards(db, customer.merchantId, member.member_card_id)
      return {
        data: rows.map((row) => {
          const { card_id: _card, exchanged_count: _count, ...reward } = presentReward(row, customer.merchantTz)
          return { ...reward, affordable: member.points_balance >= row.points_cost && row.stock_remaining > 0 }
        }),
        next_cursor: null,
      }
    },
  )

  app.post(
    '/v1/wallet/members/:member_id/exchanges',
    {
      config: customerOnly,
      schema: { tags: ['wallet'], summary: 'Exchange my points for a reward', params: MemberParams, body: ExchangeBody, response: responses({ 201: NewExchangeSchema }) },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      const exchange = await exchangeReward(ctx, scopeOf(customer), request.params.member_id, request.body.reward_id, {
        userId: customer.userId,
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(201).send(presentExchange(ctx, exchange, customer.merchantTz))
    },
  )
}
