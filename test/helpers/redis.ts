import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

/** Nobody listens on port 1: a Redis that never answers. */
export const UNREACHABLE_REDIS_URL = 'redis://127.0.0.1:1'

/** A key prefix of its own, so that tests sharing one Redis never count together. */
export function testPrefix(): string {
  return `kabao-test-${randomBytes(6).toString('hex')}`
}

let redisReachable: Promise<boolean> | undefined

/** Whether Redis answers. In CI (CI=true) a missing Redis fails the run instead of skipping. */
export function redisAvailable(): Promise<boolean> {
  redisReachable ??= (async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, connectTimeout: 3000, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      return (await client.ping()) === 'PONG'
    } catch (error) {
      if (process.env.CI === 'true') throw new Error(`Redis is required in CI but ${REDIS_URL} does not answer: ${(error as Error).message}`)
      return false
    } finally {
      client.disconnect()
    }
  })()
  return redisReachable
}

/** `{ skip }` options for node:test: Redis suites skip only outside CI when it is missing. */
export async function redisOptions(): Promise<{ skip: string | false }> {
  return { skip: (await redisAvailable()) ? false : `Redis is not reachable at ${REDIS_URL} (set REDIS_URL)` }
}

/** The keys under a prefix, to see what a test left in Redis. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(REDIS_URL)
  try {
    return (await client.keys(`${prefix}:*`)).sort()
  } finally {
    client.disconnect()
  }
}
