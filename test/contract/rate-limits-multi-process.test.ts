import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { cashCard } from '../helpers/app.ts'
import { kabaoEnv, runCli, startServer, startServers, stopServers, type ServerProcess } from '../helpers/server-process.ts'
import { REDIS_URL, UNREACHABLE_REDIS_URL, redisOptions } from '../helpers/redis.ts'

// Two `kabao serve` processes on one PostgreSQL, configured as an operator would: with REDIS_URL they
// share one count per client address and per API key; without it, or with a Redis that does not answer,
// each counts on its own and no request fails for it.

const CLAIMS_PER_MINUTE = 4
const CALLS_PER_MINUTE = 6
const LIMITS = { CLAIM_RATE_LIMIT: `${CLAIMS_PER_MINUTE}/min`, API_RATE_LIMIT: `${CALLS_PER_MINUTE}/min` }
const OUTAGE_WARNING = 'Redis is not answering: rate limits now count in each process'

interface Answer {
  status: number
  retryAfter: string | null
  code: string | null
}

async function call(base: string, path: string, options: { key?: string; method?: string; body?: unknown } = {}): Promise<Answer & { body: any }> {
  const headers: Record<string, string> = {}
  if (options.key) headers.authorization = `Bearer ${options.key}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${base}${path}`, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
  const text = await res.text()
  const body = text ? JSON.parse(text) : undefined
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body?.code ?? null, body }
}

/** n requests taking turns between the servers: server 0, server 1, server 0, … */
async function alternate(servers: ServerProcess[], n: number, path: string, key?: string): Promise<Answer[]> {
  const answers: Answer[] = []
  for (let i = 0; i < n; i++) {
    const { status, retryAfter, code } = await call(servers[i % servers.length].base, path, { key })
    answers.push({ status, retryAfter, code })
  }
  return answers
}

function assertRefusedFrom(answers: Answer[], allowed: number, okStatus: number, label: string): void {
  const statuses = answers.map((a) => a.status)
  assert.deepEqual(statuses, [...Array(allowed).fill(okStatus), ...Array(answers.length - allowed).fill(429)], `${label}: ${statuses.join(' ')}`)
  for (const refused of answers.slice(allowed)) {
    assert.equal(refused.code, 'rate_limited', label)
    const seconds = Number(refused.retryAfter)
    assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `${label}: Retry-After ${refused.retryAfter}`)
  }
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1
}

const redisSkip = (await redisOptions()).skip

describe('rate limits across server processes on one PostgreSQL', await engineOptions('postgres'), () => {
  let database: TestDatabase
  let token: string
  /** A key used only for counting calls (the other merchant's key set things up). */
  let countedKey: string

  before(async () => {
    database = await createTestDatabase('postgres')
    const env = kabaoEnv(database.url)
    const [setupMerchant, countedMerchant] = await Promise.all([
      runCli(['merchant', 'create', '--name', 'Set-up', '--json'], env),
      runCli(['merchant', 'create', '--name', 'Counted', '--json'], env),
    ])
    assert.equal(setupMerchant.code, 0, setupMerchant.stderr)
    assert.equal(countedMerchant.code, 0, countedMerchant.stderr)
    const key = JSON.parse(setupMerchant.stdout).api_key
    countedKey = JSON.parse(countedMerchant.stdout).api_key
    const server = await startServer(env)
    try {
      const card = await call(server.base, '/v1/cards', { key, method: 'POST', body: cashCard() })
      assert.equal(card.status, 201, JSON.stringify(card.body))
      const link = await call(server.base, `/v1/cards/${card.body.id}/claim-links`, { key, method: 'POST', body: {} })
      assert.equal(link.status, 201, JSON.stringify(link.body))
      token = link.body.token
    } finally {
      await server.stop()
    }
  })
  after(async () => {
    await database?.drop()
  })

  it('with REDIS_URL, requests split across both processes are limited together', { skip: redisSkip }, async () => {
    const servers = await startServers(2, kabaoEnv(database.url, { ...LIMITS, REDIS_URL }))
    try {
      assertRefusedFrom(await alternate(servers, CLAIMS_PER_MINUTE + 3, `/v1/claim/${token}`), CLAIMS_PER_MINUTE, 200, 'claim page per address')
      assertRefusedFrom(await alternate(servers, CALLS_PER_MINUTE + 3, '/v1/ping', countedKey), CALLS_PER_MINUTE, 200, 'calls per API key')
      for (const server of servers) assert.equal(occurrences(server.output(), OUTAGE_WARNING), 0, server.output())
    } finally {
      await stopServers(servers)
    }
  })

  it('without REDIS_URL, each process counts on its own', async () => {
    // REDIS_URL empty: not set, whatever the test run's environment says.
    const servers = await startServers(2, kabaoEnv(database.url, { ...LIMITS, REDIS_URL: '' }))
    try {
      assertRefusedFrom(await alternate(servers, 2 * CLAIMS_PER_MINUTE + 2, `/v1/claim/${token}`), 2 * CLAIMS_PER_MINUTE, 200, 'claim page per address')
      assertRefusedFrom(await alternate(servers, 2 * CALLS_PER_MINUTE + 2, '/v1/ping', countedKey), 2 * CALLS_PER_MINUTE, 200, 'calls per API key')
    } finally {
      await stopServers(servers)
    }
  })

  it('with a Redis that does not answer, requests are answered and counted in each process, and each process says so once', async () => {
    const servers = await startServers(2, kabaoEnv(database.url, { ...LIMITS, REDIS_URL: UNREACHABLE_REDIS_URL }))
    try {
      assertRefusedFrom(await alternate(servers, 2 * CLAIMS_PER_MINUTE + 2, `/v1/claim/${token}`), 2 * CLAIMS_PER_MINUTE, 200, 'claim page per address')
      assertRefusedFrom(await alternate(servers, 2 * CALLS_PER_MINUTE + 2, '/v1/ping', countedKey), 2 * CALLS_PER_MINUTE, 200, 'calls per API key')
      for (const server of servers) {
        assert.equal(occurrences(server.output(), OUTAGE_WARNING), 1, server.output())
        assert.equal((await call(server.base, '/readyz')).status, 200, 'Redis is not needed to be ready')
      }
    } finally {
      await stopServers(servers)
    }
  })
})
