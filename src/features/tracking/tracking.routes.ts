import { Type } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { AppError } from '../../errors.ts'
import { formatInstant } from '../../domain/time.ts'
import { Nullable, responses, Timestamp, UserId } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { deviceOf, recordCardView, trackEvent, type ViewEvent } from './tracking.service.ts'

/** The header a browser sends its own random id in, so views without a sign-in count distinct devices. */
export const DEVICE_HEADER = 'kabao-device'

/**
 * Counts a view of a card by whoever sent the request: the signed-in customer of this merchant, else the
 * device, with the events it writes (in its transaction). A view that cannot be written is logged and never
 * fails the page it was counted for.
 */
export async function countCardView(ctx: AppContext, request: FastifyRequest, merchant: { id: string; timezone: string }, cardId: string, events: ViewEvent[] = []): Promise<void> {
  const customer = request.customer?.merchantId === merchant.id ? request.customer : null
  const viewer = { userId: customer?.userId ?? null, device: deviceOf(request.headers[DEVICE_HEADER]) }
  try {
    await recordCardView(ctx, merchant.id, merchant.timezone, cardId, viewer, events)
  } catch (error) {
    request.log.warn({ err: error, card_id: cardId }, 'a card view was not counted')
  }
}

const EventName = Type.String({ pattern: '^[a-z][a-z0-9_.:-]{0,63}$', description: 'Lower case, digits and _ . : -, at most 64; `view` is Kabao’s own' })

const TrackBody = Type.Object(
  {
    event: EventName,
    card_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    user_id: Type.Optional(UserId),
    props: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { description: 'Anything the merchant wants kept with it, at most 2 KB of JSON' })),
  },
  { additionalProperties: false },
)

const TrackedSchema = Type.Object({
  id: Type.String(),
  event: Type.String(),
  card_id: Nullable(Type.String()),
  user_id: Nullable(Type.String()),
  occurred_at: Timestamp,
})

export async function trackingRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/track',
    {
      config: { auth: 'merchant_or_customer' },
      schema: {
        tags: ['stats'],
        summary: 'Record one of the merchant’s own events (a click, a page view) for custom statistics; a wallet token records it for its customer',
        body: TrackBody,
        response: responses({ 201: TrackedSchema }),
      },
    },
    async (request, reply) => {
      const { customer } = request
      const input = request.body
      if (customer && input.user_id !== undefined && input.user_id !== customer.userId) {
        throw new AppError('forbidden', 'A wallet token records events of its own customer only.')
      }
      const merchantId = customer?.merchantId ?? request.merchant?.merchantId
      const tz = customer?.merchantTz ?? request.merchant?.merchantTz
      if (merchantId === undefined || tz === undefined) throw new AppError('unauthenticated', 'Send an API key or a wallet token.')
      const userId = customer?.userId ?? input.user_id
      const row = await trackEvent(ctx, merchantId, { ...input, user_id: userId }, deviceOf(request.headers[DEVICE_HEADER]))
      return reply.code(201).send({ id: row.id, event: row.event, card_id: row.card_id, user_id: row.user_id, occurred_at: formatInstant(row.occurred_at, tz) })
    },
  )
}
