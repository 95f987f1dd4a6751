import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AppContext } from '../app-context.ts'
import { safeEqual } from '../ports/secrets.ts'
import { AppError } from '../errors.ts'
import { responses, textBody } from './schemas.ts'
import { countEvents, countUndispatchedEvents } from '../features/events/events.repository.ts'

export interface MetricsOptions {
  /** When set, `GET /metrics` asks for `Authorization: Bearer <token>`; open otherwise. */
  token?: string | null
  /** Process figures (memory, CPU, event-loop lag, GC): on in a served process, off in tests that build many apps. */
  processMetrics?: boolean
}

/** Seconds; fine below 50 ms, where redemptions live, coarse above. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const REDEEM_ROUTE = '/v1/redemptions'

declare module 'fastify' {
  interface FastifyRequest {
    /** What a redemption request came to, for the redemptions counter. */
    redemptionOutcome: string | null
  }
}

/** The error code of a problem+json body, without trusting it to be one. */
function problemCode(payload: unknown): string {
  if (typeof payload !== 'string') return 'error'
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code
    return typeof code === 'string' ? code : 'error'
  } catch {
    return 'error'
  }
}

/**
 * Prometheus metrics at `GET /metrics`: request rate and latency by route, redemptions by outcome and the
 * outbox. Each app has its own registry, so several apps in one process (tests) do not share counters.
 */
export function registerMetrics(app: FastifyInstance, ctx: AppContext, options: MetricsOptions = {}): void {
  const registry = new Registry()
  if (options.processMetrics) collectDefaultMetrics({ register: registry })

  const requests = new Counter({
    name: 'kabao_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'kabao_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const redemptions = new Counter({
    name: 'kabao_redemptions_total',
    help: 'Redemption requests by outcome: redeemed, replayed (an Idempotency-Key retry), or the refusal code',
    labelNames: ['outcome'],
    registers: [registry],
  })
  new Gauge({
    name: 'kabao_outbox_events',
    help: 'Events recorded in the outbox (every merchant)',
    registers: [registry],
    async collect() {
      this.set(await countEvents(ctx.database.db))
    },
  })

  new Gauge({
    name: 'kabao_outbox_backlog',
    help: 'Events not yet fanned out to webhook endpoints (every merchant)',
    registers: [registry],
    async collect() {
      this.set(await countUndispatchedEvents(ctx.database.db))
    },
  })

  app.decorateRequest('redemptionOutcome', null)
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.method === 'POST' && request.routeOptions.url === REDEEM_ROUTE) {
      request.redemptionOutcome =
        reply.getHeader('idempotent-replayed') === 'true' ? 'replayed' : reply.statusCode === 201 ? 'redeemed' : problemCode(payload)
    }
    done(null, payload)
  })
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    // Unrouted URLs share one label, so scanners cannot blow the series up.
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ method: request.method, route, status: reply.statusCode })
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000)
    // Only the redemption route sets an outcome; routes of contexts registered before this hook's
    // decorator (the API reference under /docs) read it as undefined, not null.
    if (typeof request.redemptionOutcome === 'string') redemptions.inc({ outcome: request.redemptionOutcome })
    done()
  })

  const token = options.token ?? null
  app.get(
    '/metrics',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics (asks for the METRICS_TOKEN as a bearer token when one is configured)',
        response: responses({ 200: textBody('text/plain', 'Prometheus text exposition format') }),
      },
    },
    async (request, reply) => {
      if (token !== null) {
        const sent = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? ''
        if (!safeEqual(sent, token)) throw new AppError('unauthenticated', 'Send the metrics token as "Authorization: Bearer <token>".')
      }
      return reply.type(registry.contentType).send(await registry.metrics())
    },
  )
}
