import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const DAY = 24 * 60 * 60 * 1000

for (const engine of ENGINES) {
  describe(`wallet on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z')
    const t = useTestApp(engine, { clock })
    let key: string
    let merchantId: string

    before(async () => {
      ;({ apiKey: key, merchantId } = await t.merchant('Bakery'))
    })

    async function card(overrides: Record<string, unknown> = {}, merchantKey = key): Promise<string> {
      const res = await t.request('POST', '/v1/cards', { key: merchantKey, body: cashCard(overrides) })
      assert.equal(res.status, 201, res.text)
      return res.body.id
    }

    async function issue(cardId: string, userId: string, merchantKey = key) {
      const res = await t.request('POST', `/v1/cards/${cardId}/issue`, { key: merchantKey, body: { user_id: userId } })
      assert.equal(res.status, 201, res.text)
      return res.body as { id: string; code: string }
    }

    async function walletToken(userId: string, merchantKey = key): Promise<string> {
      const res = await t.request('POST', '/v1/wallet-tokens', { key: merchantKey, body: { user_id: userId, ttl_seconds: 86_400 } })
      assert.equal(res.status, 201, res.text)
      return res.body.token
    }

    const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((c) => c.id)

    it('tells the customer who they are and where', async () => {
      const me = await t.request('GET', '/v1/wallet/me', { key: await walletToken('who') })
      assert.deepEqual(me.body, { merchant: { id: merchantId, name: 'Bakery' }, user_id: 'who' })
    })

    it('lists available coupons soonest-expiring first, page by page, with their card faces and no codes (the coupon’s page shows it)', async () => {
      const tenDays = await card({ title: 'Ten days', color: '#123456', logo_url: 'https://img.example/a.png', validity: { type: 'fixed_term', days: 10 } })
      const fiveDays = await card({ type: 'discount', title: 'Five days', percent_off: 20, reduce_cost: undefined, least_cost: undefined, validity: { type: 'fixed_term', days: 5 }, code_type: 'barcode' })
      const twentyDays = await card({ title: 'Twenty days', validity: { type: 'fixed_term', days: 20 } })
      const a = await issue(tenDays, 'lister')
      const b = await issue(fiveDays, 'lister')
      const c = await issue(twentyDays, 'lister')
      await issue(tenDays, 'someone-else')
      const token = await walletToken('lister')

      const first = await t.request('GET', '/v1/wallet/coupons?state=available&limit=2', { key: token })
      assert.equal(first.status, 200, first.text)
      assert.deepEqual(ids(first), [b.id, a.id])
      const second = await t.request('GET', `/v1/wallet/coupons?state=available&limit=2&cursor=${first.body.next_cursor}`, { key: token })
      assert.deepEqual(ids(second), [c.id])
      assert.equal(second.body.next_cursor, null)

      const [fiveItem, tenItem] = first.body.data
      assert.equal('code' in tenItem, false, 'a page of the list decrypts no code')
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${tenItem.id}`, { key: token })).body.code, a.code)
      assert.equal(tenItem.state, 'available')
      assert.equal(tenItem.code_type, 'qrcode')
      assert.deepEqual(
        { ...tenItem.card },
        {
          type: 'cash', title: 'Ten days', subtitle: null, color: '#123456', logo_url: 'https://img.example/a.png',
          reduce_cost: 2000, least_cost: 10000, tiers: null, percent_off: null, max_discount: null, gift: null, deal_detail: null, default_detail: null,
        },
        'the face without its notice, which the coupon’s page shows',
      )
      assert.deepEqual(
        Object.keys(tenItem),
        ['id', 'card_id', 'state', 'source', 'valid_from', 'valid_until', 'issued_at', 'redeemed_at', 'unlock_after_friends', 'code_type', 'card'],
        'only what a ticket of the list shows: the coupon’s page has every field',
      )
      assert.equal(tenItem.card_id, tenDays)
      assert.equal(tenItem.source, 'api')
      assert.equal(tenItem.valid_until, '2030-03-10T23:59:59+08:00')
      assert.equal(fiveItem.card.type, 'discount')
      assert.equal(fiveItem.card.percent_off, 20)
      assert.equal(fiveItem.code_type, 'barcode')

      const all = await t.request('GET', '/v1/wallet/coupons', { key: token })
      assert.deepEqual(ids(all), [c.id, b.id, a.id], 'without a state: newest first')

      const redeemed = await t.request('POST', '/v1/redemptions', { key, body: { code: a.code, order_amount: 12000 } })
      assert.equal(redeemed.status, 201, redeemed.text)
      assert.deepEqual(ids(await t.request('GET', '/v1/wallet/coupons?state=redeemed', { key: token })), [a.id])
      assert.deepEqual(ids(await t.request('GET', '/v1/wallet/coupons?state=available', { key: token })), [b.id, c.id])

      clock.advance(6 * DAY)
      const later = await walletToken('lister')
      assert.deepEqual(ids(await t.request('GET', '/v1/wallet/coupons?state=expired', { key: later })), [b.id])
      assert.deepEqual(ids(await t.request('GET', '/v1/wallet/coupons?state=available', { key: later })), [c.id])
      const expiredItem = (await t.request('GET', '/v1/wallet/coupons', { key: later })).body.data.find((x: { id: string }) => x.id === b.id)
      assert.equal(expiredItem.state, 'expired')
    })

    it('shows each coupon the terms it was issued under', async () => {
      const cardId = await card({ title: 'Old title' })
      const before = await issue(cardId, 'versioned')
      const changed = await t.request('PATCH', `/v1/cards/${cardId}`, { key, body: { title: 'New title' } })
      assert.equal(changed.status, 200, changed.text)
      const afterChange = await issue(cardId, 'versioned-2')
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${before.id}`, { key: await walletToken('versioned') })).body.card.title, 'Old title')
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${afterChange.id}`, { key: await walletToken('versioned-2') })).body.card.title, 'New title')
    })

    it('shows one coupon with its full terms and stores, to its owner only', async () => {
      const store = (await t.request('POST', '/v1/stores', { key, body: { name: 'Xuhui', address: '88 Huaihai Rd', latitude: 31.2, longitude: 121.4 } })).body
      const cardId = await card({ description: 'Not with other offers', store_ids: [store.id], usable_hours: [{ days: [6, 7], start: '09:00', end: '18:00' }] })
      const coupon = await issue(cardId, 'owner')
      const detail = await t.request('GET', `/v1/wallet/coupons/${coupon.id}`, { key: await walletToken('owner') })
      assert.equal(detail.status, 200, detail.text)
      assert.equal(detail.body.code, coupon.code)
      assert.equal(detail.body.card.description, 'Not with other offers')
      assert.deepEqual(detail.body.card.usable_hours, [{ days: [6, 7], start: '09:00', end: '18:00' }])
      assert.equal(detail.body.card.usable_hours_text, 'Sat,Sun 09:00-18:00')
      assert.deepEqual(detail.body.card.store_ids, [store.id])
      assert.equal(detail.body.card.all_stores, false)
      assert.deepEqual(detail.body.card.stores, [{ id: store.id, name: 'Xuhui', address: '88 Huaihai Rd', latitude: 31.2, longitude: 121.4 }])
      assert.deepEqual(detail.body.card.validity, { type: 'fixed_term', days: 30, start_after_days: 0 })

      const stranger = await t.request('GET', `/v1/wallet/coupons/${coupon.id}`, { key: await walletToken('stranger') })
      assert.equal(stranger.status, 404)
      assert.equal(stranger.body.code, 'coupon_not_found')

      const other = await t.merchant('Other Bakery')
      const theirs = await issue(await card({}, other.apiKey), 'owner', other.apiKey)
      const crossMerchant = await t.request('GET', `/v1/wallet/coupons/${theirs.id}`, { key: await walletToken('owner') })
      assert.equal(crossMerchant.status, 404)
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${theirs.id}/qr.svg`, { key: await walletToken('owner') })).status, 404)
      assert.equal((await t.request('GET', '/v1/wallet/coupons', { key: await walletToken('owner', other.apiKey) })).body.data[0].id, theirs.id)
    })

    it('renders the coupon code as a QR code for the till', async () => {
      const coupon = await issue(await card(), 'scanner')
      const token = await walletToken('scanner')
      const svg = await t.request('GET', `/v1/wallet/coupons/${coupon.id}/qr.svg`, { key: token })
      assert.equal(svg.status, 200, svg.text)
      assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/)
      assert.match(String(svg.headers['cache-control']), /^private/)
      assert.match(svg.text, /^<svg /)
      const png = await t.app.inject({ method: 'GET', url: `/v1/wallet/coupons/${coupon.id}/qr.png?size=128`, headers: { authorization: `Bearer ${token}` } })
      assert.equal(png.statusCode, 200)
      assert.equal(png.headers['content-type'], 'image/png')
      assert.deepEqual([...png.rawPayload.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
      assert.equal(png.rawPayload.readUInt32BE(16), 128)

      assert.equal((await t.request('GET', `/v1/wallet/coupons/${coupon.id}/qr.svg`)).status, 401)
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${coupon.id}/qr.svg`, { key })).status, 401, 'an API key is not a wallet sign-in')
      assert.equal((await t.request('GET', `/v1/wallet/coupons/${coupon.id}/qr.svg`, { key: await walletToken('not-scanner') })).status, 404)
    })

    it('rejects bad queries with the field names', async () => {
      const token = await walletToken('queries')
      const cases: [string, string][] = [
        ['/v1/wallet/coupons?state=lost', 'state'],
        ['/v1/wallet/coupons?limit=0', 'limit'],
        ['/v1/wallet/coupons?limit=501', 'limit'],
        ['/v1/wallet/coupons?cursor=nonsense', 'cursor'],
        ['/v1/wallet/coupons?state=available&cursor=nonsense', 'cursor'],
      ]
      for (const [url, field] of cases) {
        const res = await t.request('GET', url, { key: token })
        assert.equal(res.status, 422, `${url}: ${res.text}`)
        assert.ok(res.body.errors.some((e: { field: string }) => e.field === field), res.text)
      }
    })
  })
}
