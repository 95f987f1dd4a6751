/**
 * Risk counters in Redis (REDIS_URL): one sorted set per counter holding the hits of its sliding window,
 * counted by a script so that a hit is checked and added in one atomic step, shared by every process.
 * A command that fails or takes too long rejects (saying so once per outage); the caller counts in the
 * database instead.
 */
import { Redis } from 'ioredis'
import { closeRedis, redisReady } from './redis.ts'
import type { RateLimitLog } from './rate-limits.ts'

/** One counter's hit: `member` added to the window of `key` unless the window already holds `limit` (a member already there is only refreshed). */
export interface SharedHit {
  key: string
  member: string
  limit: number
  windowMs: number
}

export interface SharedRiskCounters {
  /**
   * Counts the hits of one activity, in one round trip; answers each counter's count with its hit, or
   * the would-be count when refused.
   */
  countHits(hits: readonly SharedHit[], now: number): Promise<number[]>
  /** Resolves when Redis answers, refuses, or `timeoutMs` has passed. */
  ready(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** For each key (its window, limit and member in ARGV after `now`): drops the hits out of the window, then counts this one if there is room. */
const COUNT_HITS = `
local now = tonumber(ARGV[1])
local counts = {}
for i, key in ipairs(KEYS) do
  local window, limit, member = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), ARGV[3 * i + 1]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if redis.call('ZSCORE', key, member) then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    counts[i] = count
  elseif count >= limit then
    counts[i] = count + 1
  else
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    counts[i] = count + 1
  end
end
return counts
`

type CountingRedis = Redis & { kabaoCountHits(numberOfKeys: number, ...args: (string | number)[]): Promise<number[]> }

export function createRedisRiskCounters(options: { redisUrl: string; prefix: string; log?: RateLimitLog; commandTimeoutMs?: number }): SharedRiskCounters {
  // As for the request-rate limits: no offline queue, so a command sent while Redis is away fails at once.
  const client = new Redis(options.redisUrl, { enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 250, enableAutoPipelining: true }) as CountingRedis
  client.defineCommand('kabaoCountHits', { lua: COUNT_HITS })
  // Failures are reported by the commands that fail; without a listener ioredis would print each one.
  client.on('error', () => {})
  /** True from the first failure until a command succeeds again: one warning per outage, not one per request. */
  let degraded = false
  return {
    async countHits(hits, now) {
      try {
        if (client.status !== 'ready') throw new Error(`the connection is ${client.status}`)
        const args: (string | number)[] = hits.map((hit) => `${options.prefix}:risk:${hit.key}`)
        args.push(now)
        for (const hit of hits) args.push(hit.windowMs, hit.limit, hit.member)
        const counts = (await client.kabaoCountHits(hits.length, ...args)).map(Number)
        if (degraded) options.log?.info({}, 'Redis answers again: risk counters are shared in Redis again')
        degraded = false
        return counts
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
