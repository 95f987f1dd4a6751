import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, parseInstant } from '../../domain/time.ts'
import { fromJson } from '../../db/database.ts'
import type { CardTerms, Validity } from '../../domain/types.ts'
import { CreateCardBody, UpdateCardBody, type CardInput } from './cards.schemas.ts'
import { changeCardStatus, changeStock, createCard, getCard, updateCard } from './cards.service.ts'
import type { CardWithTerms } from './cards.repository.ts'

/** A fixed range's instants in the merchant's zone, like every other timestamp the API returns. */
function presentValidity(validity: Validity, tz: string): Validity {
  if (validity.type !== 'fixed_range') return validity
  const inZone = (iso: string) => {
    const instant = parseInstant(iso)
    return instant === null ? iso : formatInstant(instant, tz)
  }
  return { ...validity, begin_at: inZone(validity.begin_at), end_at: inZone(validity.end_at) }
}

export function presentCard({ card, terms }: CardWithTerms, tz: string) {
  return {
    id: card.id,
    ...terms,
    validity: presentValidity(terms.validity, tz),
    status: card.status,
    version: card.version,
    /** Still to be issued (what `POST …/stock` changes). */
    stock: card.stock_remaining,
    stock_remaining: card.stock_remaining,
    issued_count: card.issued_count,
    get_limit: card.get_limit,
    code_type: card.code_type,
    stock_low_threshold: card.stock_low_threshold,
    remind_days_before: card.remind_days_before,
    created_at: formatInstant(card.created_at, tz),
    updated_at: formatInstant(card.updated_at, tz),
  }
}

const CardParams = IdParam('card_id')

export async function cardsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post('/v1/cards', { schema: { tags: ['cards'], summary: 'Create a card (coupon template)', body: CreateCardBody } }, async (request, reply) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const card = await createCard(ctx, merchantId, request.body as CardInput, idempotencyRefOf(request))
    return reply.code(201).send(presentCard(card, merchantTz))
  })

  app.get(
    '/v1/cards',
    {
      schema: {
        tags: ['cards'],
        summary: 'List cards, newest last',
        querystring: Type.Intersect([ListQuery, Type.Object({ status: Type.Optional(Type.String({ maxLength: 20 })) })]),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const query = request.query as { limit?: number; cursor?: string; status?: string }
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      let q = db
        .selectFrom('cards')
        .innerJoin('card_versions', (join) =>
          join
            .onRef('card_versions.merchant_id', '=', 'cards.merchant_id')
            .onRef('card_versions.card_id', '=', 'cards.id')
            .onRef('card_versions.version', '=', 'cards.version'),
        )
        .selectAll('cards')
        .select(['card_versions.id as version_id', 'card_versions.terms'])
        .where('cards.merchant_id', '=', merchantId)
      if (query.status) q = q.where('cards.status', '=', query.status)
      if (after) q = q.where('cards.id', '>', after)
      const rows = await q.orderBy('cards.id').limit(limit + 1).execute()
      return page(rows, limit, ({ version_id, terms, ...card }) =>
        presentCard({ card, versionId: version_id, terms: fromJson<CardTerms>(terms) }, merchantTz),
      )
    },
  )

  app.get('/v1/cards/:card_id', { schema: { tags: ['cards'], summary: 'Get a card with its stock', params: CardParams }, config: { till: true } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    return presentCard(await getCard(ctx, merchantId, (request.params as { card_id: string }).card_id), merchantTz)
  })

  app.patch(
    '/v1/cards/:card_id',
    { schema: { tags: ['cards'], summary: 'Change a card; changed terms become a new version, issued coupons keep theirs', params: CardParams, body: UpdateCardBody } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await updateCard(ctx, merchantId, (request.params as { card_id: string }).card_id, request.body as Partial<CardInput>)
      return presentCard(card, merchantTz)
    },
  )

  app.post(
    '/v1/cards/:card_id/stock',
    {
      schema: {
        tags: ['cards'],
        summary: 'Add to or take from the stock',
        params: CardParams,
        body: Type.Object({ delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await changeStock(ctx, merchantId, (request.params as { card_id: string }).card_id, (request.body as { delta: number }).delta, idempotencyRefOf(request))
      return presentCard(card, merchantTz)
    },
  )

  for (const action of ['activate', 'pause', 'end'] as const) {
    app.post(
      `/v1/cards/:card_id/${action}`,
      { schema: { tags: ['cards'], summary: `${action[0].toUpperCase()}${action.slice(1)} a card`, params: CardParams } },
      async (request) => {
        const { merchantId, merchantTz } = merchantOf(request)
        return presentCard(await changeCardStatus(ctx, merchantId, (request.params as { card_id: string }).card_id, action), merchantTz)
      },
    )
  }
}
