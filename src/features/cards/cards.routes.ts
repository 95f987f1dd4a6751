import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, parseInstant } from '../../domain/time.ts'
import type { Validity } from '../../domain/types.ts'
import { CardSchema, CreateCardBody, UpdateCardBody } from './cards.schemas.ts'
import { changeCardStatus, changeStock, createCard, getCard, updateCard } from './cards.service.ts'
import { listCardsWithTerms, shareRewardsOf, type CardWithTerms } from './cards.repository.ts'
import { CARD_STATUSES, type CardStatus } from './cards.table.ts'

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
    group: terms.group ?? null,
    status: card.status,
    version: card.version,
    /** Still to be issued (what `POST …/stock` changes). */
    stock: card.stock_remaining,
    stock_remaining: card.stock_remaining,
    issued_count: card.issued_count,
    get_limit: card.get_limit,
    code_type: card.code_type,
    code_format: card.code_format ?? 'alphanumeric',
    stock_low_threshold: card.stock_low_threshold,
    remind_days_before: card.remind_days_before,
    share_rewards: shareRewardsOf(card),
    unlock_after_friends: card.unlock_after_friends ?? null,
    created_at: formatInstant(card.created_at, tz),
    updated_at: formatInstant(card.updated_at, tz),
  }
}

const CardParams = IdParam('card_id')

const ListCardsQuery = Type.Intersect([ListQuery, Type.Object({ status: Type.Optional(Type.String({ maxLength: 20, description: 'Only cards of this status' })) })])

const cardStatusOf = (status: string): CardStatus | null => CARD_STATUSES.find((s) => s === status) ?? null

export async function cardsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/cards',
    { schema: { tags: ['cards'], summary: 'Create a card (coupon template)', body: CreateCardBody, response: responses({ 201: CardSchema }) } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await createCard(ctx, merchantId, request.body, idempotencyRefOf(request))
      return reply.code(201).send(presentCard(card, merchantTz))
    },
  )

  app.get(
    '/v1/cards',
    { schema: { tags: ['cards'], summary: 'List cards, newest last', querystring: ListCardsQuery, response: responses({ 200: listOf(CardSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      const after = decodeCursor(request.query.cursor)
      const status = request.query.status ? cardStatusOf(request.query.status) : undefined
      // A status no card has matches no card.
      if (status === null) return { data: [], next_cursor: null }
      const rows = await listCardsWithTerms(db, merchantId, { status, after, limit: limit + 1 })
      return page(rows, limit, (row) => presentCard(row, merchantTz))
    },
  )

  app.get(
    '/v1/cards/:card_id',
    { schema: { tags: ['cards'], summary: 'Get a card with its stock', params: CardParams, response: responses({ 200: CardSchema }) }, config: { till: true } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentCard(await getCard(ctx, merchantId, request.params.card_id), merchantTz)
    },
  )

  app.patch(
    '/v1/cards/:card_id',
    {
      schema: {
        tags: ['cards'],
        summary: 'Change a card; changed terms become a new version, issued coupons keep theirs',
        params: CardParams,
        body: UpdateCardBody,
        response: responses({ 200: CardSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await updateCard(ctx, merchantId, request.params.card_id, request.body)
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
        response: responses({ 200: CardSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const card = await changeStock(ctx, merchantId, request.params.card_id, request.body.delta, idempotencyRefOf(request))
      return presentCard(card, merchantTz)
    },
  )

  for (const action of ['activate', 'pause', 'end'] as const) {
    app.post(
      `/v1/cards/:card_id/${action}`,
      { schema: { tags: ['cards'], summary: `${action[0].toUpperCase()}${action.slice(1)} a card`, params: CardParams, response: responses({ 200: CardSchema }) } },
      async (request) => {
        const { merchantId, merchantTz } = merchantOf(request)
        return presentCard(await changeCardStatus(ctx, merchantId, request.params.card_id, action), merchantTz)
      },
    )
  }
}
