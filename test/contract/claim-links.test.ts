import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, useTestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { hashToken } from '../../src/ports/secrets.ts'
import { migrateDown, migrateToLatest } from '../../src/db/migrate.ts'
import { sealLegacyClaimLinkTokens } from '../../src/features/claim-links/claim-links.service.ts'

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

for (const engine of ENGINES) {
  describe(`claim links on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z')
    const t = useTestApp(engine, { clock })
    let key: string
    let merchantId: string

    before(async () => {
      ;({ apiKey: key, merchantId } = await t.merchant('Noodle Bar'))
    })

    async function card(overrides: Record<string, unknown> = {}, merchantKey = key): Promise<string> {
      const res = await t.request('POST', '/v1/cards', { key: merchantKey, body: cashCard(overrides) })
      assert.equal(res.status, 201, res.text)
      return res.body.id
    }

    async function link(cardId: string, body: Record<string, unknown> = {}, merchantKey = key) {
      const res = await t.request('POST', `/v1/cards/${cardId}/claim-links`, { key: merchantKey, body })
      assert.equal(res.status, 201, res.text)
      return res.body
    }

    async function walletToken(userId: string, merchantKey = key): Promise<string> {
      const res = await t.request('POST', '/v1/wallet-tokens', { key: merchantKey, body: { user_id: userId } })
      assert.equal(res.status, 201, res.text)
      return res.body.token
    }

    const claim = (token: string, walletTokenValue: string, headers: Record<string, string> = {}) =>
      t.request('POST', `/v1/claim/${token}`, { key: walletTokenValue, headers })

    it('makes a link with its URL and QR codes, lists it and gets it', async () => {
      const cardId = await card()
      const created = await link(cardId, { max_claims: 10, expires_at: '2030-04-01T00:00:00+08:00' })
      assert.match(created.id, /^cll_/)
      assert.match(created.token, /^[A-Za-z0-9_-]{32}$/)
      assert.deepEqual(created, {
        id: created.id,
        card_id: cardId,
        token: created.token,
        url: `http://kabao.test/wallet/claim/${created.token}`,
        qr_png_url: `http://kabao.test/v1/claim-links/${created.token}/qr.png`,
        qr_svg_url: `http://kabao.test/v1/claim-links/${created.token}/qr.svg`,
        status: 'active',
        claimed_count: 0,
        max_claims: 10,
        expires_at: '2030-04-01T00:00:00+08:00',
        created_at: '2030-03-01T10:00:00+08:00',
        channel: null,
        campaign: null,
        shared_by: null,
        for_user_id: null,
      })
      const unlimited = await link(cardId)
      assert.equal(unlimited.max_claims, null)
      assert.equal(unlimited.expires_at, null)
      assert.notEqual(unlimited.token, created.token)

      const got = await t.request('GET', `/v1/claim-links/${created.id}`, { key })
      assert.deepEqual(got.body, created)

      await link(await card())
      const first = await t.request('GET', `/v1/claim-links?card_id=${cardId}&limit=1`, { key })
      assert.equal(first.status, 200, first.text)
      assert.deepEqual(first.body.data.map((l: { id: string }) => l.id), [created.id])
      const second = await t.request('GET', `/v1/claim-links?card_id=${cardId}&limit=1&cursor=${first.body.next_cursor}`, { key })
      assert.deepEqual(second.body.data.map((l: { id: string }) => l.id), [unlimited.id])
      assert.equal(second.body.next_cursor, null)
    })

    it('shows the claim page to anyone, then a customer with a merchant-minted token claims the coupon', async () => {
      const store = (await t.request('POST', '/v1/stores', { key, body: { name: 'Jing’an', address: '1 Nanjing Rd' } })).body
      const cardId = await card({ title: '满100减20', color: '#ff6600', logo_url: 'https://img.example/logo.png', store_ids: [store.id], usable_hours: [{ days: [1, 2, 3, 4, 5], start: '10:00', end: '22:00' }] })
      const { token, id } = await link(cardId, { max_claims: 5 })

      const page = await t.request('GET', `/v1/claim/${token}`)
      assert.equal(page.status, 200, page.text)
      assert.equal(page.body.claimable, true)
      assert.equal(page.body.unavailable_reason, null)
      assert.equal(page.body.remaining, 5)
      assert.deepEqual(page.body.merchant, { id: merchantId, name: 'Noodle Bar' })
      assert.equal(page.body.card.title, '满100减20')
      assert.equal(page.body.card.color, '#ff6600')
      assert.equal(page.body.card.logo_url, 'https://img.example/logo.png')
      assert.equal(page.body.card.notice, 'Show the code at the till')
      assert.equal(page.body.card.reduce_cost, 2000)
      assert.equal(page.body.card.least_cost, 10000)
      assert.deepEqual(page.body.card.validity, { type: 'fixed_term', days: 30, start_after_days: 0 })
      assert.equal(page.body.card.usable_hours_text, 'Mon-Fri 10:00-22:00')
      assert.deepEqual(page.body.card.stores, [{ id: store.id, name: 'Jing’an', address: '1 Nanjing Rd', latitude: null, longitude: null }])

      const claimed = await claim(token, await walletToken('openid-1'))
      assert.equal(claimed.status, 201, claimed.text)
      assert.equal(claimed.body.user_id, 'openid-1')
      assert.equal(claimed.body.state, 'available')
      assert.equal(claimed.body.source, 'claim_link')
      assert.equal(claimed.body.card.title, '满100减20')
      assert.equal(claimed.body.valid_until, '2030-03-30T23:59:59+08:00')

      const seen = await t.request('GET', `/v1/coupons/${encodeURIComponent(claimed.body.code)}`, { key })
      assert.equal(seen.body.user_id, 'openid-1')
      assert.equal((await t.request('GET', `/v1/claim-links/${id}`, { key })).body.claimed_count, 1)
      assert.equal((await t.request('GET', `/v1/cards/${cardId}`, { key })).body.issued_count, 1)
      assert.equal((await t.request('GET', `/v1/claim/${token}`)).body.remaining, 4)
    })

    it('lets a customer who signed in with a one-time code claim and find the coupon in the wallet', async () => {
      const { token } = await link(await card())
      const requested = await t.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, phone: '13800138000' } })
      assert.equal(requested.status, 202, requested.text)
      const code = t.notifier.sent[t.notifier.sent.length - 1].code
      const session = await t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchantId, challenge_id: requested.body.challenge_id, code } })
      assert.equal(session.status, 201, session.text)

      const claimed = await claim(token, session.body.token)
      assert.equal(claimed.status, 201, claimed.text)
      assert.equal(claimed.body.user_id, session.body.user_id)
      const wallet = await t.request('GET', '/v1/wallet/coupons', { key: session.body.token })
      assert.deepEqual(wallet.body.data.map((c: { id: string }) => c.id), [claimed.body.id])
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${claimed.body.id}`, { key: session.body.token })).body.code, claimed.body.code)
    })

    it('answers 404 to a customer of another merchant and to unknown tokens', async () => {
      const { token } = await link(await card())
      const other = await t.merchant('Other Noodles')
      const foreign = await claim(token, await walletToken('openid-1', other.apiKey))
      assert.equal(foreign.status, 404)
      assert.equal(foreign.body.code, 'claim_link_not_found')
      const unknown = await claim('A'.repeat(32), await walletToken('openid-1'))
      assert.equal(unknown.body.code, 'claim_link_not_found')
      assert.equal((await t.request('GET', `/v1/claim/${'A'.repeat(32)}`)).status, 404)
      assert.equal((await t.request('GET', '/v1/claim/not-a-token')).status, 404)
      assert.equal((await claim(token, 'not-a-wallet-token')).status, 401)
    })

    it('answers 404 for another merchant’s link ids, and lists only the merchant’s own links', async () => {
      const mine = await link(await card())
      const other = await t.merchant('Rival')
      for (const [method, url] of [['GET', `/v1/claim-links/${mine.id}`], ['POST', `/v1/claim-links/${mine.id}/disable`]]) {
        const res = await t.request(method, url, { key: other.apiKey })
        assert.equal(res.status, 404, `${method} ${url}`)
        assert.equal(res.body.code, 'claim_link_not_found')
      }
      const theirList = await t.request('GET', '/v1/claim-links', { key: other.apiKey })
      assert.deepEqual(theirList.body.data, [])
      const onTheirCard = await t.request('POST', `/v1/cards/${mine.card_id}/claim-links`, { key: other.apiKey, body: {} })
      assert.equal(onTheirCard.status, 404)
      assert.equal(onTheirCard.body.code, 'card_not_found')
    })

    it('stops handing out coupons once disabled', async () => {
      const created = await link(await card())
      const disabled = await t.request('POST', `/v1/claim-links/${created.id}/disable`, { key })
      assert.equal(disabled.status, 200, disabled.text)
      assert.equal(disabled.body.status, 'disabled')
      assert.equal((await t.request('POST', `/v1/claim-links/${created.id}/disable`, { key })).body.status, 'disabled')
      const refused = await claim(created.token, await walletToken('openid-2'))
      assert.equal(refused.status, 409)
      assert.equal(refused.body.code, 'claim_link_inactive')
      const page = await t.request('GET', `/v1/claim/${created.token}`)
      assert.equal(page.body.claimable, false)
      assert.equal(page.body.unavailable_reason, 'disabled')
    })

    it('stops at its expiry time', async () => {
      const created = await link(await card(), { expires_at: new Date(clock.now() + 60_000).toISOString() })
      const customer = await walletToken('openid-3')
      clock.advance(60_000)
      const refused = await claim(created.token, customer)
      assert.equal(refused.status, 409)
      assert.equal(refused.body.code, 'claim_link_inactive')
      assert.equal((await t.request('GET', `/v1/claim-links/${created.id}`, { key })).body.status, 'expired')
    })

    it('passes on issuing’s refusals and does not count them as claims', async () => {
      const cardId = await card({ stock: 1 })
      const created = await link(cardId)
      assert.equal((await claim(created.token, await walletToken('first'))).status, 201)
      const twice = await claim(created.token, await walletToken('first'))
      assert.equal(twice.status, 409)
      assert.equal(twice.body.code, 'get_limit_reached')
      const empty = await claim(created.token, await walletToken('second'))
      assert.equal(empty.status, 409)
      assert.equal(empty.body.code, 'out_of_stock')
      assert.equal((await t.request('GET', `/v1/claim-links/${created.id}`, { key })).body.claimed_count, 1)
      assert.equal((await t.request('GET', `/v1/claim/${created.token}`)).body.unavailable_reason, 'out_of_stock')

      const paused = await card()
      const pausedLink = await link(paused)
      assert.equal((await t.request('POST', `/v1/cards/${paused}/pause`, { key })).status, 200)
      const inactive = await claim(pausedLink.token, await walletToken('third'))
      assert.equal(inactive.status, 409)
      assert.equal(inactive.body.code, 'card_not_active')
      assert.equal((await t.request('GET', `/v1/claim/${pausedLink.token}`)).body.unavailable_reason, 'card_not_active')
    })

    it('replays a retried claim with the same Idempotency-Key', async () => {
      const created = await link(await card({ get_limit: 5 }))
      const customer = await walletToken('retrier')
      const first = await claim(created.token, customer, { 'idempotency-key': 'claim-1' })
      const retry = await claim(created.token, customer, { 'idempotency-key': 'claim-1' })
      assert.equal(first.status, 201, first.text)
      assert.equal(retry.status, 201)
      assert.equal(retry.headers['idempotent-replayed'], 'true')
      assert.equal(retry.body.id, first.body.id)
      // The same key from another customer is theirs, not a replay.
      const otherCustomer = await claim(created.token, await walletToken('someone-else'), { 'idempotency-key': 'claim-1' })
      assert.equal(otherCustomer.status, 201)
      assert.notEqual(otherCustomer.body.id, first.body.id)
      assert.equal((await t.request('GET', `/v1/claim-links/${created.id}`, { key })).body.claimed_count, 2)
    })

    it('hands out exactly max_claims coupons to parallel claims', async () => {
      const cardId = await card({ stock: 100 })
      const created = await link(cardId, { max_claims: 3 })
      const tokens = await Promise.all(Array.from({ length: 12 }, (_, i) => walletToken(`racer-${i}`)))
      const base = await t.listen()
      const results = await Promise.all(
        tokens.map(async (token) => {
          const res = await fetch(`${base}/v1/claim/${created.token}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
          return { status: res.status, body: (await res.json()) as { code?: string } }
        }),
      )
      assert.equal(results.filter((r) => r.status === 201).length, 3)
      for (const r of results.filter((r) => r.status !== 201)) {
        assert.equal(r.status, 409)
        assert.equal(r.body.code, 'claim_link_inactive')
      }
      const after = (await t.request('GET', `/v1/claim-links/${created.id}`, { key })).body
      assert.equal(after.claimed_count, 3)
      assert.equal(after.status, 'exhausted')
      const cardAfter = (await t.request('GET', `/v1/cards/${cardId}`, { key })).body
      assert.equal(cardAfter.issued_count, 3)
      assert.equal(cardAfter.stock_remaining, 97)
    })

    it('serves the link as PNG and SVG QR codes without auth', async () => {
      const { token } = await link(await card())
      const png = await t.app.inject({ method: 'GET', url: `/v1/claim-links/${token}/qr.png?size=300` })
      assert.equal(png.statusCode, 200, png.body)
      assert.equal(png.headers['content-type'], 'image/png')
      assert.match(String(png.headers['cache-control']), /max-age=\d+/)
      assert.deepEqual(png.rawPayload.subarray(0, 8), PNG_MAGIC)
      // The IHDR chunk follows the signature: width and height as big-endian integers.
      assert.equal(png.rawPayload.subarray(12, 16).toString('ascii'), 'IHDR')
      assert.equal(png.rawPayload.readUInt32BE(16), 300)
      assert.equal(png.rawPayload.readUInt32BE(20), 300)

      const svg = await t.request('GET', `/v1/claim-links/${token}/qr.svg`)
      assert.equal(svg.status, 200)
      assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/)
      assert.match(svg.text, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
      assert.match(svg.text, /<path [^>]*d="M/)
      assert.match(svg.text, /<\/svg>\s*$/)

      for (const size of ['10', '4096', 'big']) {
        const bad = await t.request('GET', `/v1/claim-links/${token}/qr.png?size=${size}`)
        assert.equal(bad.status, 422, `size=${size}`)
        assert.equal(bad.body.errors[0].field, 'size')
      }
      assert.equal((await t.request('GET', `/v1/claim-links/${'B'.repeat(32)}/qr.svg`)).status, 404)
    })

    it('rejects bad input with the field names', async () => {
      const cardId = await card()
      const cases: [unknown, string][] = [
        [{ max_claims: 0 }, 'max_claims'],
        [{ max_claims: 2.5 }, 'max_claims'],
        [{ max_claims: '3' }, 'max_claims'],
        [{ expires_at: 'tomorrow' }, 'expires_at'],
        [{ expires_at: '2030-02-01T00:00:00+08:00' }, 'expires_at'],
        [{ colour: 'red' }, 'colour'],
      ]
      for (const [body, field] of cases) {
        const res = await t.request('POST', `/v1/cards/${cardId}/claim-links`, { key, body })
        assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`)
        assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), [field], res.text)
      }
      const unknownCard = await t.request('POST', '/v1/cards/crd_00000000000000000000000000/claim-links', { key, body: {} })
      assert.equal(unknownCard.status, 404)
      assert.equal(unknownCard.body.code, 'card_not_found')
      assert.equal((await t.request('GET', '/v1/claim-links?cursor=nonsense', { key })).status, 422)
      const readKey = (await t.request('POST', '/v1/api-keys', { key, body: { name: 'analyst', scope: 'read' } })).body.api_key
      assert.equal((await t.request('POST', `/v1/cards/${cardId}/claim-links`, { key: readKey, body: {} })).status, 403)
      assert.equal((await t.request('GET', '/v1/claim-links', { key: readKey })).status, 200)
    })

    it('stores no plain token: the link is found by its token’s hash and shown from its sealed form', async () => {
      const created = await link(await card())
      const row = await t.db.database.db.selectFrom('claim_links').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
      assert.ok(!JSON.stringify(row).includes(created.token), 'no column holds the token')
      assert.equal(row.token_hash, hashToken(created.token))
      assert.equal(row.legacy_token, null)
      assert.equal(t.ctx.secrets.unseal(row.token_sealed ?? ''), created.token)
      assert.equal((await claim(created.token, await walletToken('hashed-1'))).status, 201)
      assert.equal((await t.request('GET', `/v1/claim-links/${created.id}`, { key })).body.url, `http://kabao.test/wallet/claim/${created.token}`)
    })
  })

  describe(`claim links made before tokens were hashed, on ${engine}`, await engineOptions(engine), () => {
    it('still claim and show their URL and QR, before and after their token is sealed', async () => {
      const t = await startTestApp(engine, { clock: new ManualClock('2030-03-01T02:00:00Z') })
      try {
        const { database } = t.ctx
        const { apiKey: key, merchantId } = await t.merchant('Old Bakery')
        const cardId = (await t.request('POST', '/v1/cards', { key, body: cashCard() })).body.id
        const applied = async () => (await database.db.selectFrom('kabao_migrations' as any).select('name').execute()).map((r: any) => r.name as string)
        while ((await applied()).includes('0014-claim-link-token-hashes')) await migrateDown(database)
        // A link as the code before the upgrade made it: the token in plain text.
        const token = 'L'.repeat(31) + 'g'
        await database.db
          .insertInto('claim_links' as any)
          .values({ id: 'cll_legacy', merchant_id: merchantId, card_id: cardId, token, status: 'active', claimed_count: 0, max_claims: null, expires_at: null, created_at: Date.parse('2030-02-01T00:00:00Z') })
          .execute()
        await migrateToLatest(database)

        const row = () => database.db.selectFrom('claim_links').selectAll().where('id', '=', 'cll_legacy').executeTakeFirstOrThrow()
        assert.equal((await row()).token_hash, hashToken(token))
        const walletToken = async (userId: string) => (await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: userId } })).body.token
        const shows = async () => {
          const got = await t.request('GET', '/v1/claim-links/cll_legacy', { key })
          assert.equal(got.status, 200, got.text)
          assert.deepEqual([got.body.token, got.body.url], [token, `http://kabao.test/wallet/claim/${token}`])
          const png = await t.app.inject({ method: 'GET', url: `/v1/claim-links/${token}/qr.png` })
          assert.equal(png.statusCode, 200)
          assert.ok(png.rawPayload.subarray(0, 8).equals(PNG_MAGIC))
          assert.equal((await t.request('GET', `/v1/claim/${token}`)).body.token, token)
        }
        await shows()
        assert.equal((await t.request('POST', `/v1/claim/${token}`, { key: await walletToken('before-sealing') })).status, 201)

        // The first start with the secret key seals it: no plain token is left, and the link works as before.
        assert.equal(await sealLegacyClaimLinkTokens(database, t.ctx.secrets), 1)
        const sealed = await row()
        assert.ok(!JSON.stringify(sealed).includes(token), 'no column holds the token')
        assert.equal(t.ctx.secrets.unseal(sealed.token_sealed ?? ''), token)
        assert.equal(await sealLegacyClaimLinkTokens(database, t.ctx.secrets), 0, 'sealed once')
        await shows()
        assert.equal((await t.request('POST', `/v1/claim/${token}`, { key: await walletToken('after-sealing') })).status, 201)
        assert.equal((await row()).claimed_count, 2)
      } finally {
        await t.close()
      }
    })
  })
}
