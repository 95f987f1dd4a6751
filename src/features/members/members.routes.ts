import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, UserId } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { fromJson } from '../../db/database.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import { findMemberWithCard } from './members.repository.ts'
import { presentMember } from './members.presenter.ts'
import { JoinFields, UpdateProfileBody, type JoinBody } from './members.schemas.ts'
import { joinMember, signIn, updateProfile } from './members.service.ts'

const MemberParams = IdParam('member_id')

export async function membersRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/member-cards/:member_card_id/members',
    {
      schema: {
        tags: ['members'],
        summary: 'A user joins the member card (once): member number, first level, profile with consent',
        params: IdParam('member_card_id'),
        body: Type.Object({ user_id: UserId, ...JoinFields }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const scope = merchantOf(request)
      const body = request.body as JoinBody & { user_id: string }
      const { member, card } = await joinMember(ctx, scope, (request.params as { member_card_id: string }).member_card_id, {
        userId: body.user_id,
        profile: body.profile ?? {},
        // A merchant sending a profile confirms it collected the member's consent, unless it says otherwise.
        consent: body.consent ?? true,
        referrerMemberId: body.referrer_member_id ?? null,
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(201).send(presentMember(member, card.terms, scope.merchantTz))
    },
  )

  app.get(
    '/v1/members',
    {
      schema: {
        tags: ['members'],
        summary: 'List members, newest last; by member card, user or member number',
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({
            member_card_id: Type.Optional(Type.String({ maxLength: 100 })),
            user_id: Type.Optional(Type.String({ maxLength: 128 })),
            member_number: Type.Optional(Type.String({ maxLength: 50 })),
          }),
        ]),
      },
      config: { till: true },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const query = request.query as { limit?: number; cursor?: string; member_card_id?: string; user_id?: string; member_number?: string }
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      let q = db
        .selectFrom('members')
        .innerJoin('member_cards', (join) => join.onRef('member_cards.merchant_id', '=', 'members.merchant_id').onRef('member_cards.id', '=', 'members.member_card_id'))
        .selectAll('members')
        .select('member_cards.terms')
        .where('members.merchant_id', '=', merchantId)
      if (query.member_card_id) q = q.where('members.member_card_id', '=', query.member_card_id)
      if (query.user_id) q = q.where('members.user_id', '=', query.user_id)
      if (query.member_number) q = q.where('members.member_number', '=', query.member_number)
      if (after) q = q.where('members.id', '>', after)
      const rows = await q.orderBy('members.id').limit(limit + 1).execute()
      return page(rows, limit, ({ terms, ...member }) => presentMember(member, fromJson<MemberCardTerms>(terms), merchantTz))
    },
  )

  app.get('/v1/members/:member_id', { schema: { tags: ['members'], summary: 'Get a member with level, growth and balances', params: MemberParams }, config: { till: true } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const { member, card } = await findMemberWithCard(db, merchantId, (request.params as { member_id: string }).member_id)
    return presentMember(member, card.terms, merchantTz)
  })

  app.patch(
    '/v1/members/:member_id',
    { schema: { tags: ['members'], summary: 'Add to or correct the member’s profile (with consent); a completed profile earns its points once', params: MemberParams, body: UpdateProfileBody } },
    async (request) => {
      const scope = merchantOf(request)
      const body = request.body as { profile: Record<string, string>; consent?: boolean }
      const { member, card } = await updateProfile(ctx, scope, (request.params as { member_id: string }).member_id, { profile: body.profile, consent: body.consent ?? true })
      return presentMember(member, card.terms, scope.merchantTz)
    },
  )

  app.post(
    '/v1/members/:member_id/sign-ins',
    { schema: { tags: ['members'], summary: 'The daily sign-in: its points once a day (409 already_signed_in)', params: MemberParams } },
    async (request, reply) => {
      const scope = merchantOf(request)
      const { entry, member } = await signIn(ctx, scope, (request.params as { member_id: string }).member_id, idempotencyRefOf(request))
      return reply.code(201).send({ entry_id: entry.id, delta: entry.delta, points_balance: entry.balance_after, growth: member.growth })
    },
  )
}
