/**
 * Risk counters in Redis (REDIS_URL): one sorted set per counter holding the hits of its sliding window,
 * counted by a script so that a hit is checked and added in one atomic step, shared by every process.
 * A command that fails or takes too long rejects (saying so once per outage); the caller counts in the
 * database instead.
 */
import { Redis } from 'ioredis'
import { closeRedis, redisReady } from './redis.ts'
import type { RateLimitLog } from './rate-limits.ts'

export interface SharedRiskCounters {
  /**
   * Adds `member` to the window of `key` unless the window already holds `limit` (a member already there
   * is only refreshed); answers the count with this hit, or the would-be count when refused.
   */
  countHit(key: string, member: string, limit: number, windowMs: number, now: number): Promise<number>
  /** Resolves when Redis answers, refuses, or `timeoutMs` has passed. */
  ready(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** Drops the hits out of the window, then counts this one if there is room. */
const COUNT_HIT = `
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if redis.call('ZSCORE', key, member) then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return count
end
if count >= limit then return count + 1 end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, window)
return count + 1
`

type CountingRedis = Redis & { kabaoCountHit(key: string, now: number, windowMs: number, limit: number, member: string): Promise<number> }

export function createRedisRiskCounters(options: { redisUrl: string; prefix: string; log?: RateLimitLog; commandTimeoutMs?: number }): SharedRiskCounters {
  // As for the request-rate limits: no offline queue, so a command sent while Redis is away fails at once.
  const client = new Redis(options.redisUrl, { enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 250, enableAutoPipelining: true }) as CountingRedis
  client.defineCommand('kabaoCountHit', { numberOfKeys: 1, lua: COUNT_HIT })
  // Failures are reported by the commands that fail; without a listener ioredis would print each one.
  client.on('error', () => {})
  /** True from the first failure until a command succeeds again: one warning per outage, not one per request. */
  let degraded = false
  return {
    async countHit(key, member, limit, windowMs, now) {
      try {
        if (client.status !== 'ready') throw new Error(`the connection is ${client.status}`)
        const count = Number(await client.kabaoCountHit(`${options.prefix}:risk:${key}`, now, windowMs, limit, member))
        if (degraded) options.log?.info({}, 'Redis answers again: risk counters are shared in Redis again')
        degraded = false
        return count
      } catch (error) {
        if (!degraded) options.log?.warn({ reason: (error as Error).message }, 'Redis is not answering: risk counters now count in the database until it is back')
        degraded = true
        throw error
      }
    },
    ready: (timeoutMs = 1000) => redisReady(client, timeoutMs),
    close: () => closeRedis(client),
  }
}
