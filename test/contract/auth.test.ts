import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { fillParams, listRoutes, type RouteEntry } from '../helpers/routes.ts'
import { setTimeout as delay } from 'node:timers/promises'
import { ManualClock } from '../../src/ports/clock.ts'

const HOUR = 60 * 60 * 1000

/** Routes anyone may call: health, the API description, and the customer's way in. */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /metrics',
  'GET /v1/claim/:token',
  'GET /v1/claim-links/:claim_link_id/qr.png',
  'GET /v1/claim-links/:claim_link_id/qr.svg',
  // A gift link's page and QR code, which the friend opens before signing in.
  'GET /v1/wallet/gifts/:token',
  'GET /v1/wallet/gifts/:token/qr.png',
  'GET /v1/wallet/gifts/:token/qr.svg',
  'POST /v1/wallet/otp',
  'POST /v1/wallet/sessions',
  'GET /v1/setup',
  'POST /v1/setup',
  'POST /v1/staff/sessions',
])

/** The WeChat-compatible API answers with errcodes, its calls authenticated by WeChat's own access_token (wechat.test.ts). */
const WECHAT_FACADE = /^\/(cgi-bin|card|datacube|kabao)\//

function isPublic(route: RouteEntry): boolean {
  return PUBLIC.has(`${route.method} ${route.url}`) || route.url === '/docs' || route.url.startsWith('/docs/') || WECHAT_FACADE.test(route.url)
}

/** What a till (`redeem`) key may do besides redeeming: look a code, a card, a store or a redemption up. */
const TILL = new Set([
  'GET /v1/ping',
  'POST /v1/redemptions',
  'POST /v1/redemptions/check',
  'POST /v1/redemptions/:redemption_id/reverse',
  'POST /v1/payments',
  'GET /v1/redemptions',
  'GET /v1/redemptions/:redemption_id',
  'GET /v1/coupons/:code',
  'GET /v1/cards/:card_id',
  'GET /v1/stores/:store_id',
  'GET /v1/member-cards/:member_card_id',
  'GET /v1/members',
  'GET /v1/members/:member_id',
  'POST /v1/members/:member_id/orders',
  'POST /v1/members/:member_id/orders/:order_ref/refunds',
  'POST /v1/reward-exchanges/pick-up',
])

/** The customer's routes (a wallet token, never an API key): the wallet, and claiming through a link. */
function isCustomerRoute(route: RouteEntry): boolean {
  return route.url.startsWith('/v1/wallet/') || `${route.method} ${route.url}` === 'POST /v1/claim/:token'
}

/** Routes for an API key or a wallet token alike: the merchant's own events, recorded by its app or its customers' browsers. */
const KEY_OR_WALLET = new Set(['POST /v1/track'])

/** A staff member's own session (console, store terminal): its cookie only, never an API key. */
function isStaffSessionRoute(route: RouteEntry): boolean {
  return route.url.startsWith('/v1/staff/session')
}

/** Reads that hold customers' sign-in codes and the merchant's provider settings: full keys only. */
const FULL_KEY_READS = new Set(['/v1/message-channels', '/v1/sent-messages'])

const label = (route: RouteEntry) => `${route.method} ${route.url}`

for (const engine of ENGINES) {
  describe(`authentication and scopes on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let key: string
    /** Every route except HEAD twins. */
    let routes: RouteEntry[]
    /** Routes an API key calls (not public, not the customer wallet's). */
    let merchantRoutes: RouteEntry[]

    const call = (route: RouteEntry, apiKey: string | null, headers: Record<string, string> = {}) =>
      t.request(route.method, fillParams(route.url), { key: apiKey, headers, ...(route.method === 'GET' ? {} : { body: {} }) })

    const newKey = async (scope: string, storeId?: string) => {
      const res = await t.request('POST', '/v1/api-keys', { key, body: { name: `${scope} key`, scope, ...(storeId ? { store_id: storeId } : {}) } })
      assert.equal(res.status, 201, res.text)
      return res.body as { id: string; api_key: string; key_hint: string }
    }

    before(async () => {
      // Whole seconds, as responses show them.
      clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000)
      t = await startTestApp(engine, { clock })
      key = (await t.merchant()).apiKey
      await t.app.ready()
      routes = listRoutes(t.app).filter((r) => r.method !== 'HEAD')
      merchantRoutes = []
      for (const route of routes) {
        if (isPublic(route)) continue
        // A wallet route refuses any API key, even a full one.
        const res = await call(route, key)
        if (res.status !== 401) merchantRoutes.push(route)
      }
      assert.ok(merchantRoutes.length >= 30, `found ${merchantRoutes.length} merchant routes`)
    })
    after(() => t.close())

    it('answers 401 unauthenticated to every non-public route called without a key', async () => {
      for (const route of routes) {
        if (isPublic(route)) continue
        const res = await call(route, null)
        assertProblem(res, 401, 'unauthenticated')
        assert.equal(res.headers['www-authenticate'], 'Bearer', label(route))
      }
    })

    it('keeps the wallet’s routes to signed-in customers and every other route to API keys', async () => {
      const refusingKeys = routes.filter((route) => !isPublic(route) && !merchantRoutes.includes(route))
      assert.deepEqual(refusingKeys.filter((route) => !isCustomerRoute(route) && !isStaffSessionRoute(route)).map(label), [], 'only customer and staff-session routes refuse a full API key')
      const customerRoutes = refusingKeys.filter(isCustomerRoute)
      assert.ok(customerRoutes.some((route) => route.url.startsWith('/v1/wallet/members')), 'the member cards’ wallet routes are among them')
      assert.ok(customerRoutes.some((route) => route.url.startsWith('/v1/wallet/notifications')), 'and the inbox')
      const wallet = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'auth-user' } })
      assert.equal(wallet.status, 201, wallet.text)
      for (const route of customerRoutes) {
        const res = await call(route, wallet.body.token)
        assert.ok(res.status !== 401 && res.status !== 403, `${label(route)} with a wallet token: ${res.status} ${res.text}`)
      }
      for (const route of merchantRoutes.filter((r) => !KEY_OR_WALLET.has(label(r)))) assertProblem(await call(route, wallet.body.token), 401, 'unauthenticated')
      for (const route of merchantRoutes.filter((r) => KEY_OR_WALLET.has(label(r)))) {
        const res = await call(route, wallet.body.token)
        assert.ok(res.status !== 401 && res.status !== 403, `${label(route)} with a wallet token: ${res.status} ${res.text}`)
      }
    })

    it('answers 401 to a malformed Authorization header or an unknown key', async () => {
      const cards = { method: 'GET', url: '/v1/cards' }
      const headers = ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `Token ${key}`, `Bearer ${key} extra`, `${key}`, 'Bearer kb_unknownunknownunknownunknownunkn', `Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`]
      for (const authorization of headers) {
        const res = await call(cards, null, { authorization })
        const problem = assertProblem(res, 401, 'unauthenticated')
        assert.ok(!problem.detail.includes(key), 'the detail never echoes a key')
      }
      // The scheme is case-insensitive, as HTTP says.
      assert.equal((await call(cards, null, { authorization: `bearer ${key}` })).status, 200)
      assert.equal((await call(cards, null, { authorization: `Bearer  ${key}` })).status, 200)
    })

    it('stops accepting a revoked key at once, on every route', async () => {
      const revoked = await newKey('full')
      assert.equal((await t.request('GET', '/v1/cards', { key: revoked.api_key })).status, 200)
      const res = await t.request('POST', `/v1/api-keys/${revoked.id}/revoke`, { key })
      assert.equal(res.status, 200, res.text)
      assert.notEqual(res.body.revoked_at, null)
      for (const route of merchantRoutes) assertProblem(await call(route, revoked.api_key), 401, 'unauthenticated')
      // Revoking again changes nothing and the key stays dead.
      assert.equal((await t.request('POST', `/v1/api-keys/${revoked.id}/revoke`, { key })).status, 200)
      assertProblem(await t.request('GET', '/v1/cards', { key: revoked.api_key }), 401, 'unauthenticated')
      // A key cannot be rotated back to life.
      assertProblem(await t.request('POST', `/v1/api-keys/${revoked.id}/rotate`, { key }), 409, 'invalid_state')
    })

    it('stops accepting a key revoked by another process of the deployment within a second', async () => {
      const revoked = await newKey('full')
      assert.equal((await t.request('GET', '/v1/cards', { key: revoked.api_key })).status, 200)
      // Another process revokes it: this one learns only from the database.
      await t.db.database.db.updateTable('api_keys').set({ revoked_at: clock.now() }).where('id', '=', revoked.id).execute()
      await delay(1100)
      assertProblem(await t.request('GET', '/v1/cards', { key: revoked.api_key }), 401, 'unauthenticated')
    })

    it('keeps a rotated key working for 24 hours next to its replacement, then refuses it', async () => {
      const old = await newKey('full')
      const rotated = await t.request('POST', `/v1/api-keys/${old.id}/rotate`, { key })
      assert.equal(rotated.status, 201, rotated.text)
      const replacement = rotated.body.api_key as string
      assert.notEqual(replacement, old.api_key)
      assert.equal(rotated.body.scope, 'full')

      const listed = await t.request('GET', '/v1/api-keys', { key })
      const oldRow = listed.body.data.find((k: { id: string }) => k.id === old.id)
      assert.equal(Date.parse(oldRow.expires_at), clock.now() + 24 * HOUR)

      for (const apiKey of [old.api_key, replacement]) assert.equal((await t.request('GET', '/v1/cards', { key: apiKey })).status, 200)
      clock.advance(24 * HOUR - 1000)
      assert.equal((await t.request('GET', '/v1/cards', { key: old.api_key })).status, 200, 'still inside the grace period')
      clock.advance(1000)
      assertProblem(await t.request('GET', '/v1/cards', { key: old.api_key }), 401, 'unauthenticated')
      assertProblem(await t.request('POST', '/v1/stores', { key: old.api_key, body: { name: 'Late' } }), 401, 'unauthenticated')
      assert.equal((await t.request('GET', '/v1/cards', { key: replacement })).status, 200)
      clock.advance(365 * 24 * HOUR)
      assert.equal((await t.request('GET', '/v1/cards', { key: replacement })).status, 200, 'the replacement does not expire')
    })

    it('lets a read key look at everything and change nothing (403 forbidden)', async () => {
      const read = await newKey('read')
      for (const route of merchantRoutes) {
        const res = await call(route, read.api_key)
        if (route.method === 'GET' && !FULL_KEY_READS.has(route.url)) {
          assert.ok(res.status !== 401 && res.status !== 403, `${label(route)} with a read key: ${res.status} ${res.text}`)
        } else {
          assertProblem(res, 403, 'forbidden')
        }
      }
    })

    it('lets a redeem key redeem, check, reverse and look codes up, and nothing else', async () => {
      const till = await newKey('redeem')
      for (const route of merchantRoutes) {
        const res = await call(route, till.api_key)
        if (TILL.has(label(route))) {
          assert.ok(res.status !== 401 && res.status !== 403, `${label(route)} with a redeem key: ${res.status} ${res.text}`)
        } else {
          assertProblem(res, 403, 'forbidden')
        }
      }
      // And it really redeems, end to end.
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard() })
      const coupon = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'till-user' } })
      const code = coupon.body.code as string
      assert.equal((await t.request('GET', `/v1/coupons/${code}`, { key: till.api_key })).body.state, 'available')
      const check = await t.request('POST', '/v1/redemptions/check', { key: till.api_key, body: { code, order_amount: 12000 } })
      assert.equal(check.status, 200, check.text)
      const redeemed = await t.request('POST', '/v1/redemptions', { key: till.api_key, body: { code, order_amount: 12000 } })
      assert.equal(redeemed.status, 201, redeemed.text)
      assert.equal(redeemed.body.api_key_id, till.id)
      const reversed = await t.request('POST', `/v1/redemptions/${redeemed.body.id}/reverse`, { key: till.api_key })
      assert.equal(reversed.status, 200, reversed.text)
      const refused = assertProblem(await t.request('POST', '/v1/cards', { key: till.api_key, body: cashCard() }), 403, 'forbidden')
      assert.equal(refused.detail, 'A redeem key may not call POST /v1/cards; that takes a full key.')
      assertProblem(await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key: till.api_key, body: { user_id: 'x' } }), 403, 'forbidden')
      assertProblem(await t.request('GET', '/v1/api-keys', { key: till.api_key }), 403, 'forbidden')
      assertProblem(await t.request('POST', `/v1/coupons/${code}/void`, { key: till.api_key }), 403, 'forbidden')
    })

    it('makes a store-bound redeem key redeem in its store, and refuses another store with 403', async () => {
      const home = await t.request('POST', '/v1/stores', { key, body: { name: 'Home' } })
      const other = await t.request('POST', '/v1/stores', { key, body: { name: 'Other' } })
      const till = await newKey('redeem', home.body.id)
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ store_ids: [home.body.id] }) })
      const elsewhere = await t.request('POST', '/v1/cards', { key, body: cashCard({ store_ids: [other.body.id] }) })
      const issue = async (cardId: string, user_id: string) => (await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id } })).body.code as string

      const code = await issue(card.body.id, 'bound-1')
      assertProblem(await t.request('POST', '/v1/redemptions/check', { key: till.api_key, body: { code, store_id: other.body.id, order_amount: 12000 } }), 403, 'forbidden')
      assertProblem(await t.request('POST', '/v1/redemptions', { key: till.api_key, body: { code, store_id: other.body.id, order_amount: 12000 } }), 403, 'forbidden')
      assert.equal((await t.request('GET', `/v1/coupons/${code}`, { key })).body.state, 'available', 'the refused redemption changed nothing')

      const redeemed = await t.request('POST', '/v1/redemptions', { key: till.api_key, body: { code, order_amount: 12000 } })
      assert.equal(redeemed.status, 201, redeemed.text)
      assert.equal(redeemed.body.store_id, home.body.id)
      const explicit = await t.request('POST', '/v1/redemptions', { key: till.api_key, body: { code: await issue(card.body.id, 'bound-2'), store_id: home.body.id, order_amount: 12000 } })
      assert.equal(explicit.status, 201, explicit.text)
      assertProblem(await t.request('POST', '/v1/redemptions', { key: till.api_key, body: { code: await issue(elsewhere.body.id, 'bound-3'), order_amount: 12000 } }), 409, 'store_not_allowed')

      // A full key without a store cannot redeem a store-limited coupon without naming the store.
      assertProblem(await t.request('POST', '/v1/redemptions', { key, body: { code: await issue(card.body.id, 'bound-4'), order_amount: 12000 } }), 409, 'store_not_allowed')

      // Members' orders and payments at the till are its store's too.
      const memberCard = await t.request('POST', '/v1/member-cards', { key, body: { title: 'Club', levels: [{ name: 'Member', min_growth: 0 }] } })
      const member = await t.request('POST', `/v1/member-cards/${memberCard.body.id}/members`, { key, body: { user_id: 'bound-member' } })
      assert.equal(member.status, 201, member.text)
      const orders = `/v1/members/${member.body.id}/orders`
      assertProblem(await t.request('POST', orders, { key: till.api_key, body: { order_ref: 'elsewhere', order_amount: 1000, store_id: other.body.id } }), 403, 'forbidden')
      assertProblem(await t.request('POST', '/v1/payments', { key: till.api_key, body: { order_id: 'elsewhere', amount: 1000, user_id: 'bound-member', store_id: other.body.id } }), 403, 'forbidden')
      const recorded = await t.request('POST', orders, { key: till.api_key, body: { order_ref: 'here', order_amount: 1000 } })
      assert.equal(recorded.status, 201, recorded.text)
      assert.deepEqual([recorded.body.store_id, recorded.body.points_earned], [home.body.id, 10])
      const paid = await t.request('POST', '/v1/payments', { key: till.api_key, body: { order_id: 'here', amount: 1000, user_id: 'bound-member' } })
      assert.equal(paid.status, 201, paid.text)
      assert.equal(paid.body.store_id, home.body.id)
      assertProblem(await t.request('POST', `${orders}/here/refunds`, { key: till.api_key, body: { refund_ref: 'r1', amount: 100_000 } }), 409, 'refund_exceeds_order')
    })

    it('shows a new key once, lists keys by hint only, and stores only hashes', async () => {
      const created = [await newKey('full'), await newKey('read'), await newKey('redeem')]
      for (const k of created) {
        assert.match(k.api_key, /^kb_[A-Za-z0-9_-]{32,}$/)
        assert.equal(k.key_hint, `…${k.api_key.slice(-4)}`)
      }
      const secrets = [key, ...created.map((k) => k.api_key)]
      const listed = await t.request('GET', '/v1/api-keys?limit=500', { key })
      assert.equal(listed.status, 200)
      for (const secret of secrets) assert.ok(!listed.text.includes(secret), 'the list never shows a key')
      for (const row of listed.body.data) {
        assert.equal(row.api_key, undefined)
        assert.equal(row.key_hash, undefined)
        assert.match(row.key_hint, /^….{4}$/)
      }

      const rows = await t.db.database.db.selectFrom('api_keys').selectAll().execute()
      const stored = JSON.stringify(rows)
      for (const secret of secrets) {
        assert.ok(!stored.includes(secret), 'no plaintext key in api_keys')
        assert.ok(!stored.includes(secret.slice(3, 20)), 'no recognisable part of a key in api_keys')
        assert.ok(rows.some((row) => row.key_hash === createHash('sha256').update(secret).digest('hex')), 'the key is stored as its SHA-256')
      }
    })

    it('keeps a new key secret in the idempotency store too', async () => {
      const res = await t.request('POST', '/v1/api-keys', { key, body: { name: 'retried', scope: 'read' }, headers: { 'idempotency-key': 'key-creation-1' } })
      assert.equal(res.status, 201)
      const replay = await t.request('POST', '/v1/api-keys', { key, body: { name: 'retried', scope: 'read' }, headers: { 'idempotency-key': 'key-creation-1' } })
      assert.equal(replay.text, res.text, 'the retry gets the same key back')
      const rows = await t.db.database.db.selectFrom('idempotency_keys').selectAll().execute()
      assert.ok(rows.length > 0)
      assert.ok(!JSON.stringify(rows).includes(res.body.api_key), 'no plaintext key in idempotency_keys')
    })
  })
}
