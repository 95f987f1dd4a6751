import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { validationFailed } from '../../errors.ts'
import { IdParam, ListQuery, Nullable, Timestamp } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, parseInstant } from '../../domain/time.ts'
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
  type EndpointInput,
  type EndpointRow,
} from './webhooks.service.ts'

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'Where deliveries are POSTed: an absolute http(s) URL; a private or internal address is refused (422 webhook_url_not_allowed) where the server is set to refuse them' })
const Events = Type.Array(Type.String({ pattern: EVENT_PATTERN, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Event types to receive: exact (`coupon.redeemed`), a family (`coupon.*`) or `*` for all; all when absent',
})
const Description = Nullable(Type.String({ maxLength: 500 }))
const EndpointParams = IdParam('webhook_endpoint_id')

function presentEndpoint(endpoint: EndpointRow, tz: string, now: number) {
  const at = (ms: number | null) => (ms === null ? null : formatInstant(ms, tz))
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

export async function webhooksRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database
  const tags = ['webhooks']
  const endpointId = (request: { params: unknown }) => (request.params as { webhook_endpoint_id: string }).webhook_endpoint_id

  // Events committed by a write request go out within moments, not at the next poll of the worker.
  app.addHook('onResponse', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') nudgeWebhooks()
  })

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register a webhook endpoint; its signing secret is shown only in this answer',
        body: Type.Object({ url: Url, events: Type.Optional(Events), description: Type.Optional(Description) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { endpoint, secret } = await createEndpoint(ctx, merchantId, request.body as EndpointInput & { url: string }, idempotencyRefOf(request))
      return reply.code(201).send({ ...presentEndpoint(endpoint, merchantTz, ctx.clock.now()), secret })
    },
  )

  app.get('/v1/webhook-endpoints', { schema: { tags, summary: 'The webhook endpoints, oldest first', querystring: ListQuery } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const query = request.query as { limit?: number; cursor?: string }
    const limit = query.limit ?? 50
    const after = decodeCursor(query.cursor)
    let q = db.selectFrom('webhook_endpoints').selectAll().where('merchant_id', '=', merchantId)
    if (after) q = q.where('id', '>', after)
    const now = ctx.clock.now()
    return page(await q.orderBy('id').limit(limit + 1).execute(), limit, (row) => presentEndpoint(row, merchantTz, now))
  })

  app.get('/v1/webhook-endpoints/:webhook_endpoint_id', { schema: { tags, summary: 'A webhook endpoint and its health', params: EndpointParams } }, async (request) => {
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
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentEndpoint(await updateEndpoint(ctx, merchantId, endpointId(request), request.body as EndpointInput), merchantTz, ctx.clock.now())
    },
  )

  app.delete('/v1/webhook-endpoints/:webhook_endpoint_id', { schema: { tags, summary: 'Delete an endpoint with its deliveries and log', params: EndpointParams } }, async (request, reply) => {
    await deleteEndpoint(ctx, merchantOf(request).merchantId, endpointId(request))
    return reply.code(204).send()
  })

  app.post(
    '/v1/webhook-endpoints/:webhook_endpoint_id/rotate-secret',
    { schema: { tags, summary: 'A new signing secret (shown only here); the old one keeps signing for 24 h', params: EndpointParams } },
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
      },
    },
    async (request, reply) => {
      const { merchantId } = merchantOf(request)
      const body = request.body as { event_id?: string; since?: string }
      if ((body.event_id === undefined) === (body.since === undefined)) {
        const message = 'give either event_id or since'
        throw validationFailed([{ field: body.event_id === undefined ? 'event_id' : 'since', code: 'required', message }], `Redeliver takes exactly one of event_id and since.`)
      }
      const what = body.event_id !== undefined ? { eventId: body.event_id } : { since: parseInstant(body.since as string) as number }
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
        querystring: Type.Intersect([ListQuery, Type.Object({ status: Type.Optional(Type.Union(['pending', 'delivered', 'failed'].map((s) => Type.Literal(s)))) })]),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const endpoint = await findEndpoint(db, merchantId, endpointId(request))
      const query = request.query as { limit?: number; cursor?: string; status?: string }
      const limit = query.limit ?? 50
      const before = decodeCursor(query.cursor)
      let q = db
        .selectFrom('webhook_deliveries')
        .innerJoin('events', (join) => join.onRef('events.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('events.id', '=', 'webhook_deliveries.event_id'))
        .selectAll('webhook_deliveries')
        .select('events.type as event_type')
        .where('webhook_deliveries.merchant_id', '=', merchantId)
        .where('webhook_deliveries.endpoint_id', '=', endpoint.id)
      if (query.status) q = q.where('webhook_deliveries.status', '=', query.status)
      if (before) q = q.where('webhook_deliveries.id', '<', before)
      const at = (ms: number | null) => (ms === null ? null : formatInstant(ms, merchantTz))
      return page(await q.orderBy('webhook_deliveries.id', 'desc').limit(limit + 1).execute(), limit, (row) => ({
        id: row.id,
        event_id: row.event_id,
        event_type: row.event_type,
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.status === 'pending' ? at(row.next_attempt_at) : null,
        last_attempt_at: at(row.last_attempt_at),
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        delivered_at: at(row.delivered_at),
        created_at: formatInstant(row.created_at, merchantTz),
      }))
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
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const endpoint = await findEndpoint(db, merchantId, endpointId(request))
      const query = request.query as { limit?: number; cursor?: string; event_id?: string }
      const limit = query.limit ?? 50
      const before = decodeCursor(query.cursor)
      let q = db.selectFrom('webhook_attempts').selectAll().where('merchant_id', '=', merchantId).where('endpoint_id', '=', endpoint.id)
      if (query.event_id) q = q.where('event_id', '=', query.event_id)
      if (before) q = q.where('id', '<', before)
      return page(await q.orderBy('id', 'desc').limit(limit + 1).execute(), limit, (row) => ({
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
