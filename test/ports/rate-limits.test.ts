import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { createRateLimits, type Limiter, type RateLimitLog, type RateLimits } from '../../src/ports/rate-limits.ts'
import { REDIS_URL, UNREACHABLE_REDIS_URL, keysUnder, redisOptions, testPrefix } from '../helpers/redis.ts'

const FIVE_PER_MINUTE = { points: 5, durationSeconds: 60 }

/** Counts n requests for key; how many went through. */
async function consumeMany(limiter: Limiter, key: string, n: number): Promise<number> {
  let allowed = 0
  for (let i = 0; i < n; i++) if ((await limiter.consume(key)).ok) allowed++
  return allowed
}

/** What a store logged. */
function capturingLog() {
  const lines: { level: 'warn' | 'info'; message: string; object: object }[] = []
  const log: RateLimitLog = {
    warn: (object, message) => lines.push({ level: 'warn', message, object }),
    info: (object, message) => lines.push({ level: 'info', message, object }),
  }
  return { log, lines, warnings: () => lines.filter((l) => l.level === 'warn') }
}

/** A TCP relay in front of the real Redis that a test can cut (an outage), restore, or freeze (a hang). */
class RedisRelay {
  #server: Server | null = null
  #sockets = new Set<Socket>()
  #frozen = false
  port = 0
  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }
  async start(): Promise<void> {
    const target = new URL(REDIS_URL)
    const server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.on('data', (chunk) => !this.#frozen && upstream.write(chunk))
      upstream.on('data', (chunk) => !this.#frozen && client.write(chunk))
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    server.listen(this.port, '127.0.0.1')
    await once(server, 'listening')
    this.port = (server.address() as AddressInfo).port
    this.#server = server
  }
  /** Redis goes away: connections drop and new ones are refused. */
  async cut(): Promise<void> {
    const server = this.#server!
    this.#server = null
    for (const socket of this.#sockets) socket.destroy()
    server.close()
    await once(server, 'close')
  }
  /** Redis stays connected but answers nothing. */
  freeze(frozen: boolean): void {
    this.#frozen = frozen
  }
  async stop(): Promise<void> {
    if (this.#server) await this.cut()
  }
}

describe('rate-limit counters in this process (no REDIS_URL)', () => {
  it('counts per key and refuses past the limit, saying how long until the window ends', async () => {
    const store = createRateLimits({ redisUrl: null, prefix: testPrefix() })
    assert.equal(store.store, 'memory')
    const limiter = store.limiter('test', FIVE_PER_MINUTE)
    assert.equal(await consumeMany(limiter, 'a', 5), 5)
    const refused = await limiter.consume('a')
    assert.equal(refused.ok, false)
    if (!refused.ok) assert.ok(refused.retryAfterMs > 55_000 && refused.retryAfterMs <= 60_000, String(refused.retryAfterMs))
    assert.equal(await consumeMany(limiter, 'b', 6), 5, 'another key counts on its own')
    await store.ready()
    await store.close()
  })

  it('two stores (two processes) count apart; one name in one store is one count', async () => {
    const prefix = testPrefix()
    const one = createRateLimits({ redisUrl: null, prefix })
    const two = createRateLimits({ redisUrl: null, prefix })
    assert.equal(await consumeMany(one.limiter('test', FIVE_PER_MINUTE), 'a', 3), 3)
    assert.equal(await consumeMany(one.limiter('test', FIVE_PER_MINUTE), 'a', 3), 2)
    assert.equal(await consumeMany(two.limiter('test', FIVE_PER_MINUTE), 'a', 6), 5)
    assert.throws(() => one.limiter('test', { points: 6, durationSeconds: 60 }), /already counts 5 per 60 s/)
  })
})

describe('rate-limit counters in Redis', await redisOptions(), () => {
  const stores: RateLimits[] = []
  const open = (options: Parameters<typeof createRateLimits>[0]) => {
    const store = createRateLimits(options)
    stores.push(store)
    return store
  }
  after(async () => {
    await Promise.all(stores.map((s) => s.close()))
  })

  it('two stores with one prefix (two processes of one deployment) share one count', async () => {
    const prefix = testPrefix()
    const one = open({ redisUrl: REDIS_URL, prefix })
    const two = open({ redisUrl: REDIS_URL, prefix })
    await Promise.all([one.ready(), two.ready()])
    assert.equal(one.store, 'redis')
    const [a, b] = [one.limiter('test', FIVE_PER_MINUTE), two.limiter('test', FIVE_PER_MINUTE)]
    const answers = []
    for (let i = 0; i < 8; i++) answers.push((await (i % 2 === 0 ? a : b).consume('client')).ok)
    assert.deepEqual(answers, [true, true, true, true, true, false, false, false])
    const refused = await b.consume('client')
    assert.ok(!refused.ok && refused.retryAfterMs > 50_000 && refused.retryAfterMs <= 60_000)
    assert.deepEqual(await keysUnder(prefix), [`${prefix}:rl:test:client`])
  })

  it('another prefix (another deployment) and another limiter name count apart', async () => {
    const prefix = testPrefix()
    const one = open({ redisUrl: REDIS_URL, prefix })
    const other = open({ redisUrl: REDIS_URL, prefix: testPrefix() })
    await Promise.all([one.ready(), other.ready()])
    assert.equal(await consumeMany(one.limiter('test', FIVE_PER_MINUTE), 'client', 7), 5)
    assert.equal(await consumeMany(other.limiter('test', FIVE_PER_MINUTE), 'client', 7), 5)
    assert.equal(await consumeMany(one.limiter('other', FIVE_PER_MINUTE), 'client', 7), 5)
  })

  it('a Redis nobody answers at never fails a request: each process counts on its own, and says so once', async () => {
    const { log, warnings } = capturingLog()
    const store = open({ redisUrl: UNREACHABLE_REDIS_URL, prefix: testPrefix(), log })
    const started = performance.now()
    await store.ready(5000)
    assert.ok(performance.now() - started < 2000, 'a refused connection ends the wait at once')
    const limiter = store.limiter('test', FIVE_PER_MINUTE)
    assert.equal(await consumeMany(limiter, 'client', 8), 5, 'still limited, in memory')
    assert.equal(await consumeMany(limiter, 'another', 2), 2)
    await delay(300) // ioredis keeps retrying the connection meanwhile
    assert.equal(warnings().length, 1, JSON.stringify(warnings()))
    assert.match(warnings()[0].message, /Redis is not answering: rate limits now count in each process/)
    assert.match(JSON.stringify(warnings()[0].object), /ECONNREFUSED/)
    await store.close()
  })

  it('counts in memory while Redis is away, and in Redis again once it is back', async () => {
    const relay = new RedisRelay()
    await relay.start()
    try {
      const { log, lines, warnings } = capturingLog()
      const prefix = testPrefix()
      const store = open({ redisUrl: relay.url, prefix, log })
      await store.ready()
      const limiter = store.limiter('test', FIVE_PER_MINUTE)
      assert.equal(await consumeMany(limiter, 'client', 2), 2)
      assert.deepEqual(await keysUnder(prefix), [`${prefix}:rl:test:client`])

      await relay.cut()
      await delay(100)
      // The in-memory count starts from nothing: five more go through, then it refuses.
      assert.equal(await consumeMany(limiter, 'client', 7), 5)
      assert.equal(warnings().length, 1, JSON.stringify(lines))

      await relay.start()
      const deadline = Date.now() + 10_000
      while (!lines.some((l) => l.level === 'info') && Date.now() < deadline) await delay(50)
      assert.match(lines.at(-1)!.message, /Redis answers again/)
      // Redis still holds the 2 counted before: 3 more.
      assert.equal(await consumeMany(limiter, 'client', 5), 3)
    } finally {
      await relay.stop()
    }
  })

  it('a Redis that hangs holds a request up for the command timeout only, then counts in memory', async () => {
    const relay = new RedisRelay()
    await relay.start()
    try {
      const { log, warnings } = capturingLog()
      const store = open({ redisUrl: relay.url, prefix: testPrefix(), log, commandTimeoutMs: 100 })
      await store.ready()
      const limiter = store.limiter('test', FIVE_PER_MINUTE)
      assert.equal((await limiter.consume('client')).ok, true)
      relay.freeze(true)
      const started = performance.now()
      assert.equal((await limiter.consume('client')).ok, true)
      const waited = performance.now() - started
      assert.ok(waited >= 90 && waited < 1000, `waited ${waited} ms`)
      assert.equal(warnings().length, 1)
      assert.match(JSON.stringify(warnings()[0].object), /timed out|took too long/i)
    } finally {
      relay.freeze(false)
      await relay.stop()
    }
  })
})
