/**
 * Counters for request-rate limits. With REDIS_URL they count in Redis, so every process of a deployment
 * shares one count; should Redis stop answering, each process counts on its own in memory until it is
 * back (requests are never refused or failed because Redis is down). Without REDIS_URL each process
 * counts on its own.
 */
import { Redis } from 'ioredis'
import { closeRedis, redisReady } from './redis.ts'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { RateLimit } from '../rate-limit-rules.ts'

export type Consumed = { ok: true } | { ok: false; retryAfterMs: number }

export interface Limiter {
  readonly limit: RateLimit
  /** Counts one request for `key` (an address, an API key id); refused once the limit is used up. */
  consume(key: string): Promise<Consumed>
}

export interface RateLimits {
  /** Where the counts live: `redis` (shared by every process) or `memory` (this process). */
  readonly store: 'redis' | 'memory'
  /** The limiter called `name`; the same name always counts in the same place. */
  limiter(name: string, limit: RateLimit): Limiter
  /** Resolves when Redis answers, refuses, or `timeoutMs` has passed; at once without Redis. */
  ready(timeoutMs?: number): Promise<void>
  /** Lets go of the Redis connection. */
  close(): Promise<void>
}

export interface RateLimitLog {
  warn(object: object, message: string): void
  info(object: object, message: string): void
}

export interface RateLimitsOptions {
  redisUrl: string | null
  /**
   * Starts every key, so that deployments (or test runs) sharing one Redis count apart:
   * `<prefix>:rl:<limiter>:<key>`.
   */
  prefix: string
  log?: RateLimitLog
  /** How long a Redis command may take before the process counts in memory instead. */
  commandTimeoutMs?: number
}

/** A Redis that is slower than this counts as not answering: the request goes on, counted in memory. */
const COMMAND_TIMEOUT_MS = 250

function wrap(limiter: RateLimiterAbstract, limit: RateLimit): Limiter {
  return {
    limit,
    async consume(key) {
      try {
        await limiter.consume(key)
        return { ok: true }
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return { ok: false, retryAfterMs: rejection.msBeforeNext }
        // Neither Redis nor the in-memory counter could count: let the request through.
        return { ok: true }
      }
    },
  }
}

export function createRateLimits(options: RateLimitsOptions): RateLimits {
  const limiters = new Map<string, Limiter>()
  const keyPrefix = (name: string) => `${options.prefix}:rl:${name}`
  const cached = (name: string, limit: RateLimit, create: () => RateLimiterAbstract): Limiter => {
    const existing = limiters.get(name)
    if (existing) {
      if (existing.limit.points !== limit.points || existing.limit.durationSeconds !== limit.durationSeconds) {
        throw new Error(`rate limiter ${name} already counts ${existing.limit.points} per ${existing.limit.durationSeconds} s`)
      }
      return existing
    }
    const created = wrap(create(), limit)
    limiters.set(name, created)
    return created
  }

  if (!options.redisUrl) {
    return {
      store: 'memory',
      limiter: (name, limit) => cached(name, limit, () => new RateLimiterMemory({ keyPrefix: keyPrefix(name), points: limit.points, duration: limit.durationSeconds })),
      ready: async () => {},
      close: async () => {},
    }
  }

  const log = options.log
  // As rate-limiter-flexible recommends: no offline queue, so that a command sent while Redis is away
  // fails at once (and the in-memory insurance counts) instead of waiting for a reconnection.
  const client = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    // Concurrent requests share round trips to Redis.
    enableAutoPipelining: true,
  })
  /** True from the first failure until Redis is ready again: one warning per outage, not one per request. */
  let degraded = false
  /** Before the first connection is made, not reaching Redis yet is no outage. */
  let everReady = false
  let lastError: string | null = null
  const fellBack = (reason: string) => {
    if (degraded) return
    degraded = true
    log?.warn({ reason }, 'Redis is not answering: rate limits now count in each process on its own until it is back')
  }
  client.on('error', (error: Error) => {
    lastError = error.message
    fellBack(error.message)
  })
  client.on('ready', () => {
    everReady = true
    if (degraded) log?.info({}, 'Redis answers again: rate limits are shared by every process again')
    degraded = false
  })

  /** The per-process counter used while Redis fails; says so once. */
  class Insurance extends RateLimiterMemory {
    override consume(key: string | number, points?: number, consumeOptions?: { [key: string]: unknown }): Promise<RateLimiterRes> {
      if (everReady) fellBack(client.status === 'ready' ? (lastError ?? 'a command failed or took too long') : `the connection is ${client.status}`)
      return super.consume(key, points, consumeOptions)
    }
  }

  return {
    store: 'redis',
    limiter: (name, limit) =>
      cached(name, limit, () => {
        const common = { keyPrefix: keyPrefix(name), points: limit.points, duration: limit.durationSeconds }
        return new RateLimiterRedis({
          ...common,
          storeClient: client,
          // Go straight to the insurance while the connection is down rather than trying it.
          rejectIfRedisNotReady: true,
          // Once the shared count is used up, refuse from memory until the window ends: a flood of
          // refused requests does not become a flood of Redis commands.
          inMemoryBlockOnConsumed: limit.points,
          insuranceLimiter: new Insurance(common),
        })
      }),
    ready: (timeoutMs = 1000) => redisReady(client, timeoutMs),
    close: () => closeRedis(client),
  }
}
