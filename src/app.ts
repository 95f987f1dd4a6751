import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppContext } from './app-context.ts'
import { newId } from './ports/ids.ts'
import { AppError, handleError, problemOf, sendProblem } from './http/errors.ts'
import { validatorCompiler } from './http/validation.ts'
import { registerAuth } from './http/auth.ts'
import { registerIdempotency } from './http/idempotency.ts'
import { FEATURES } from './features/index.ts'

export const BODY_LIMIT_BYTES = 1024 * 1024

export interface BuildOptions {
  logger?: FastifyServerOptions['logger']
}

export type App = FastifyInstance

/** Builds the HTTP application without listening; tests drive it with `app.inject`. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    // A client that stops sending mid-body must not hold a connection forever.
    requestTimeout: 30_000,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler())
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf('not_found', `There is no ${request.method} ${request.url.split('?')[0]}.`)),
  )
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kabao API',
        version: '1.0.0',
        description: 'Cards & coupons, wallet, redemption. Money is integer fen; errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A merchant API key' } },
      },
      security: [{ apiKey: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  registerAuth(app, ctx)
  registerIdempotency(app, ctx)

  app.get('/healthz', { config: { auth: 'none' }, schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { config: { auth: 'none' }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await ctx.database.ping()
      return { status: 'ready' }
    } catch {
      return reply.code(503).send({ status: 'unavailable' })
    }
  })
  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger())

  for (const feature of FEATURES) await feature(app, ctx)

  return app
}

export { AppError }
