import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { customerOf, merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { DeviceHeaders, IdParam, listOf, responses } from '../../http/schemas.ts'
import { requestRiskSubject } from '../risk/risk-request.ts'
import { effectiveGroupState, maskUserId, membersNeeded } from '../../domain/groups.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import type { FeatureApp } from '../feature.ts'
import { presentCardFace } from '../wallet/card-terms.ts'
import { listUserGroups } from './groups.repository.ts'
import { GroupSchema, WalletGroupSchema } from './groups.schemas.ts'
import { joinGroup, loadGroup, openGroup, type GroupWithMembers } from './groups.service.ts'

const customerOnly = { auth: 'customer' as const }
const GroupParams = IdParam('group_id')

/** The wallet's page of a group; it names the merchant so a friend who never used the wallet can sign in. */
export function groupUrl(publicUrl: string, merchantId: string, groupId: string): string {
  return `${publicUrl}/wallet/groups/${groupId}?merchant=${encodeURIComponent(merchantId)}`
}

function presentGroupFields(ctx: AppContext, { group }: GroupWithMembers, tz: string, now: number) {
  return {
    id: group.id,
    card_id: group.card_id,
    size: group.size,
    members: group.member_count,
    members_needed: effectiveGroupState(group, now) === 'open' ? membersNeeded(group) : 0,
    state: effectiveGroupState(group, now),
    expires_at: formatInstant(group.expires_at, tz),
    created_at: formatInstant(group.created_at, tz),
    closed_at: formatOptionalInstant(group.closed_at, tz),
    url: groupUrl(ctx.publicUrl, group.merchant_id, group.id),
  }
}

export function presentWalletGroup(ctx: AppContext, loaded: GroupWithMembers, customer: CustomerPrincipal, now: number) {
  const tz = customer.merchantTz
  const mine = loaded.members.find((m) => m.user_id === customer.userId)
  return {
    ...presentGroupFields(ctx, loaded, tz, now),
    joined: mine !== undefined,
    my_coupon_id: mine?.coupon_id ?? null,
    member_list: loaded.members.map((m) => ({
      user: m.user_id === customer.userId ? m.user_id : maskUserId(m.user_id),
      joined_at: formatInstant(m.joined_at, tz),
      opener: m.user_id === loaded.group.opened_by,
      me: m.user_id === customer.userId,
    })),
    card: presentCardFace(loaded.card.terms),
  }
}

function presentGroup(ctx: AppContext, loaded: GroupWithMembers, tz: string, now: number) {
  return {
    ...presentGroupFields(ctx, loaded, tz, now),
    opened_by: loaded.group.opened_by,
    member_list: loaded.members.map((m) => ({ user_id: m.user_id, joined_at: formatInstant(m.joined_at, tz), coupon_id: m.coupon_id })),
  }
}

export async function groupsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/wallet/cards/:card_id/groups',
    {
      config: customerOnly,
      schema: {
        tags: ['groups'],
        summary: 'Open a group (拼团) of a group card as its first member: the group’s coupons are held from stock until it fills or fails',
        params: IdParam('card_id'),
        headers: DeviceHeaders,
        response: responses({ 201: WalletGroupSchema }),
      },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      const opened = await openGroup(ctx, customer, request.params.card_id, idempotencyRefOf(request), requestRiskSubject(request))
      return reply.code(201).send(presentWalletGroup(ctx, opened, customer, ctx.clock.now()))
    },
  )

  app.post(
    '/v1/wallet/groups/:group_id/join',
    {
      config: customerOnly,
      schema: {
        tags: ['groups'],
        summary: 'Join a group; the member who fills it completes it and every member is issued one coupon at once (409 group_closed, already_in_group)',
        params: GroupParams,
        headers: DeviceHeaders,
        response: responses({ 200: WalletGroupSchema }),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const joined = await joinGroup(ctx, customer, request.params.group_id, idempotencyRefOf(request), requestRiskSubject(request))
      return presentWalletGroup(ctx, joined, customer, ctx.clock.now())
    },
  )

  app.get(
    '/v1/wallet/groups/:group_id',
    { config: customerOnly, schema: { tags: ['groups'], summary: 'A group as its page shows it: progress, deadline, members (masked)', params: GroupParams, response: responses({ 200: WalletGroupSchema }) } },
    async (request) => {
      const customer = customerOf(request)
      return presentWalletGroup(ctx, await loadGroup(db, customer.merchantId, request.params.group_id), customer, ctx.clock.now())
    },
  )

  app.get(
    '/v1/wallet/groups',
    {
      config: customerOnly,
      schema: {
        tags: ['groups'],
        summary: 'My groups, newest first (the latest 50), of one card when given',
        querystring: Type.Object({ card_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }),
        response: responses({ 200: listOf(WalletGroupSchema) }),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const now = ctx.clock.now()
      const data = []
      for (const group of await listUserGroups(db, customer.merchantId, customer.userId, request.query.card_id ?? null, 50)) {
        data.push(presentWalletGroup(ctx, await loadGroup(db, customer.merchantId, group.id), customer, now))
      }
      return { data, next_cursor: null }
    },
  )

  app.get(
    '/v1/groups/:group_id',
    { schema: { tags: ['groups'], summary: 'A group with its members and the coupons they got', params: GroupParams, response: responses({ 200: GroupSchema }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentGroup(ctx, await loadGroup(db, merchantId, request.params.group_id), merchantTz, ctx.clock.now())
    },
  )
}
