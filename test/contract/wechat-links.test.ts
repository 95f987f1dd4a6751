import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard as helperCash, useTestApp, type TestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'

// WECHAT-API.md §1.6/§2.2 location ids ↔ stores, §2.3 QR codes bound to an openid and tagged with
// outer_str, and §2.4 encrypt_code handed out in the wallet's link cells, through facade calls.

async function wechatMerchant(t: TestApp) {
  const { apiKey, merchantId } = await t.merchant()
  const app = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
  assert.equal(app.status, 201, app.text)
  const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.body.appid}&secret=${app.body.secret}`)).body.access_token as string
  return { apiKey, merchantId, token }
}

async function wx(t: TestApp, path: string, token: string, body?: unknown) {
  const res = await t.request('POST', `${path}?access_token=${token}`, { body })
  assert.equal(res.status, 200, res.text)
  return res.body
}

const cashCard = (base: Record<string, unknown> = {}) => ({
  card: { card_type: 'CASH', cash: { base_info: { title: '立减20元', notice: 'Show the code', color: 'Color010', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 }, sku: { quantity: 10 }, ...base }, reduce_cost: 2000, least_cost: 10000 } },
})

async function newCard(t: TestApp, token: string, base: Record<string, unknown> = {}): Promise<string> {
  const created = await wx(t, '/card/create', token, cashCard(base))
  assert.equal(created.errcode, 0, JSON.stringify(created))
  return created.card_id
}

async function store(t: TestApp, apiKey: string, name: string): Promise<string> {
  const res = await t.request('POST', '/v1/stores', { key: apiKey, body: { name } })
  assert.equal(res.status, 201, res.text)
  return res.body.id
}

async function locations(t: TestApp, apiKey: string) {
  const res = await t.request('GET', '/v1/wechat-locations', { key: apiKey })
  assert.equal(res.status, 200, res.text)
  return res.body.data as { location_id: number; store_id: string; store_name: string }[]
}

async function walletToken(t: TestApp, apiKey: string, userId: string): Promise<string> {
  const res = await t.request('POST', '/v1/wallet-tokens', { key: apiKey, body: { user_id: userId } })
  assert.equal(res.status, 201, res.text)
  return res.body.token
}

const count = async (t: TestApp, table: 'coupons' | 'cards' | 'claim_links') =>
  Number((await t.db.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

for (const engine of ENGINES) {
  describe(`WeChat-compatible location ids, QR codes and encrypt_code on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(Date.parse('2026-03-02T04:00:00Z'))
    const t = useTestApp(engine, { clock })

    it('numbers stores 1, 2, 3 in creation order, for good, per merchant, also when asked at once', async () => {
      const { apiKey } = await wechatMerchant(t)
      const a = await store(t, apiKey, 'Store A')
      const b = await store(t, apiKey, 'Store B')
      const parallel = await Promise.all(Array.from({ length: 6 }, () => locations(t, apiKey)))
      for (const answer of parallel) assert.deepEqual(answer, [{ location_id: 1, store_id: a, store_name: 'Store A' }, { location_id: 2, store_id: b, store_name: 'Store B' }])
      const c = await store(t, apiKey, 'Store C')
      assert.deepEqual((await locations(t, apiKey)).map((l) => [l.location_id, l.store_id]), [[1, a], [2, b], [3, c]], 'a new store takes the next id; the others keep theirs')
      const other = await wechatMerchant(t)
      const otherStore = await store(t, other.apiKey, 'Elsewhere')
      assert.deepEqual((await locations(t, other.apiKey)).map((l) => [l.location_id, l.store_id]), [[1, otherStore]], 'each merchant counts from 1')
    })

    it('maps location_id_list to stores and back on create, get and update; an unknown id is 40072 and changes nothing', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const a = await store(t, apiKey, 'Store A')
      const b = await store(t, apiKey, 'Store B')
      const cardId = await newCard(t, token, { location_id_list: [2, '1'] })
      const native = await t.request('GET', `/v1/cards/${cardId}`, { key: apiKey })
      assert.deepEqual(native.body.store_ids, [b, a])
      const got = (await wx(t, '/card/get', token, { card_id: cardId })).card.cash.base_info
      assert.deepEqual(got.location_id_list, [2, 1])
      assert.equal(got.use_all_locations, false)

      const byStoreId = await newCard(t, token, { location_id_list: [a] })
      assert.deepEqual((await wx(t, '/card/get', token, { card_id: byStoreId })).card.cash.base_info.location_id_list, [1], 'a Kabao store id is accepted and answered as its location id')

      const cards = await count(t, 'cards')
      for (const unknown of [[3], ['99'], ['str_nothing'], [1.5], [0]]) {
        assert.deepEqual(await wx(t, '/card/create', token, cashCard({ location_id_list: unknown })), { errcode: 40072, errmsg: 'invalid location id' }, JSON.stringify(unknown))
      }
      assert.equal(await count(t, 'cards'), cards, 'refused creates make no card')

      assert.equal((await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: { location_id_list: ['1'] } } })).errcode, 0)
      assert.deepEqual((await t.request('GET', `/v1/cards/${cardId}`, { key: apiKey })).body.store_ids, [a])
      assert.equal((await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: { location_id_list: [1, 7], title: 'Changed' } } })).errcode, 40072)
      const kept = await t.request('GET', `/v1/cards/${cardId}`, { key: apiKey })
      assert.deepEqual([kept.body.store_ids, kept.body.title], [[a], '立减20元'], 'a refused update changes nothing')
      assert.equal((await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: { use_all_locations: true } } })).errcode, 0)
      const all = (await wx(t, '/card/get', token, { card_id: cardId })).card.cash.base_info
      assert.deepEqual([all.location_id_list, all.use_all_locations], [[], true])

      const nativeCard = await t.request('POST', '/v1/cards', { key: apiKey, body: helperCash({ title: 'Native', store_ids: [b] }) })
      assert.equal(nativeCard.status, 201, nativeCard.text)
      assert.deepEqual((await wx(t, '/card/get', token, { card_id: nativeCard.body.id })).card.cash.base_info.location_id_list, [2], 'a native card answers with location ids')

      const other = await wechatMerchant(t)
      await store(t, other.apiKey, 'Elsewhere')
      assert.equal((await wx(t, '/card/create', other.token, cashCard({ location_id_list: [a] }))).errcode, 40072, 'another merchant’s store is unknown')
    })

    it('consumes at the store a location_id names, checked against the card’s stores', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const a = await store(t, apiKey, 'Store A')
      await store(t, apiKey, 'Store B')
      const cardId = await newCard(t, token, { location_id_list: [1] })
      const code = async () => (await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: `u-${Math.random()}` })).code as string
      const first = await code()
      assert.equal((await wx(t, '/card/code/consume', token, { code: first, location_id: 2 })).errcode, 40072, 'a store the card is not good in')
      assert.equal((await wx(t, '/card/code/consume', token, { code: first, location_id: 9 })).errcode, 40072, 'an unknown location id')
      assert.equal((await t.request('GET', `/v1/coupons/${first}`, { key: apiKey })).body.state, 'available', 'refused consumes change nothing')
      assert.equal((await wx(t, '/card/code/consume', token, { code: first, location_id: '1' })).errcode, 0)
      const coupon = await t.request('GET', `/v1/coupons/${first}`, { key: apiKey })
      const redemption = await t.request('GET', `/v1/redemptions/${coupon.body.redemption_id}`, { key: apiKey })
      assert.equal(redemption.body.store_id, a)
    })

    it('lets only the QR code’s openid claim, and tags the coupon and its event with outer_str', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await newCard(t, token)
      const qr = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, openid: 'alice', outer_str: 'poster-a' } } })
      assert.equal(qr.errcode, 0, JSON.stringify(qr))
      const linkToken = qr.url.split('/').pop()
      const link = (await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data[0]
      assert.deepEqual([link.channel, link.for_user_id], ['poster-a', 'alice'])

      const coupons = await count(t, 'coupons')
      const bob = await t.request('POST', `/v1/claim/${linkToken}`, { key: await walletToken(t, apiKey, 'bob') })
      assert.equal(bob.status, 403, bob.text)
      assert.equal(bob.body.code, 'claim_link_reserved')
      assert.equal(await count(t, 'coupons'), coupons, 'a refused claim issues nothing')
      assert.equal((await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data[0].claimed_count, 0)

      const alice = await t.request('POST', `/v1/claim/${linkToken}`, { key: await walletToken(t, apiKey, 'alice') })
      assert.equal(alice.status, 201, alice.text)
      assert.deepEqual([alice.body.user_id, alice.body.channel, alice.body.source], ['alice', 'poster-a', 'claim_link'])
      const events = (await t.request('GET', '/v1/events?type=coupon.issued&limit=100', { key: apiKey })).body.data as { data: Record<string, unknown> }[]
      assert.equal(events.find((e) => e.data.coupon_id === alice.body.id)?.data.channel, 'poster-a')
      const native = await t.request('GET', `/v1/coupons/${alice.body.code}`, { key: apiKey })
      assert.equal(native.body.channel, 'poster-a')

      const open = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, outer_id: 7 } } })
      const anyone = await t.request('POST', `/v1/claim/${open.url.split('/').pop()}`, { key: await walletToken(t, apiKey, 'carol') })
      assert.equal(anyone.status, 201, anyone.text)
      assert.equal(anyone.body.channel, '7', 'outer_id is the channel as a string')

      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, outer_str: 'x'.repeat(65) } } })).errcode, 45021)
      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, openid: { id: 1 } } } })).errcode, 40097)
    })

    it('keeps outer_str of kabao/card/issue and the landing page’s scene as the coupons’ channel', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await newCard(t, token)
      const issued = await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'dave', outer_str: 'crm-push' })
      assert.equal(issued.errcode, 0)
      assert.equal((await t.request('GET', `/v1/coupons/${issued.code}`, { key: apiKey })).body.channel, 'crm-push')
      const page = await wx(t, '/card/landingpage/create', token, { page_title: 'Spring', scene: 'SCENE_QRCODE', card_list: [{ card_id: cardId }] })
      assert.equal(page.errcode, 0, JSON.stringify(page))
      const link = (await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data[0]
      const claimed = await t.request('POST', `/v1/claim/${link.token}`, { key: await walletToken(t, apiKey, 'erin') })
      assert.equal(claimed.status, 201, claimed.text)
      assert.equal(claimed.body.channel, 'SCENE_QRCODE')
    })

    it('hands out encrypt_code in the wallet’s link cells, which card/code/decrypt turns back into the code', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await newCard(t, token, {
        custom_url_name: '立即使用', custom_url: 'https://shop.example.com/use?from=card#top', custom_url_sub_title: '到店出示',
        promotion_url_name: '更多优惠', promotion_url: 'javascript:alert(1)',
        center_title: '查看', center_url: 'http://shop.example.com/center',
      })
      const issued = await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'frank' })
      const couponId = (await t.request('GET', `/v1/coupons/${issued.code}`, { key: apiKey })).body.id
      const detail = await t.request('GET', `/v1/wallet/coupons/${couponId}`, { key: await walletToken(t, apiKey, 'frank') })
      assert.equal(detail.status, 200, detail.text)
      assert.deepEqual(detail.body.links.map((l: { kind: string; name: string; tips: string | null }) => [l.kind, l.name, l.tips]), [['center', '查看', null], ['custom', '立即使用', '到店出示']], 'only http(s) links are shown')
      const url = new URL(detail.body.links[1].url)
      assert.equal(`${url.origin}${url.pathname}`, 'https://shop.example.com/use')
      assert.equal(url.searchParams.get('from'), 'card')
      assert.equal(url.hash, '#top')
      assert.equal(url.searchParams.get('card_id'), cardId)
      const encrypted = url.searchParams.get('encrypt_code') as string
      assert.ok(encrypted && !encrypted.includes(issued.code), 'the code is not readable in the link')

      assert.deepEqual(await wx(t, '/card/code/decrypt', token, { encrypt_code: encrypted }), { errcode: 0, errmsg: 'ok', code: issued.code })
      assert.deepEqual(await wx(t, '/card/code/decrypt', token, { encrypt_code: encodeURIComponent(encrypted) }), { errcode: 0, errmsg: 'ok', code: issued.code }, 'still percent-encoded as in the URL')
      const tampered = encrypted.slice(0, -2) + (encrypted.endsWith('A') ? 'BB' : 'AA')
      assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: tampered })).errcode, 40075)
      const other = await wechatMerchant(t)
      assert.equal((await wx(t, '/card/code/decrypt', other.token, { encrypt_code: encrypted })).errcode, 40075, 'another merchant cannot read it')

      const plainCard = await newCard(t, token)
      const plain = await wx(t, '/kabao/card/issue', token, { card_id: plainCard, openid: 'frank' })
      const plainId = (await t.request('GET', `/v1/coupons/${plain.code}`, { key: apiKey })).body.id
      assert.deepEqual((await t.request('GET', `/v1/wallet/coupons/${plainId}`, { key: await walletToken(t, apiKey, 'frank') })).body.links, [])
    })
  })
}
