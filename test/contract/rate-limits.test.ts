import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import type { Engine } from '../../src/db/database.ts'
import type { RateLimitSettings } from '../../src/rate-limit-rules.ts'
import { createRateLimits, type RateLimits } from '../../src/ports/rate-limits.ts'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type Response, type TestApp } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { REDIS_URL, redisOptions, testPrefix } from '../helpers/redis.ts'
import { fillParams, listRoutes } from '../helpers/routes.ts'

const OFF: RateLimitSettings = { api: null, claim: null, otp: null, sign_in: null }
const THREE_PER_MINUTE = { points: 3, durationSeconds: 60 }
const TWO_PER_MINUTE = { points: 2, durationSeconds: 60 }

type StoreKind = 'memory' | 'redis'

function storeOf(kind: StoreKind, prefix = testPrefix()): RateLimits {
  return createRateLimits({ redisUrl: kind === 'redis' ? REDIS_URL : null, prefix })
}

async function appWith(engine: Engine, store: RateLimits, limits: Partial<RateLimitSettings>, build: { trustProxy?: boolean | string[]; logger?: pino.Logger } = {}): Promise<TestApp> {
  await store.ready()
  return startTestApp(engine, { build: { ...build, rateLimits: { store, limits: { ...OFF, ...limits } } } })
}

interface SendOptions {
  /** The client's address as the server sees the connection. */
  from: string
  body?: unknown
  /** A merchant API key or a wallet token. */
  bearer?: string
  headers?: Record<string, string>
}

/** A request from a given address (`app.inject` lets the test say who connects). */
async function send(t: TestApp, method: string, url: string, { from, body, bearer, headers = {} }: SendOptions): Promise<Response> {
  const all: Record<string, string> = { ...headers }
  if (bearer) all.authorization = `Bearer ${bearer}`
  if (body !== undefined) all['content-type'] = 'application/json'
  const res = await t.app.inject({ method: method as 'GET', url, remoteAddress: from, headers: all, payload: body === undefined ? undefined : JSON.stringify(body) })
  let parsed: unknown
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined
  } catch {
    parsed = res.body
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as any, text: res.body }
}

/** A 429 as the contract says: problem+json `rate_limited` and a Retry-After of whole seconds within the window. */
function assertRateLimited(res: Response, windowSeconds: number, detail: RegExp): void {
  const problem = assertProblem(res, 429, 'rate_limited')
  const retryAfter = Number(res.headers['retry-after'])
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After: ${res.headers['retry-after']}`)
  assert.match(problem.detail, detail)
}

/** A card with a claim link and a customer's wallet token, made with the merchant's key. */
async function claimLinkAndCustomer(t: TestApp, key: string): Promise<{ token: string; walletToken: string }> {
  const card = await t.request('POST', '/v1/cards', { key, body: cashCard() })
  assert.equal(card.status, 201, card.text)
  const link = await t.request('POST', `/v1/cards/${card.body.id}/claim-links`, { key, body: {} })
  assert.equal(link.status, 201, link.text)
  const wallet = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'u-1' } })
  assert.equal(wallet.status, 201, wallet.text)
  return { token: link.body.token, walletToken: wallet.body.token }
}

for (const engine of ENGINES) {
  for (const kind of ['memory', 'redis'] as const) {
    const options = kind === 'redis' ? await redisOptions() : await engineOptions(engine)
    const skip = (await engineOptions(engine)).skip || options.skip
    describe(`limits per client address on ${engine}, counted in ${kind}`, { skip }, () => {
      let t: TestApp
      let key: string
      let token: string
      let walletToken: string
      const prefix = testPrefix()

      before(async () => {
        t = await appWith(engine, storeOf(kind, prefix), { claim: THREE_PER_MINUTE, otp: THREE_PER_MINUTE, sign_in: TWO_PER_MINUTE })
        ;({ apiKey: key } = await t.merchant('Noodle Bar'))
        ;({ token, walletToken } = await claimLinkAndCustomer(t, key))
      })
      after(() => t?.close())

      it('the claim page, claiming and the QR codes count together per address; past the limit: 429 rate_limited with Retry-After', async () => {
        const from = '198.51.100.1'
        assert.equal((await send(t, 'GET', `/v1/claim/${token}`, { from })).status, 200)
        assert.equal((await send(t, 'GET', `/v1/claim-links/${token}/qr.svg`, { from })).status, 200)
        assert.equal((await send(t, 'POST', `/v1/claim/${token}`, { from, bearer: walletToken })).status, 201)
        assertRateLimited(await send(t, 'GET', `/v1/claim/${token}`, { from }), 60, /Too many claim requests from this address \(at most 3 per minute\); try again in \d+ s\./)
        assertRateLimited(await send(t, 'POST', `/v1/claim/${token}`, { from, bearer: walletToken }), 60, /claim requests/)
        assertRateLimited(await send(t, 'GET', `/v1/claim-links/${token}/qr.png`, { from }), 60, /claim requests/)
        // Refused before anything else: not even the wallet token is looked at.
        assertRateLimited(await send(t, 'POST', `/v1/claim/${token}`, { from, bearer: 'not-a-token' }), 60, /claim requests/)

        assert.equal((await send(t, 'GET', `/v1/claim/${token}`, { from: '198.51.100.2' })).status, 200, 'another address counts on its own')
        assert.equal((await send(t, 'POST', '/v1/wallet/otp', { from, body: { merchant_id: 'mch_none', phone: '13800000000' } })).status, 404, 'another group counts on its own')
        assert.equal((await t.request('GET', `/v1/claim-links?limit=1`, { key })).status, 200, 'merchant routes are not limited per address')
      })

      it('sign-in codes: sending and signing in count together per address, and the limit per phone still answers behind it', async () => {
        const from = '198.51.100.3'
        const merchantId = (await t.request('GET', '/v1/ping', { key })).body.merchant_id
        const sent = await send(t, 'POST', '/v1/wallet/otp', { from, body: { merchant_id: merchantId, phone: '13800138000' } })
        assert.equal(sent.status, 202, sent.text)
        // The database-counted limit per phone number (a minute between codes) is unchanged.
        const again = await send(t, 'POST', '/v1/wallet/otp', { from, body: { merchant_id: merchantId, phone: '13800138000' } })
        assertProblem(again, 429, 'otp_rate_limited')
        assert.ok(Number(again.headers['retry-after']) >= 1)
        const wrong = await send(t, 'POST', '/v1/wallet/sessions', { from, body: { merchant_id: merchantId, challenge_id: sent.body.challenge_id, code: '000000' } })
        assert.ok([201, 401].includes(wrong.status), wrong.text)
        const blocked = await send(t, 'POST', '/v1/wallet/otp', { from, body: { merchant_id: merchantId, phone: '13900139000' } })
        assertRateLimited(blocked, 60, /Too many sign-in code requests from this address/)
        assert.equal(t.notifier.sent.filter((s) => s.destination.endsWith('13900139000')).length, 0, 'no code went out')
        const elsewhere = await send(t, 'POST', '/v1/wallet/otp', { from: '198.51.100.4', body: { merchant_id: merchantId, phone: '13900139000' } })
        assert.equal(elsewhere.status, 202, elsewhere.text)
      })

      it('staff sign-in and the first run count together per address, in front of the failed sign-ins counted in the database', async () => {
        const from = '198.51.100.5'
        const failed = await send(t, 'POST', '/v1/staff/sessions', { from, body: { login: 'nobody', password: 'wrong password' } })
        assertProblem(failed, 401, 'invalid_credentials')
        assertProblem(await send(t, 'POST', '/v1/setup', { from, body: {} }), 422, 'validation_failed')
        const refused = await send(t, 'POST', '/v1/staff/sessions', { from, body: { login: 'nobody', password: 'wrong password' } })
        assertRateLimited(refused, 60, /Too many sign-in attempts from this address \(at most 2 per minute\)/)
        const counted = await t.ctx.database.db.selectFrom('login_attempts').select('id').where('subject', '=', `ip:${from}`).execute()
        assert.equal(counted.length, 1, 'the refused attempt never reached the password check')
      })

      it('IPv6 clients count by their /64 network', async () => {
        for (const from of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::9']) {
          assert.equal((await send(t, 'GET', `/v1/claim/${token}`, { from })).status, 200, from)
        }
        assertRateLimited(await send(t, 'GET', `/v1/claim/${token}`, { from: '2001:db8:1:2::abcd' }), 60, /claim requests/)
        assert.equal((await send(t, 'GET', `/v1/claim/${token}`, { from: '2001:db8:1:3::1' })).status, 200)
      })

      it(kind === 'redis' ? 'two apps on one Redis prefix (one deployment) share one count' : 'two apps in memory (two processes) count apart', async () => {
        const other = await appWith(engine, storeOf(kind, prefix), { claim: THREE_PER_MINUTE })
        try {
          const from = '198.51.100.6'
          const statuses: number[] = []
          // An unknown token is a request like any other: it counts.
          for (let i = 0; i < 8; i++) statuses.push((await send(i % 2 === 0 ? t : other, 'GET', '/v1/claim/unknown-token', { from })).status)
          assert.deepEqual(statuses, kind === 'redis' ? [404, 404, 404, 429, 429, 429, 429, 429] : [404, 404, 404, 404, 404, 404, 429, 429])
        } finally {
          await other.close()
        }
      })
    })

    describe(`limits per API key on ${engine}, counted in ${kind}`, { skip }, () => {
      let t: TestApp

      before(async () => {
        t = await appWith(engine, storeOf(kind), { api: THREE_PER_MINUTE })
      })
      after(() => t?.close())

      it('every call with one key counts, from any address; past the limit: 429 rate_limited, before the body is read', async () => {
        const { apiKey } = await t.merchant('Tea House')
        const other = await t.merchant('Bakery')
        assert.equal((await send(t, 'GET', '/v1/ping', { from: '203.0.113.1', bearer: apiKey })).status, 200)
        assert.equal((await send(t, 'GET', '/v1/cards', { from: '203.0.113.2', bearer: apiKey })).status, 200)
        assert.equal((await send(t, 'POST', '/v1/cards', { from: '203.0.113.3', bearer: apiKey, body: cashCard() })).status, 201)
        assertRateLimited(await send(t, 'GET', '/v1/ping', { from: '203.0.113.1', bearer: apiKey }), 60, /Too many requests with this API key \(at most 3 per minute\); try again in \d+ s\./)
        // An invalid body is not even looked at.
        assertRateLimited(await send(t, 'POST', '/v1/cards', { from: '203.0.113.4', bearer: apiKey, body: { nonsense: true } }), 60, /API key/)

        assert.equal((await send(t, 'GET', '/v1/ping', { from: '203.0.113.1', bearer: other.apiKey })).status, 200, 'another key counts on its own')
        for (let i = 0; i < 5; i++) assertProblem(await send(t, 'GET', '/v1/ping', { from: '203.0.113.1', bearer: 'kb_unknown' }), 401, 'unauthenticated')
        for (let i = 0; i < 5; i++) assert.equal((await send(t, 'GET', '/v1/claim/unknown', { from: '203.0.113.1' })).status, 404, 'public routes have no key to count')
      })
    })
  }
}

/** The routes limited per client address, by group: the public ways in that attract abuse. */
const LIMITED = new Map<string, 'claim' | 'otp' | 'sign_in'>([
  ['GET /v1/claim/:token', 'claim'],
  ['POST /v1/claim/:token', 'claim'],
  ['GET /v1/claim-links/:claim_link_id/qr.png', 'claim'],
  ['GET /v1/claim-links/:claim_link_id/qr.svg', 'claim'],
  // A gift link is a claim link for one friend: its page, acceptance and QR code count as claims.
  ['GET /v1/wallet/gifts/:token', 'claim'],
  ['POST /v1/wallet/gifts/:token/accept', 'claim'],
  ['GET /v1/wallet/gifts/:token/qr.png', 'claim'],
  ['GET /v1/wallet/gifts/:token/qr.svg', 'claim'],
  ['POST /v1/wallet/otp', 'otp'],
  ['POST /v1/wallet/sessions', 'otp'],
  ['POST /v1/setup', 'sign_in'],
  ['POST /v1/staff/sessions', 'sign_in'],
])

describe('which routes are limited per client address', () => {
  it('exactly the claim (gift links included), sign-in code and staff sign-in routes; no other route, public or not', async () => {
    const one = { points: 1, durationSeconds: 60 }
    const t = await appWith('sqlite', storeOf('memory'), { claim: one, otp: one, sign_in: one })
    try {
      const routes = listRoutes(t.app).filter((r) => r.method !== 'HEAD')
      const seen = new Set<string>()
      for (const [i, route] of routes.entries()) {
        const label = `${route.method} ${route.url}`
        // A fresh address per route: the second request is refused only if the route itself is limited.
        const from = `10.${(i >> 8) & 255}.${i & 255}.1`
        const request = () => send(t, route.method, fillParams(route.url), { from, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }) })
        const first = await request()
        const second = await request()
        assert.notEqual(first.status, 429, `${label}: ${first.text}`)
        if (LIMITED.has(label)) {
          seen.add(label)
          const words = { claim: 'claim requests', otp: 'sign-in code requests', sign_in: 'sign-in attempts' }[LIMITED.get(label)!]
          assert.match(assertProblem(second, 429, 'rate_limited').detail, new RegExp(`Too many ${words} from this address`), label)
        } else {
          assert.notEqual(second.status, 429, `${label} is limited per address: ${second.text}`)
        }
      }
      assert.deepEqual([...seen].sort(), [...LIMITED.keys()].sort(), 'every limited route exists')
    } finally {
      await t.close()
    }
  })
})

describe('no limits', () => {
  it('without rate limits, or with every limit off, nothing is refused', async () => {
    for (const t of [await startTestApp('sqlite'), await appWith('sqlite', storeOf('memory'), {})]) {
      try {
        const { apiKey } = await t.merchant()
        for (let i = 0; i < 150; i++) {
          assert.equal((await send(t, 'GET', '/v1/claim/unknown', { from: '192.0.2.1' })).status, 404)
          assert.equal((await send(t, 'GET', '/v1/ping', { from: '192.0.2.1', bearer: apiKey })).status, 200)
        }
        // 25: below the database's own limit of failed sign-ins per address.
        for (let i = 0; i < 25; i++) assertProblem(await send(t, 'POST', '/v1/staff/sessions', { from: '192.0.2.1', body: { login: `nobody${i}`, password: 'x' } }), 401, 'invalid_credentials')
      } finally {
        await t.close()
      }
    }
  })
})

describe('the client address behind a proxy', () => {
  it('without TRUST_PROXY, X-Forwarded-For changes nothing, and a warning says the proxy’s address is counted', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) })
    const t = await appWith('sqlite', storeOf('memory'), { claim: THREE_PER_MINUTE }, { logger })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) statuses.push((await send(t, 'GET', '/v1/claim/unknown', { from: '10.0.0.1', headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status)
      assert.deepEqual(statuses, [404, 404, 404, 429, 429])
      const warnings = lines.filter((line) => line.includes('TRUST_PROXY is off'))
      assert.equal(warnings.length, 1, lines.join('\n'))
    } finally {
      await t.close()
    }
  })

  it('with TRUST_PROXY naming the proxy, each client behind it counts on its own; what others claim in X-Forwarded-For is ignored', async () => {
    const t = await appWith('sqlite', storeOf('memory'), { claim: THREE_PER_MINUTE }, { trustProxy: ['10.0.0.1'] })
    try {
      const via = (client: string, proxy = '10.0.0.1') => send(t, 'GET', '/v1/claim/unknown', { from: proxy, headers: { 'x-forwarded-for': client } })
      for (let i = 0; i < 3; i++) assert.equal((await via('203.0.113.1')).status, 404)
      assertRateLimited(await via('203.0.113.1'), 60, /claim requests/)
      assert.equal((await via('203.0.113.2')).status, 404)
      // A client that connects directly and sends its own X-Forwarded-For is counted by its own address.
      for (let i = 0; i < 3; i++) assert.equal((await via(`203.0.113.${10 + i}`, '198.51.100.9')).status, 404)
      assertRateLimited(await via('203.0.113.20', '198.51.100.9'), 60, /claim requests/)
    } finally {
      await t.close()
    }
  })
})
