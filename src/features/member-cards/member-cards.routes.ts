import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import type { FeatureApp } from '../feature.ts'
import { listMemberCards, withTerms } from './member-cards.repository.ts'
import { CreateMemberCardBody, MemberCardSchema } from './member-cards.schemas.ts'
import { createMemberCard, findMemberCard, joinUrl, presentMemberCard, setMemberCardStatus } from './member-cards.service.ts'
import { QR_FORMATS, QrQuery, sendQr } from '../claim-links/qr-image.ts'
import { QrImage } from '../claim-links/claim-links.schemas.ts'

export async function memberCardsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/member-cards',
    {
      schema: {
        tags: ['member cards'],
        summary: 'Create a member card: face, up to 5 levels with their benefits, earning, expiry and stored-value rules',
        body: CreateMemberCardBody,
        response: responses({ 201: MemberCardSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await createMemberCard(ctx, merchantId, request.body, idempotencyRefOf(request))
      return reply.code(201).send(presentMemberCard(card, merchantTz, ctx.publicUrl))
    },
  )

  app.get(
    '/v1/member-cards',
    { schema: { tags: ['member cards'], summary: 'List member cards, newest last', querystring: ListQuery, response: responses({ 200: listOf(MemberCardSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      const rows = await listMemberCards(db, merchantId, decodeCursor(request.query.cursor), limit + 1)
      return page(rows, limit, (row) => presentMemberCard(withTerms(row), merchantTz, ctx.publicUrl))
    },
  )

  app.get(
    '/v1/member-cards/:member_card_id',
    { schema: { tags: ['member cards'], summary: 'Get a member card', params: IdParam('member_card_id'), response: responses({ 200: MemberCardSchema }) }, config: { till: true } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentMemberCard(await findMemberCard(db, merchantId, request.params.member_card_id), merchantTz, ctx.publicUrl)
    },
  )

  for (const format of QR_FORMATS) {
    app.get(
      `/v1/member-cards/:member_card_id/qr.${format}`,
      {
        schema: {
          tags: ['member cards'],
          summary: `The join link (\`join_url\`) as a QR code (${format.toUpperCase()}), to print or show at the counter`,
          params: IdParam('member_card_id'),
          querystring: QrQuery,
          response: responses({ 200: QrImage(format) }),
        },
      },
      async (request, reply) => {
        const { merchantId } = merchantOf(request)
        const { row } = await findMemberCard(db, merchantId, request.params.member_card_id)
        // The join link of a card never changes; the image is the merchant's, so only their browser keeps it.
        return sendQr(reply, joinUrl(ctx.publicUrl, row.merchant_id, row.id), format, request.query.size ?? 512, 'private, max-age=86400')
      },
    )
  }

  for (const [action, status] of [['pause', 'paused'], ['activate', 'active']] as const) {
    app.post(
      `/v1/member-cards/:member_card_id/${action}`,
      {
        schema: {
          tags: ['member cards'],
          summary: action === 'pause' ? 'Stop new members joining (members keep everything)' : 'Take new members again',
          params: IdParam('member_card_id'),
          response: responses({ 200: MemberCardSchema }),
        },
      },
      async (request) => {
        const { merchantId, merchantTz } = merchantOf(request)
        const card = await setMemberCardStatus(ctx, merchantId, request.params.member_card_id, status)
        return presentMemberCard(card, merchantTz, ctx.publicUrl)
      },
    )
  }
}
