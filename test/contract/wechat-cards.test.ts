import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp, type TestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { encryptCodeOf } from '../../src/features/wechat/wechat-encrypt-code.ts'

// WECHAT-API.md §2.2.3–2.5 through facade calls: batchget, update, modifystock, delete, code decrypt /
// unavailable / update, user card lists, QR codes; the §3 errcodes they produce (WX-6) and tenant isolation (WX-8).

async function wechatMerchant(t: TestApp) {
  const { apiKey, merchantId } = await t.merchant()
  const app = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
  assert.equal(app.status, 201, app.text)
  const fetchToken = async () => (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.body.appid}&secret=${app.body.secret}`)).body.access_token as string
  return { apiKey, merchantId, token: await fetchToken(), fetchToken }
}

async function wx(t: TestApp, path: string, token: string | null, body?: unknown) {
  const res = await t.request('POST', `${path}${token ? `?access_token=${token}` : ''}`, { body })
  assert.equal(res.status, 200, res.text)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  return res.body
}

const cashCard = (base: Record<string, unknown> = {}, type: Record<string, unknown> = {}) => ({
  card: { card_type: 'CASH', cash: { base_info: { title: '立减20元', notice: 'Show the code', color: 'Color010', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 }, sku: { quantity: 10 }, ...base }, reduce_cost: 2000, least_cost: 10000, ...type } },
})

async function newCard(t: TestApp, token: string, base: Record<string, unknown> = {}): Promise<string> {
  const created = await wx(t, '/card/create', token, cashCard(base))
  assert.equal(created.errcode, 0, JSON.stringify(created))
  return created.card_id
}

async function issue(t: TestApp, token: string, cardId: string, openid = 'user-1'): Promise<string> {
  const issued = await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid })
  assert.equal(issued.errcode, 0, JSON.stringify(issued))
  return issued.code
}

const stockOf = async (t: TestApp, token: string, cardId: string) => (await wx(t, '/card/get', token, { card_id: cardId })).card.cash.base_info.sku.quantity as number

for (const engine of ENGINES) {
  describe(`WeChat-compatible card and code calls on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(Date.parse('2026-03-02T04:00:00Z'))
    const t = useTestApp(engine, { clock })

    it('lists card ids in creation order with count clamped and status filters', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const ids = [await newCard(t, token), await newCard(t, token), await newCard(t, token)]
      const all = await wx(t, '/card/batchget', token, { offset: '0', count: '50' })
      assert.deepEqual(all, { errcode: 0, errmsg: 'ok', card_id_list: ids, total_num: 3 })
      const page = await wx(t, '/card/batchget', token, { offset: 1, count: 0 })
      assert.deepEqual(page.card_id_list, [ids[1]], 'count 0 is clamped to 1')
      assert.equal(page.total_num, 3)
      assert.equal((await t.request('POST', `/v1/cards/${ids[0]}/pause`, { key: apiKey })).status, 200)
      const verified = await wx(t, '/card/batchget', token, { offset: 0, count: 10, status_list: ['CARD_STATUS_VERIFY_OK', 'CARD_STATUS_DISPATCH'] })
      assert.deepEqual(verified.card_id_list, ids.slice(1))
      const paused = await wx(t, '/card/batchget', token, { offset: 0, count: 10, status_list: 'CARD_STATUS_NOT_VERIFY' })
      assert.deepEqual(paused.card_id_list, [ids[0]])
      assert.equal((await wx(t, '/card/batchget', token, { offset: -1, count: 10 })).errcode, 40097)
    })

    it('updates face and settings whatever the wrapper key, widens date_info only, refuses value changes', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const begin = Math.floor(clock.now() / 1000)
      const end = begin + 30 * 86400
      const cardId = await newCard(t, token, { date_info: { type: 1, begin_timestamp: begin, end_timestamp: end }, service_phone: '020-1234' })
      const updated = await wx(t, '/card/update', token, { card_id: cardId, member_card: { base_info: { title: '立减25元', color: 'Color020', get_limit: '3', date_info: { type: 'DATE_TYPE_FIX_TIME_RANGE', begin_timestamp: begin, end_timestamp: end + 86400 }, service_phone: '020-9999' }, reduce_cost: 2000 } })
      assert.deepEqual(updated, { errcode: 0, errmsg: 'ok', send_check: false })
      const got = (await wx(t, '/card/get', token, { card_id: cardId })).card.cash
      assert.equal(got.base_info.title, '立减25元')
      assert.equal(got.base_info.color, '#2c9f67')
      assert.equal(got.base_info.get_limit, 3)
      assert.equal(got.base_info.date_info.end_timestamp, end + 86400)
      assert.equal(got.base_info.service_phone, '020-9999', 'a field kept without effect follows the update')
      const native = await t.request('GET', `/v1/cards/${cardId}`, { key: apiKey })
      assert.equal(native.body.version, 2, 'a change of promised terms is a new version')

      const narrowed = await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: { date_info: { type: 1, begin_timestamp: begin, end_timestamp: end } } } })
      assert.equal(narrowed.errcode, 40100)
      const toTerm = await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: { date_info: { type: 2, fixed_term: 90 } } } })
      assert.equal(toTerm.errcode, 40100)
      const value = await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: {}, reduce_cost: 3000 } })
      assert.equal(value.errcode, 40097)
      assert.match(value.errmsg, /^invalid args: reduce_cost/)
      const tooLong = await wx(t, '/card/update', token, { card_id: cardId, cash: { base_info: { title: 'x'.repeat(28) } } })
      assert.equal(tooLong.errcode, 45021)
      const after = (await wx(t, '/card/get', token, { card_id: cardId })).card.cash
      assert.equal(after.base_info.title, '立减25元', 'failed updates change nothing')
      assert.equal(after.base_info.date_info.end_timestamp, end + 86400)
      assert.equal((await t.request('GET', `/v1/cards/${cardId}`, { key: apiKey })).body.version, 2)
      assert.equal((await wx(t, '/card/update', token, { card_id: 'crd_nothing', cash: { base_info: { title: 'x' } } })).errcode, 40073)
      assert.equal((await wx(t, '/card/update', token, { cash: { base_info: { title: 'x' } } })).errcode, 41012)
    })

    it('changes stock by increase − reduce, refuses below zero with stock unchanged, and ends a card on delete', async () => {
      const { token } = await wechatMerchant(t)
      const cardId = await newCard(t, token)
      assert.deepEqual(await wx(t, '/card/modifystock', token, { card_id: cardId, increase_stock_value: '5', reduce_stock_value: 2 }), { errcode: 0, errmsg: 'ok' })
      assert.equal(await stockOf(t, token, cardId), 13)
      assert.deepEqual(await wx(t, '/card/modifystock', token, { card_id: cardId, reduce_stock_value: 14 }), { errcode: 40122, errmsg: 'invalid card quantity' })
      assert.equal(await stockOf(t, token, cardId), 13)
      assert.equal((await wx(t, '/card/modifystock', token, { card_id: 'crd_nothing', increase_stock_value: 1 })).errcode, 40073)
      const code = await issue(t, token, cardId)
      assert.deepEqual(await wx(t, '/card/delete', token, { card_id: cardId }), { errcode: 0, errmsg: 'ok' })
      assert.equal((await wx(t, '/card/get', token, { card_id: cardId })).card.cash.base_info.status, 'CARD_STATUS_DELETE')
      assert.equal((await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'user-2' })).errcode, 40078)
      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId } } })).errcode, 40078)
      assert.equal((await wx(t, '/card/code/get', token, { code })).user_card_status, 'NORMAL', 'issued coupons stay valid')
      assert.equal((await wx(t, '/card/code/consume', token, { code })).errcode, 0)
    })

    it('answers the errcodes of a stock of 0, the get limit, a paused card, a code not yet valid and an expired one', async () => {
      const { apiKey, token, fetchToken } = await wechatMerchant(t)
      const empty = await newCard(t, token, { sku: { quantity: 0 } })
      assert.deepEqual(await wx(t, '/kabao/card/issue', token, { card_id: empty, openid: 'u' }), { errcode: 45031, errmsg: 'stock is empty' })
      const limited = await newCard(t, token, { get_limit: 1 })
      await issue(t, token, limited, 'u')
      assert.equal((await wx(t, '/kabao/card/issue', token, { card_id: limited, openid: 'u' })).errcode, 45033)
      assert.equal(await stockOf(t, token, limited), 9, 'a refused issue takes no stock')
      assert.equal((await t.request('POST', `/v1/cards/${limited}/pause`, { key: apiKey })).status, 200)
      assert.equal((await wx(t, '/kabao/card/issue', token, { card_id: limited, openid: 'v' })).errcode, 40078)
      const later = await newCard(t, token, { date_info: { type: 2, fixed_term: 7, fixed_begin_term: 1 } })
      const early = await issue(t, token, later)
      assert.equal((await wx(t, '/card/code/consume', token, { code: early })).errcode, 40079)
      assert.equal((await wx(t, '/card/code/get', token, { code: early, check_consume: false })).can_consume, false)
      const refused = await wx(t, '/card/create', token, cashCard({}, { least_cost: 0 }))
      assert.equal(refused.errcode, 40097)
      assert.match(refused.errmsg, /threshold_required/)
      const soon = await newCard(t, token)
      const expiring = await issue(t, token, soon)
      const start = clock.now()
      clock.set(start + 9 * 86_400_000)
      try {
        const later = await fetchToken()
        assert.equal((await wx(t, '/card/code/consume', later, { code: expiring })).errcode, 40127)
        assert.equal((await wx(t, '/card/code/get', later, { code: expiring, check_consume: false })).user_card_status, 'EXPIRE')
      } finally {
        clock.set(start)
      }
    })

    it('voids a code with code/unavailable (GET or POST), decrypts encrypt_code, refuses code/update', async () => {
      const { apiKey, merchantId, token } = await wechatMerchant(t)
      const cardId = await newCard(t, token)
      const code = await issue(t, token, cardId)
      const voided = await t.request('GET', `/card/code/unavailable?access_token=${token}&code=${code}&reason=lost`)
      assert.deepEqual(voided.body, { errcode: 0, errmsg: 'ok' })
      assert.deepEqual(await wx(t, '/card/code/unavailable', token, { code }), { errcode: 0, errmsg: 'ok' }, 'voiding again is errcode 0')
      assert.equal((await wx(t, '/card/code/consume', token, { code })).errcode, 40127)
      assert.equal((await wx(t, '/card/code/get', token, { code, check_consume: false })).user_card_status, 'UNAVAILABLE')
      assert.equal((await t.request('GET', `/v1/coupons/${code}`, { key: apiKey })).body.state, 'voided')
      const used = await issue(t, token, cardId, 'user-2')
      assert.equal((await wx(t, '/card/code/consume', token, { code: used })).errcode, 0)
      assert.equal((await wx(t, '/card/code/unavailable', token, { code: used })).errcode, 40099)
      assert.equal((await wx(t, '/card/code/unavailable', token, { code: 'ZZZZZZZZZZZZZZZZ' })).errcode, 40056)

      assert.deepEqual(await wx(t, '/card/code/decrypt', token, { encrypt_code: await encryptCodeOf(t.ctx, merchantId, used) }), { errcode: 0, errmsg: 'ok', code: used })
      assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: 'bm9wZQ' })).errcode, 40075)
      assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: await encryptCodeOf(t.ctx, 'mch_other', used) })).errcode, 40075)

      const fresh = await issue(t, token, cardId, 'user-3')
      assert.equal((await wx(t, '/card/code/update', token, { code: fresh, card_id: cardId, new_code: '123' })).errcode, 43009)
      assert.equal((await wx(t, '/card/code/update', token, { code: fresh, card_id: cardId, newcode: '123' })).errcode, 43009)
      assert.equal((await wx(t, '/card/code/update', token, { code: 'ZZZZZZZZZZZZZZZZ', newcode: '123' })).errcode, 40056)
      assert.equal((await wx(t, '/card/code/get', token, { code: fresh })).user_card_status, 'NORMAL')
    })

    it('lists only an openid’s unused codes, optionally of one card', async () => {
      const { token } = await wechatMerchant(t)
      const a = await newCard(t, token)
      const b = await newCard(t, token)
      const first = await issue(t, token, a, 'alice')
      const second = await issue(t, token, b, 'alice')
      const used = await issue(t, token, a, 'alice')
      await issue(t, token, a, 'bob')
      assert.equal((await wx(t, '/card/code/consume', token, { code: used })).errcode, 0)
      const list = await wx(t, '/card/user/getcardlist', token, { openid: 'alice' })
      assert.equal(list.errcode, 0)
      assert.equal(list.has_share_card, false)
      assert.deepEqual(list.card_list, [{ code: first, card_id: a }, { code: second, card_id: b }])
      assert.deepEqual((await wx(t, '/card/user/getcardlist', token, { openid: 'alice', card_id: b })).card_list, [{ code: second, card_id: b }])
      assert.deepEqual((await wx(t, '/card/user/getcardlist', token, { openid: 'nobody' })).card_list, [])
    })

    it('makes QR codes over claim links: permanent for expire_seconds null, clamped otherwise, with a PNG', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await newCard(t, token)
      const permanent = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', expire_seconds: null, action_info: { card: { card_id: cardId, outer_str: 'poster-a' } } })
      assert.equal(permanent.errcode, 0, JSON.stringify(permanent))
      assert.equal(permanent.expire_seconds, undefined)
      assert.match(permanent.url, /\/wallet\/claim\/[A-Za-z0-9_-]{32}$/)
      assert.ok(permanent.show_qrcode_url.endsWith(`/cgi-bin/showqrcode?ticket=${encodeURIComponent(permanent.ticket)}`), permanent.show_qrcode_url)
      const links = await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })
      assert.equal(links.status, 200, links.text)
      assert.equal(links.body.data.length, 1)
      assert.equal(links.body.data[0].expires_at, null)
      assert.equal(links.body.data[0].url, permanent.url)
      const image = await t.app.inject({ method: 'GET', url: new URL(permanent.show_qrcode_url).pathname + new URL(permanent.show_qrcode_url).search })
      assert.equal(image.statusCode, 200)
      assert.equal(image.headers['content-type'], 'image/png')
      assert.deepEqual([...image.rawPayload.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47])
      assert.equal((await t.request('GET', '/cgi-bin/showqrcode?ticket=nothing')).body.errcode, 40097)

      const short = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', expire_seconds: '10', action_info: { card: { card_id: cardId, outer_id: 7, is_unique_code: true } } })
      assert.equal(short.expire_seconds, 60)
      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', expire_seconds: 99999, action_info: { card: { card_id: cardId } } })).expire_seconds, 1800)
      assert.equal((await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data.length, 3)
      assert.deepEqual(await wx(t, '/card/qrcode/create', token, { action_name: 'QR_SCENE', action_info: { card: { card_id: cardId } } }), { errcode: 40053, errmsg: 'invalid action info, please check document' })
      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: {} })).errcode, 40053)
      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: 'crd_nothing' } } })).errcode, 40073)
      assert.equal((await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data.length, 3, 'refused QR codes make no link')
    })

    it('makes landing pages with per-merchant integer page ids, listing each card with its claim page', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const a = await newCard(t, token)
      const b = await newCard(t, token, { title: '<b>满200减50</b>' })
      const body = { banner: 'https://example.com/banner.png', page_title: '春季 & 夏季', can_share: 'true', scene: 'SCENE_QRCODE', card_list: [{ card_id: a, thumb_url: 'https://example.com/a.png' }, { card_id: b }] }
      const first = await wx(t, '/card/landingpage/create', token, body)
      assert.equal(first.errcode, 0, JSON.stringify(first))
      assert.equal(first.page_id, 1)
      assert.equal((await wx(t, '/card/landingpage/create', token, body)).page_id, 2)
      const page = await t.app.inject({ method: 'GET', url: new URL(first.url).pathname })
      assert.equal(page.statusCode, 200)
      assert.match(String(page.headers['content-type']), /^text\/html/)
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/)
      assert.match(page.body, /<title>春季 &amp; 夏季<\/title>/)
      assert.match(page.body, /&lt;b&gt;满200减50&lt;\/b&gt;/)
      assert.ok(!page.body.includes('<b>满200减50'))
      const links = (await t.request('GET', `/v1/claim-links?card_id=${a}`, { key: apiKey })).body.data as { url: string }[]
      assert.equal(links.length, 2)
      assert.ok(links.some((link) => page.body.includes(`href="${link.url}"`)), 'the page links to the card’s claim page')
      assert.equal((await t.request('GET', '/kabao/landingpage/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).body.errcode, 40097)

      const other = await wechatMerchant(t)
      const theirs = await newCard(t, other.token)
      assert.equal((await wx(t, '/card/landingpage/create', other.token, { ...body, card_list: [{ card_id: theirs }] })).page_id, 1, 'page ids count per merchant')
      assert.equal((await wx(t, '/card/landingpage/create', other.token, body)).errcode, 40073, 'another merchant’s cards are unknown')
      assert.equal((await wx(t, '/card/landingpage/create', token, { ...body, card_list: undefined })).errcode, 41011)
      assert.equal((await wx(t, '/card/landingpage/create', token, { ...body, banner: 'javascript:alert(1)' })).errcode, 40097)
      await wx(t, '/card/delete', token, { card_id: b })
      assert.equal((await wx(t, '/card/landingpage/create', token, body)).errcode, 40078)
      assert.equal((await t.request('GET', `/v1/claim-links?card_id=${a}`, { key: apiKey })).body.data.length, 2, 'refused pages make no claim link')
      const after = await t.app.inject({ method: 'GET', url: new URL(first.url).pathname })
      assert.ok(!after.body.includes('满200减50'), 'an ended card leaves the page')
    })

    it('shows another merchant’s token none of the first merchant’s cards or codes (40073 / 40056)', async () => {
      const a = await wechatMerchant(t)
      const b = await wechatMerchant(t)
      const cardId = await newCard(t, a.token)
      const code = await issue(t, a.token, cardId, 'alice')
      assert.equal((await wx(t, '/card/get', b.token, { card_id: cardId })).errcode, 40073)
      assert.equal((await wx(t, '/card/update', b.token, { card_id: cardId, cash: { base_info: { title: 'mine' } } })).errcode, 40073)
      assert.equal((await wx(t, '/card/modifystock', b.token, { card_id: cardId, increase_stock_value: 1 })).errcode, 40073)
      assert.equal((await wx(t, '/card/delete', b.token, { card_id: cardId })).errcode, 40073)
      assert.equal((await wx(t, '/kabao/card/issue', b.token, { card_id: cardId, openid: 'x' })).errcode, 40073)
      assert.equal((await wx(t, '/card/qrcode/create', b.token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId } } })).errcode, 40073)
      assert.deepEqual((await wx(t, '/card/batchget', b.token, { offset: 0, count: 50 })).card_id_list, [])
      for (const path of ['/card/code/get', '/card/code/consume', '/card/code/unavailable', '/card/code/update']) {
        assert.equal((await wx(t, path, b.token, { code, newcode: '1' })).errcode, 40056, path)
      }
      assert.deepEqual((await wx(t, '/card/user/getcardlist', b.token, { openid: 'alice' })).card_list, [])
      const mine = await wx(t, '/card/code/get', a.token, { code })
      assert.equal(mine.user_card_status, 'NORMAL', 'nothing the other merchant tried changed the code')
      assert.equal((await wx(t, '/card/get', a.token, { card_id: cardId })).card.cash.base_info.sku.quantity, 9)
    })
  })
}
