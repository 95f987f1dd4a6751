import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp, type TestApp } from '../helpers/app.ts'
import { wxCashCardWith as cashCard } from '../helpers/wechat-app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { WX_ERRCODES } from '../../src/domain/wechat-errcodes.ts'
import fc from 'fast-check'

async function credentials(t: TestApp) {
  const { apiKey } = await t.merchant()
  const res = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
  assert.equal(res.status, 201, res.text)
  assert.match(res.body.appid, /^wx[0-9a-f]{16}$/)
  assert.match(res.body.secret, /^[0-9a-f]{32}$/)
  return { apiKey, appid: res.body.appid as string, secret: res.body.secret as string }
}

async function wx(t: TestApp, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await t.request('POST', `${path}${token ? `?access_token=${token}` : ''}`, { body, headers })
  assert.equal(res.status, 200, res.text)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  return res.body
}

for (const engine of ENGINES) {
  describe(`WeChat-compatible API on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(Date.parse('2026-03-02T04:00:00Z'))
    const t = useTestApp(engine, { clock })

    it('issues tokens by GET and POST (query, JSON, form) and refuses bad credentials', async () => {
      const { appid, secret } = await credentials(t)
      const query = `grant_type=client_credential&appid=${appid}&secret=${secret}`
      const got = await t.request('GET', `/cgi-bin/token?${query}`)
      assert.equal(got.status, 200)
      assert.deepEqual(Object.keys(got.body).sort(), ['access_token', 'expires_in'])
      assert.equal(got.body.expires_in, 7200)
      assert.match(got.body.access_token, /^[A-Za-z0-9_-]{43}$/)
      const json = await wx(t, '/cgi-bin/token', null, { grant_type: 'client_credential', appid, secret })
      assert.equal(json.expires_in, 7200)
      const form = await t.request('POST', '/cgi-bin/token', { raw: query, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      assert.equal(form.body.expires_in, 7200, form.text)
      assert.equal((await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=wx0000000000000000&secret=${secret}`)).body.errcode, 40013)
      assert.equal((await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${'0'.repeat(32)}`)).body.errcode, 40001)
      assert.equal((await t.request('GET', `/cgi-bin/token?grant_type=other&appid=${appid}&secret=${secret}`)).body.errcode, 40002)
      assert.equal((await wx(t, '/card/get', null, { card_id: 'crd_x' })).errcode, 41001)
      assert.equal((await wx(t, '/card/get', 'garbage', { card_id: 'crd_x' })).errcode, 40001)
    })

    it('keeps a token for 7200 s, an old one 300 s after a new fetch, and none after a rotation', async () => {
      const { apiKey, appid, secret } = await credentials(t)
      const fetch = async () => (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).body.access_token as string
      const start = clock.now()
      const first = await fetch()
      const probe = async (token: string) => (await wx(t, '/card/get', token, { card_id: 'crd_unknown' })).errcode
      clock.set(start + 7199_000)
      assert.equal(await probe(first), 40073)
      clock.set(start + 7200_000)
      assert.equal(await probe(first), 42001)
      clock.set(start)
      const second = await fetch()
      clock.set(start + 299_000)
      assert.equal(await probe(first), 40073)
      clock.set(start + 300_000)
      assert.equal(await probe(first), 40001)
      assert.equal(await probe(second), 40073)
      const rotated = await t.request('POST', `/v1/wechat-apps/${appid}/rotate-secret`, { key: apiKey })
      assert.equal(rotated.status, 200)
      assert.equal(await probe(second), 40001)
      clock.set(start)
    })

    it('creates a card, reads it back, issues, gets and consumes a code once', async () => {
      const { apiKey, appid, secret } = await credentials(t)
      const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).body.access_token
      const created = await wx(t, '/card/create', token, cashCard())
      assert.equal(created.errcode, 0, JSON.stringify(created))
      assert.equal(created.errmsg, 'ok')
      const got = await wx(t, '/card/get', token, { card_id: created.card_id })
      assert.equal(got.errcode, 0)
      assert.equal(got.card.cash.base_info.title, '立减20元')
      assert.equal(got.card.cash.base_info.color, '#63b359')
      assert.deepEqual(got.card.cash.base_info.sku, { quantity: 10, total_quantity: 10 })
      assert.deepEqual(got.card.cash.base_info.date_info, { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 })
      const issued = await wx(t, '/kabao/card/issue', token, { card_id: created.card_id, openid: 'user-1' })
      assert.equal(issued.errcode, 0, JSON.stringify(issued))
      assert.ok(issued.code.length <= 20)
      const code = await wx(t, '/card/code/get', token, { code: issued.code })
      assert.equal(code.user_card_status, 'NORMAL')
      assert.equal(code.can_consume, true)
      assert.equal(code.openid, 'user-1')
      const consumed = await wx(t, '/card/code/consume', token, { code: issued.code })
      assert.deepEqual(consumed, { errcode: 0, errmsg: 'ok', openid: 'user-1', card: { card_id: created.card_id } })
      assert.deepEqual(await wx(t, '/card/code/consume', token, { code: issued.code }), { errcode: 40099, errmsg: 'invalid code, this code has consumed.' })
      assert.equal((await wx(t, '/card/code/get', token, { code: issued.code, check_consume: false })).user_card_status, 'CONSUMED')
      assert.equal((await wx(t, '/card/code/get', token, { code: issued.code, check_consume: 'true' })).errcode, 40099)
      const native = await t.request('GET', `/v1/coupons/${issued.code}`, { key: apiKey })
      assert.equal(native.body.state, 'redeemed')
      assert.equal((await wx(t, '/card/code/get', token, { code: 'ZZZZZZZZZZZZZZZZ' })).errcode, 40056)
      assert.equal((await wx(t, '/card/get', token, { card_id: 'crd_nothing' })).errcode, 40073)
      assert.equal((await wx(t, '/card/create', token, { card: { card_type: 'SCENIC_TICKET', scenic_ticket: {} } })).errcode, 40071)
      assert.equal((await wx(t, '/card/create', token, cashCard({ use_custom_code: true }))).errcode, 43009)
    })

    it('reads one body whatever its Content-Type, and answers unknown paths and methods with errcodes', async () => {
      const { appid, secret } = await credentials(t)
      const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).body.access_token
      const body = JSON.stringify({ card_id: 'crd_missing' })
      for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', undefined]) {
        const res = await t.app.inject({ method: 'POST', url: `/card/get?access_token=${token}`, headers: type ? { 'content-type': type } : {}, payload: body })
        assert.equal(res.statusCode, 200)
        assert.equal(JSON.parse(res.body).errcode, 40073, `${type}: ${res.body}`)
      }
      assert.equal((await t.request('POST', `/card/get?access_token=${token}`, { raw: '{"card_id":' })).body.errcode, 47001)
      assert.equal((await t.request('POST', '/card/paycell/set?access_token=x')).body.errcode, 48001)
      assert.equal((await t.request('GET', '/card/create')).body.errcode, 43002)
    })

    it('answers 2,000 fuzzed requests with HTTP 200 and errcodes of §3 only', async () => {
      const { appid, secret } = await credentials(t)
      const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).body.access_token
      const paths = ['/card/create', '/card/get', '/card/code/get', '/card/code/consume', '/kabao/card/issue', '/cgi-bin/token', '/card/unknown', '/card/batchget', '/card/update', '/card/modifystock', '/card/delete', '/card/code/decrypt', '/card/code/unavailable', '/card/code/update', '/card/user/getcardlist', '/card/qrcode/create']
      const value = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double(), fc.array(fc.string(), { maxLength: 3 }))
      const bodies = fc.oneof(
        fc.dictionary(fc.constantFrom('card', 'card_id', 'code', 'openid', 'check_consume', 'grant_type', 'appid', 'secret', 'offset', 'count', 'status_list', 'cash', 'reduce_stock_value', 'encrypt_code', 'newcode', 'action_name', 'action_info', 'expire_seconds'), value),
        fc.record({ card: fc.record({ card_type: fc.constantFrom('CASH', 'cash', 'DISCOUNT', 'GIFT', 'X'), cash: fc.record({ base_info: fc.dictionary(fc.constantFrom('title', 'notice', 'date_info', 'sku', 'color', 'get_limit', 'code_type'), value) }) }) }),
      ).map((b) => JSON.stringify(b))
      const raw = fc.oneof(bodies, fc.string({ maxLength: 60 }))
      let count = 0
      await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), raw, fc.constantFrom('application/json', 'text/plain', ''), fc.boolean(), async (path, payload, type, withToken) => {
        count++
        const res = await t.app.inject({ method: 'POST', url: `${path}${withToken ? `?access_token=${token}` : ''}`, headers: type ? { 'content-type': type } : {}, payload })
        assert.equal(res.statusCode, 200, res.body)
        const parsed = JSON.parse(res.body)
        if ('errcode' in parsed) assert.ok(WX_ERRCODES.includes(parsed.errcode), res.body)
        else assert.equal(path, '/cgi-bin/token')
      }), { numRuns: 2000 })
      assert.equal(count, 2000)
    })
  })
}
