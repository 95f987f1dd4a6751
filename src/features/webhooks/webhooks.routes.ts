import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { validationFailed } from '../../errors.ts'
import { IdParam, ListQuery, NoContent, Nullable, Timestamp, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, formatOptionalInstant, parseInstant } from '../../domain/time.ts'
import { EVENT_PATTERN } from '../../domain/webhooks.ts'
import { nudgeWebhooks } from '../../jobs/webhook-worker.ts'
import {
  createEndpoint,
  deleteEndpoint,
  endpointEvents,
  findEndpoint,
  redeliver,
  rotateEndpointSecret,
  setEndpointEnabled,
  updateEndpoint,
  type EndpointRow,
} from './webhooks.service.ts'
import { listAttempts, listDeliveries, listEndpoints } from './webhooks.repository.ts'
import { presentDelivery } from './webhooks.presenter.ts'
import { DELIVERY_STATUSES, ENDPOINT_STATUSES } from './webhooks.table.ts'

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'Where deliveries are POSTed: an absolute http(s) URL; a private or internal address is refused (422 webhook_url_not_allowed) where the server is set to refuse them' })
const Events = Type.Array(Type.String({ pattern: EVENT_PATTERN, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Event types to receive: exact (`coupon.redeemed`), a family (`coupon.*`) or `*` for all; all when absent',
})
const Description = Nullable(Type.String({ maxLength: 500 }))
const EndpointParams = Type.Object({ webhook_endpoint_id: IdParam('webhook_endpoint_id').properties.webhook_endpoint_id })

const EndpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Nullable(Type.String()),
  status: Type.Enum(ENDPOINT_STATUSES),
  disabled_code: Nullable(Type.Enum(['gone', 'failing', 'manual'], { description: 'Why it is disabled: `gone` (410), `failing` (no success for 5 days) or `manual`' })),
  disabled_reason: Nullable(Type.String()),
  disabled_at: Nullable(Timestamp),
  failing_since: Nullable(Timestamp),
  last_success_at: Nullable(Timestamp),
  previous_secret_expires_at: Nullable(Type.String({ format: 'date-time', description: 'Until when deliveries also carry a signature with the secret before the last rotation' })),
  created_at: Timestamp,
  updated_at: Timestamp,
})
const EndpointWithSecret = Type.Object({ ...EndpointSchema.properties, secret: Type.String({ description: 'The signing secret (whsec_…): shown only in this answer' }) })

/** A delivery as both delivery logs show it (an endpoint's, a WeChat app's pushes). */
export const DeliverySchema = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  status: Type.Enum(DELIVERY_STATUSES),
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_attempt_at: Nullable(Timestamp),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  delivered_at: Nullable(Timestamp),
  created_at: Timestamp,
})

const AttemptSchema = Type.Object({
  id: Type.String(),
  delivery_id: Type.String(),
  event_id: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  attempted_at: Timestamp,
  status_code: Nullable(Type.Integer({ description: 'null when the receiver did not answer in time or could not be reached' })),
  latency_ms: Type.Integer(),
  error: Nullable(Type.String()),
})

function presentEndpoint(endpoint: EndpointRow, tz: string, now: number) {
  const at = (ms: number | null) => formatOptionalInstant(ms, tz)
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpointEvents(endpoint),
    description: endpoint.description,
    status: endpoint.status,
    /** Why it is disabled: `gone` (410), `failing` (no success for 5 days) or `manual`. */
    disabled_code: endpoint.disabled_code,
    disabled_reason: endpoint.disabled_reason,
    disabled_at: at(endpoint.disabled_at),
    failing_since: at(endpoint.failing_since),
    last_success_at: at(endpoint.last_success_at),
    /** Until when deliveries also carry a signature with the secret before the last rotation. */
    previous_secret_expires_at: endpoint.prev_secret_until !== null && endpoint.prev_secret_until > now ? at(endpoint.prev_secret_until) : null,
    created_at: formatInstant(endpoint.created_at, tz),
    updated_at: formatInstant(endpoint.updated_at, tz),
  }
}

export async function webhooksRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database
  const tags = ['webhooks']
  const endpointId = (request: { params: { webhook_endpoint_id: string } }) => request.params.webhook_endpoint_id

  // Events committed by a write request go out within moments, not at the next poll of the worker.
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') nudgeWebhooks()
    done()
  })

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register a webhook endpoint; its signing secret is shown only in this answer',
        body: Type.Object({ url: Url, events: Type.Optional(Events), description: Type.Optional(Description) }, { additionalProperties: false }),
        response: responses({ 201: EndpointWithSecret }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { endpoint, secret } = await createEndpoint(ctx, merchantId, request.body, idempotencyRefOf(request))
      return reply.code(201).send({ ...presentEndpoint(endpoint, merchantTz, ctx.clock.now()), secret })
    },
  )

  app.get(
    '/v1/webhook-endpoints',
    { schema: { tags, summary: 'The webhook endpoints, oldest first', querystring: ListQuery, response: responses({ 200: listOf(EndpointSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      const now = ctx.clock.now()
      return page(await listEndpoints(db, merchantId, decodeCursor(request.query.cursor), limit + 1), limit, (row) => presentEndpoint(row, merchantTz, now))
    },
  )

  app.get('/v1/webhook-endpoints/:webhook_endpoint_id', { schema: { tags, summary: 'A webhook endpoint and its health', params: EndpointParams, response: responses({ 200: EndpointSchema }) } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    return presentEndpoint(await findEndpoint(db, merchantId, endpointId(request)), merchantTz, ctx.clock.now())
  })

  app.patch(
    '/v1/webhook-endpoints/:webhook_endpoint_id',
    {
      schema: {
        tags,
        summary: 'Change the URL, the event types or the description',
        params: EndpointParams,
        body: Type.Object({ url: Type.Optional(Url), events: Type.Optional(Events), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
        response: responses({ 200: EndpointSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentEndpoint(await updateEndpoint(ctx, merchantId, endpointId(request), request.body), merchantTz, ctx.clock.now())
    },
  )

  app.delete(
    '/v1/webhook-endpoints/:webhook_endpoint_id',
    { schema: { tags, summary: 'Delete an endpoint with its deliveries and log', params: EndpointParams, response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await deleteEndpoint(ctx, merchantOf(request).merchantId, endpointId(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/v1/webhook-endpoints/:webhook_endpoint_id/rotate-secret',
    { schema: { tags, summary: 'A new signing secret (shown only here); the old one keeps signing for 24 h', params: EndpointParams, response: responses({ 200: EndpointWithSecret }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { endpoint, secret } = await rotateEndpointSecret(ctx, merchantId, endpointId(request), idempotencyRefOf(request))
      return { ...presentEndpoint(endpoint, merchantTz, ctx.clock.now()), secret }
    },
  )

  for (const action of ['enable', 'disable'] as const) {
    app.post(
      `/v1/webhook-endpoints/:webhook_endpoint_id/${action}`,
      {
        schema: {
          tags,
          summary: action === 'enable' ? 'Enable the endpoint again; its pending deliveries resume' : 'Stop delivering to the endpoint',
          params: EndpointParams,
          response: responses({ 200: EndpointSchema }),
        },
      },
      async (request) => {
        const { merchantId, merchantTz } = merchantOf(request)
        return presentEndpoint(await setEndpointEnabled(ctx, merchantId, endpointId(request), action === 'enable'), merchantTz, ctx.clock.now())
      },
    )
  }

  app.post(
    '/v1/webhook-endpoints/:webhook_endpoint_id/redeliver',
    {
      schema: {
        tags,
        summary: 'Send one event again, or every subscribed event since a time, with a fresh retry schedule',
        params: EndpointParams,
        body: Type.Object(
          { event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), since: Type.Optional(Timestamp) },
          { additionalProperties: false },
        ),
        response: responses({ 202: Type.Object({ queued: Type.Integer({ minimum: 0, description: 'Deliveries queued' }) }) }),
      },
    },
    async (request, reply) => {
      const { merchantId } = merchantOf(request)
      const { event_id, since } = request.body
      if ((event_id === undefined) === (since === undefined)) {
        const message = 'give either event_id or since'
        throw validationFailed([{ field: event_id === undefined ? 'event_id' : 'since', code: 'required', message }], `Redeliver takes exactly one of event_id and since.`)
      }
      const what = event_id !== undefined ? { eventId: event_id } : { since: parseInstant(since ?? '') as number }
      const queued = await redeliver(ctx, merchantId, endpointId(request), what)
      return reply.code(202).send({ queued })
    },
  )

  app.get(
    '/v1/webhook-endpoints/:webhook_endpoint_id/deliveries',
    {
      schema: {
        tags,
        summary: 'Deliveries to the endpoint, newest first',
        params: EndpointParams,
        querystring: Type.Intersect([ListQuery, Type.Object({ status: Type.Optional(Type.Enum(DELIVERY_STATUSES)) })]),
        response: responses({ 200: listOf(DeliverySchema) }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const endpoint = await findEndpoint(db, merchantId, endpointId(request))
      const { query } = request
      const limit = query.limit ?? 50
      const rows = await listDeliveries(db, merchantId, endpoint.id, { status: query.status, before: decodeCursor(query.cursor) }, limit + 1)
      return page(rows, limit, (row) => presentDelivery(row, merchantTz))
    },
  )

  app.get(
    '/v1/webhook-endpoints/:webhook_endpoint_id/attempts',
    {
      schema: {
        tags,
        summary: 'The delivery log: every attempt (time, status code, latency, error), newest first',
        params: EndpointParams,
        querystring: Type.Intersect([ListQuery, Type.Object({ event_id: Type.Optional(Type.String({ maxLength: 100 })) })]),
        response: responses({ 200: listOf(AttemptSchema) }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const endpoint = await findEndpoint(db, merchantId, endpointId(request))
      const { query } = request
      const limit = query.limit ?? 50
      const rows = await listAttempts(db, merchantId, endpoint.id, { eventId: query.event_id, before: decodeCursor(query.cursor) }, limit + 1)
      return page(rows, limit, (row) => ({
        id: row.id,
        delivery_id: row.delivery_id,
        event_id: row.event_id,
        attempt: row.attempt,
        attempted_at: formatInstant(row.attempted_at, merchantTz),
        status_code: row.status_code,
        latency_ms: row.latency_ms,
        error: row.error,
      }))
    },
  )
}
