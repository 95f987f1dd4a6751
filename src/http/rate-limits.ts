import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify'
import { AppError } from '../errors.ts'
import { ADDRESS_LIMIT_GROUPS, addressKey, describeRateLimit, retryAfterSeconds, type AddressLimitGroup, type RateLimitSettings } from '../rate-limit-rules.ts'
import type { Limiter, RateLimits } from '../ports/rate-limits.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A public route limited per client address, counted together with the other routes of its group. */
    rateLimit?: AddressLimitGroup
  }
}

export interface RateLimitOptions {
  /** Where the counts live (Redis or this process). */
  store: RateLimits
  limits: RateLimitSettings
  /** Whether the client's address comes from X-Forwarded-For (Fastify's trustProxy is set). */
  trustProxy: boolean
}

/** What each group protects, in the words of the 429 detail. */
const GROUP_WORDS: Record<AddressLimitGroup, string> = {
  claim: 'claim requests',
  otp: 'sign-in code requests',
  sign_in: 'sign-in attempts',
}

/** The 429 for a refused request; its Retry-After header is set on the reply. */
function rateLimited(reply: FastifyReply, retryAfterMs: number, detail: (seconds: number) => string): AppError {
  const seconds = retryAfterSeconds(retryAfterMs)
  reply.header('retry-after', String(seconds))
  return new AppError('rate_limited', detail(seconds))
}

/**
 * Request-rate limits in front of the routes (the database-counted limits of the services, such as codes
 * per phone number or failed sign-ins per name, stay behind them):
 * - per client address on the public routes marked `config: { rateLimit: group }`, before anything else
 *   is done for the request (no token is checked, no body is read);
 * - per API key on every call made with one, once the key is known and before the body is read.
 * Over a limit the answer is 429 `rate_limited` with Retry-After. A limit that is off costs nothing.
 */
export function registerRateLimits(app: FastifyInstance, options: RateLimitOptions, log: FastifyBaseLogger): void {
  const { store, limits } = options
  app.addHook('onClose', async () => {
    await store.close()
  })

  const byGroup = new Map<AddressLimitGroup, Limiter>()
  for (const group of ADDRESS_LIMIT_GROUPS) {
    const limit = limits[group]
    if (limit) byGroup.set(group, store.limiter(`ip:${group}`, limit))
  }
  if (byGroup.size > 0) {
    let warnedAboutProxy = false
    // Not async: most routes are not limited, and for them this hook should cost next to nothing.
    app.addHook('onRequest', (request, reply, done) => {
      const group = request.routeOptions.config?.rateLimit
      const limiter = group && byGroup.get(group)
      if (!limiter) return done()
      if (!options.trustProxy && !warnedAboutProxy && request.headers['x-forwarded-for'] !== undefined) {
        warnedAboutProxy = true
        log.warn(
          { remote_address: request.ip },
          'requests come through a proxy (X-Forwarded-For) but TRUST_PROXY is off: limits per client address count the proxy’s address for every client',
        )
      }
      limiter.consume(addressKey(request.ip)).then((consumed) => {
        if (consumed.ok) return done()
        done(rateLimited(reply, consumed.retryAfterMs, (s) => `Too many ${GROUP_WORDS[group]} from this address (at most ${describeRateLimit(limiter.limit)}); try again in ${s} s.`))
      }, done)
    })
  }

  if (limits.api) {
    const limiter = store.limiter('key', limits.api)
    // preParsing runs after every onRequest hook, so the key is known (auth), and before the body is read.
    app.addHook('preParsing', (request, reply, payload, done) => {
      const keyId = request.merchant?.keyId
      if (!keyId) return done(null, payload)
      limiter.consume(keyId).then((consumed) => {
        if (consumed.ok) return done(null, payload)
        done(rateLimited(reply, consumed.retryAfterMs, (s) => `Too many requests with this API key (at most ${describeRateLimit(limiter.limit)}); try again in ${s} s.`))
      }, done)
    })
  }
}
