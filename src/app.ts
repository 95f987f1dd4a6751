import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import cookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppContext } from './app-context.ts'
import { newId } from './ports/ids.ts'
import { clientErrorResponse, frameworkProblem, handleError, problemOf, sendProblem } from './http/errors.ts'
import { registerJsonBody, serializerCompiler, validatorCompiler } from './http/validation.ts'
import { merchantOf, registerAuth } from './http/auth.ts'
import { registerIdempotency } from './http/idempotency.ts'
import { registerMetrics, type MetricsOptions } from './http/metrics.ts'
import { FEATURES } from './features/index.ts'
import type { FeatureApp } from './features/feature.ts'
import { registerWebApps } from './http/web-apps.ts'
import { Type, type TSchema } from 'typebox'
import { Nullable, ScopeSchema, responses } from './http/schemas.ts'
import { registerRateLimits } from './http/rate-limits.ts'
import { docsCsp, registerSecurityHeaders } from './http/security-headers.ts'
import type { RateLimitSettings } from './rate-limit-rules.ts'
import type { RateLimits } from './ports/rate-limits.ts'

export const BODY_LIMIT_BYTES = 1024 * 1024

export interface BuildOptions {
  /** A pino logger; requests are not logged without one. */
  logger?: FastifyBaseLogger
  /** Where the built web apps are (web/); not served without it. */
  webRoot?: string
  /** `GET /metrics`: its token and whether process figures are collected. */
  metrics?: MetricsOptions
  /**
   * Request-rate limits: where they count and how many; none without it. The app closes the store
   * when it closes.
   */
  rateLimits?: { store: RateLimits; limits: RateLimitSettings }
  /** Fail a response whose body does not match the schema its route declares (the tests set it). */
  checkResponses?: boolean
  /** Fastify's trustProxy: whose X-Forwarded-For gives the client's address. Off by default. */
  trustProxy?: boolean | string[]
}

export type App = FeatureApp

/** Builds the HTTP application without listening; tests drive it with `app.inject`. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Path ids may be long (a user_id is up to 128 characters); the route schemas set the real limits.
    routerOptions: { maxParamLength: 500 },
    genReqId: () => newId('req'),
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: false,
    // A client that stops sending mid-body must not hold a connection forever, but a streamed bulk upload
    // of a few hundred thousand ids is received while it is processed and may take minutes.
    requestTimeout: 10 * 60_000,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false } },
    // A URL Fastify cannot route (bad percent-encoding, an over-long id) still answers problem+json.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id)
      return sendProblem(reply, frameworkProblem(error))
    },
    // So does a request Node cannot parse as HTTP at all.
    clientErrorHandler: (error, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return
      if (socket.writable) socket.end(clientErrorResponse(error, newId('req')))
      else socket.destroy(error)
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler())
  app.setSerializerCompiler(serializerCompiler(options.checkResponses ?? false))
  registerJsonBody(app)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf('not_found', `There is no ${request.method} ${request.url.split('?')[0]}.`)),
  )
  // Hooks that wait for nothing take a callback: an async one costs a promise on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  // On shutdown, in-flight requests finish with `Connection: close`, so keep-alive clients let go of their
  // connections and the server can close instead of waiting for them to time out.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })

  await registerSecurityHeaders(app)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kabao API',
        version: '1.0.0',
        description: 'Cards & coupons, wallet, redemption. Money is integer fen; errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A merchant API key' },
          walletToken: { type: 'http', scheme: 'bearer', description: 'A customer’s wallet session token' },
          staffSession: {
            type: 'apiKey',
            in: 'cookie',
            name: 'kabao_session',
            description: 'A staff member signed in to the web apps (POST /v1/staff/sessions). Merchant routes accept it too, with the role’s permissions; writes must send the session’s CSRF token in X-Kabao-Csrf',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
  })
  // The document says who may call each route, from the route's `auth` setting.
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth
    const security: Record<string, Record<string, string[]>[]> = {
      none: [],
      customer: [{ walletToken: [] }],
      staff: [{ staffSession: [] }],
      // An empty requirement: calling without any token is allowed too.
      optional_customer: [{}, { walletToken: [] }],
      merchant_or_customer: [{ apiKey: [] }, { walletToken: [] }, { staffSession: [] }],
    }
    if (auth !== undefined && auth !== 'merchant') route.schema = { ...route.schema, security: security[auth] }
  })
  // The docs are public, like the OpenAPI document they render.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'none' }
    })
    await docs.register(swaggerUi, { routePrefix: '/docs', ...docsCsp })
  })

  // Staff of the web apps sign in with a session cookie.
  await app.register(cookie)
  // Before authentication: a flood of requests to a public route is refused before any token is checked.
  if (options.rateLimits) registerRateLimits(app, { ...options.rateLimits, trustProxy: (options.trustProxy ?? false) !== false }, app.log)
  registerAuth(app, ctx)
  registerIdempotency(app, ctx)
  registerMetrics(app, ctx, options.metrics)

  const service = <Ok extends Record<number, TSchema>>(summary: string, ok: Ok) => ({
    config: { auth: 'none' as const },
    schema: { tags: ['service'], summary, response: responses(ok) },
  })
  const status = <S extends string>(value: S) => Type.Object({ status: Type.Literal(value) })
  app.get('/healthz', service('200 while the process is up', { 200: status('ok') }), async () => ({ status: 'ok' as const }))
  app.get('/readyz', service('200 when the database answers, else 503', { 200: status('ready'), 503: status('unavailable') }), async (_request, reply) => {
    try {
      await ctx.database.ping()
      return { status: 'ready' as const }
    } catch {
      return reply.code(503).send({ status: 'unavailable' })
    }
  })
  app.get(
    '/openapi.json',
    service('This OpenAPI 3.1 document', { 200: Type.Object({}, { additionalProperties: true, description: 'An OpenAPI 3.1 document' }) }),
    async () => app.swagger(),
  )
  // Touches no data: a client checks its key with it, and the benchmarks measure the cost of a bare request.
  app.get(
    '/v1/ping',
    {
      config: { till: true },
      schema: {
        tags: ['service'],
        summary: 'Who this API key belongs to; reads nothing but the key',
        response: responses({ 200: Type.Object({ merchant_id: Type.String(), key_id: Nullable(Type.String({ description: 'null for a signed-in staff member' })), scope: ScopeSchema }) }),
      },
    },
    async (request) => {
      const { merchantId, keyId, scope } = merchantOf(request)
      return { merchant_id: merchantId, key_id: keyId, scope }
    },
  )

  for (const feature of FEATURES) await feature(app, ctx)
  if (options.webRoot) await registerWebApps(app, options.webRoot, options.logger)

  return app
}


