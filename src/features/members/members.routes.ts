import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, UserId, listOf, responses } from '../../http/schemas.ts'
import { FormatQuery, jsonOrCsv, sendJsonOrCsv } from '../../http/csv.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { membersInSegment } from '../member-analytics/member-analytics.service.ts'
import { SegmentName } from '../member-analytics/member-analytics.routes.ts'
import { fromJson } from '../../db/database.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import type { FeatureApp } from '../feature.ts'
import { findMemberWithCard, listMembers } from './members.repository.ts'
import { presentMember } from './members.presenter.ts'
import { JoinFields, MemberSchema, SignInSchema, UpdateProfileBody } from './members.schemas.ts'
import { joinMember, signIn, updateProfile } from './members.service.ts'

const MemberParams = IdParam('member_id')

/** The CSV of a list of members: its plain fields. */
const MEMBER_COLUMNS = ['id', 'member_card_id', 'user_id', 'member_number', 'level', 'growth', 'points_balance', 'stored_value_balance', 'joined_at'] as const

export async function membersRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/member-cards/:member_card_id/members',
    {
      schema: {
        tags: ['members'],
        summary: 'A user joins the member card (once): member number, first level, profile with consent',
        params: IdParam('member_card_id'),
        body: Type.Object({ user_id: UserId, ...JoinFields }, { additionalProperties: false }),
        response: responses({ 201: MemberSchema }),
      },
    },
    async (request, reply) => {
      const scope = merchantOf(request)
      const { body } = request
      const { member, card } = await joinMember(ctx, scope, request.params.member_card_id, {
        userId: body.user_id,
        profile: body.profile ?? {},
        // A merchant sending a profile confirms it collected the member's consent, unless it says otherwise.
        consent: body.consent ?? true,
        referrerMemberId: body.referrer_member_id ?? null,
        inviteCode: body.invite_code ?? null,
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
        summary: 'List members, newest last; by member card, user, member number or RFM segment (each scored against its card’s thresholds)',
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({
            member_card_id: Type.Optional(Type.String({ maxLength: 100 })),
            user_id: Type.Optional(Type.String({ maxLength: 128 })),
            member_number: Type.Optional(Type.String({ maxLength: 50 })),
            segment: Type.Optional(SegmentName),
            ...FormatQuery,
          }),
        ]),
        response: responses({ 200: jsonOrCsv(listOf(MemberSchema), 'The rows of `data` (this page), one member per line') }),
      },
      config: { till: true },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { query } = request
      const limit = query.limit ?? 50
      const filter = { memberCardId: query.member_card_id, userId: query.user_id, memberNumber: query.member_number }
      const after = decodeCursor(query.cursor)
      const rows =
        query.segment === undefined
          ? await listMembers(db, merchantId, filter, after, limit + 1)
          : (await membersInSegment(ctx, merchantId, filter, query.segment, after, limit + 1)).map((scored) => scored.member)
      const body = page(rows, limit, ({ terms, ...member }) => presentMember(member, fromJson<MemberCardTerms>(terms), merchantTz))
      return sendJsonOrCsv(request, reply, body, { columns: MEMBER_COLUMNS, rows: (b) => b.data })
    },
  )

  app.get(
    '/v1/members/:member_id',
    { schema: { tags: ['members'], summary: 'Get a member with level, growth and balances', params: MemberParams, response: responses({ 200: MemberSchema }) }, config: { till: true } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { member, card } = await findMemberWithCard(db, merchantId, request.params.member_id)
      return presentMember(member, card.terms, merchantTz)
    },
  )

  app.patch(
    '/v1/members/:member_id',
    {
      schema: {
        tags: ['members'],
        summary: 'Add to or correct the member’s profile (with consent); a completed profile earns its points once',
        params: MemberParams,
        body: UpdateProfileBody,
        response: responses({ 200: MemberSchema }),
      },
    },
    async (request) => {
      const scope = merchantOf(request)
      const { body } = request
      const { member, card } = await updateProfile(ctx, scope, request.params.member_id, { profile: body.profile, consent: body.consent ?? true })
      return presentMember(member, card.terms, scope.merchantTz)
    },
  )

  app.post(
    '/v1/members/:member_id/sign-ins',
    { schema: { tags: ['members'], summary: 'The daily sign-in: its points once a day (409 already_signed_in)', params: MemberParams, response: responses({ 201: SignInSchema }) } },
    async (request, reply) => {
      const scope = merchantOf(request)
      const { entry, member } = await signIn(ctx, scope, request.params.member_id, idempotencyRefOf(request))
      return reply.code(201).send({ entry_id: entry.id, delta: entry.delta, points_balance: entry.balance_after, growth: member.growth })
    },
  )
}
