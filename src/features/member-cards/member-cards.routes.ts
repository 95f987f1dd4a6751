import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { fromJson } from '../../db/database.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import { CreateMemberCardBody, type MemberCardInput } from './member-cards.schemas.ts'
import { createMemberCard, findMemberCard, presentMemberCard, setMemberCardStatus } from './member-cards.service.ts'

export async function memberCardsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/member-cards',
    { schema: { tags: ['member cards'], summary: 'Create a member card: face, up to 5 levels with their benefits, earning, expiry and stored-value rules', body: CreateMemberCardBody } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await createMemberCard(ctx, merchantId, request.body as MemberCardInput, idempotencyRefOf(request))
      return reply.code(201).send(presentMemberCard(card, merchantTz, ctx.publicUrl))
    },
  )

  app.get('/v1/member-cards', { schema: { tags: ['member cards'], summary: 'List member cards, newest last', querystring: ListQuery } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const query = request.query as { limit?: number; cursor?: string }
    const limit = query.limit ?? 50
    const after = decodeCursor(query.cursor)
    let q = db.selectFrom('member_cards').selectAll().where('merchant_id', '=', merchantId)
    if (after) q = q.where('id', '>', after)
    const rows = await q.orderBy('id').limit(limit + 1).execute()
    return page(rows, limit, (row) => presentMemberCard({ row, terms: fromJson<MemberCardTerms>(row.terms) }, merchantTz, ctx.publicUrl))
  })

  app.get(
    '/v1/member-cards/:member_card_id',
    { schema: { tags: ['member cards'], summary: 'Get a member card', params: IdParam('member_card_id') }, config: { till: true } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentMemberCard(await findMemberCard(db, merchantId, (request.params as { member_card_id: string }).member_card_id), merchantTz, ctx.publicUrl)
    },
  )

  for (const [action, status] of [['pause', 'paused'], ['activate', 'active']] as const) {
    app.post(
      `/v1/member-cards/:member_card_id/${action}`,
      { schema: { tags: ['member cards'], summary: action === 'pause' ? 'Stop new members joining (members keep everything)' : 'Take new members again', params: IdParam('member_card_id') } },
      async (request) => {
        const { merchantId, merchantTz } = merchantOf(request)
        const card = await setMemberCardStatus(ctx, merchantId, (request.params as { member_card_id: string }).member_card_id, status)
        return presentMemberCard(card, merchantTz, ctx.publicUrl)
      },
    )
  }
}
