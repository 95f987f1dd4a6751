import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

// Unmodified open-source WeChat SDKs from npm, pointed at a local Kabao: wechat-api 1.35.1 (callbacks;
// its `endpoint` property is the base of every /cgi-bin and /card path) and co-wechat-api 3.11.0
// (async; `prefix` is the base of /cgi-bin, card paths are written out in full, so a request hook on
// the instance rewrites their origin). docs/wechat.md says the same.

const require = createRequire(import.meta.url)
const WechatAPI = require('wechat-api')
const CoWechatAPI = require('co-wechat-api')
const WECHAT_ORIGIN = 'https://api.weixin.qq.com'

const card = {
  card_type: 'CASH',
  cash: {
    base_info: { logo_url: 'https://example.com/logo.png', brand_name: 'Tea House', code_type: 'CODE_TYPE_QRCODE', title: '满100减20', color: 'Color010', notice: '出示二维码', description: '每单限用一张', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 }, sku: { quantity: 100 }, get_limit: 3 },
    least_cost: 10000,
    reduce_cost: 2000,
  },
}

/** What each SDK's calls look like once pointed at `base`: promises over the SDK's own methods. */
interface Client {
  createCard(card: unknown): Promise<{ errcode: number; card_id: string }>
  getCard(cardId: string): Promise<any>
  getCode(code: string, cardId: string): Promise<any>
  consumeCode(code: string, cardId: string): Promise<any>
  getCards(offset: number, count: number): Promise<any>
  token(): Promise<string>
}

const SDKS: { name: string; client(base: string, appid: string, secret: string): Client }[] = [
  {
    name: 'wechat-api 1.35.1 (endpoint property)',
    client(base, appid, secret) {
      const api = new WechatAPI(appid, secret)
      // setEndpoint(domain) always prepends https://; the property takes a whole origin.
      api.endpoint = base
      const p = (name: string) => promisify(api[name].bind(api)) as (...args: unknown[]) => Promise<any>
      return {
        createCard: (c) => p('createCard')(c),
        getCard: (id) => p('getCard')(id),
        getCode: (code, id) => p('getCode')(code, id),
        consumeCode: (code, id) => p('consumeCode')(code, id),
        getCards: (offset, count) => p('getCards')(offset, count),
        token: async () => (await promisify(api.getAccessToken.bind(api))()).accessToken,
      }
    },
  },
  {
    name: 'co-wechat-api 3.11.0 (prefix property and a request hook)',
    client(base, appid, secret) {
      const api = new CoWechatAPI(appid, secret)
      api.prefix = `${base}/cgi-bin/`
      const request = api.request.bind(api)
      api.request = (url: string, opts: unknown, retry: unknown) => request(url.startsWith(WECHAT_ORIGIN) ? base + url.slice(WECHAT_ORIGIN.length) : url, opts, retry)
      return {
        createCard: (c) => api.createCard(c),
        getCard: (id) => api.getCard(id),
        getCode: (code, id) => api.getCode(code, id),
        consumeCode: (code, id) => api.consumeCode(code, id),
        getCards: (offset, count) => api.getCards(offset, count),
        token: async () => (await api.getAccessToken()).accessToken,
      }
    },
  },
]

for (const engine of ENGINES) {
  describe(`unmodified WeChat SDKs against Kabao on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let base: string
    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      base = await t.listen()
    })
    after(() => t?.close())

    for (const sdk of SDKS) {
      it(`${sdk.name}: token, card create / get / batchget, code get / consume, 40099 on a second consume`, async () => {
        const { apiKey } = await t.merchant()
        const credential = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
        assert.equal(credential.status, 201)
        const api = sdk.client(base, credential.body.appid, credential.body.secret)

        const created = await api.createCard(card)
        assert.equal(created.errcode, 0)
        assert.match(created.card_id, /^crd_/)
        const got = await api.getCard(created.card_id)
        assert.equal(got.card.card_type, 'CASH')
        assert.equal(got.card.cash.base_info.title, '满100减20')
        assert.equal(got.card.cash.base_info.color, '#63b359')
        assert.equal(got.card.cash.base_info.sku.quantity, 100)
        assert.equal(got.card.cash.reduce_cost, 2000)
        assert.deepEqual((await api.getCards(0, 10)).card_id_list, [created.card_id])

        // Issuing is not a WeChat call: the native API does it, the SDK then sees the code.
        const issued = await t.request('POST', `/v1/cards/${created.card_id}/issue`, { key: apiKey, body: { user_id: 'openid-1' } })
        assert.equal(issued.status, 201, issued.text)
        const code = issued.body.code as string
        const before = await api.getCode(code, created.card_id)
        assert.equal(before.openid, 'openid-1')
        assert.equal(before.user_card_status, 'NORMAL')
        assert.equal(before.can_consume, true)
        assert.equal(before.card.card_id, created.card_id)
        const consumed = await api.consumeCode(code, created.card_id)
        assert.equal(consumed.errcode, 0)
        assert.equal(consumed.openid, 'openid-1')
        assert.equal(consumed.card.card_id, created.card_id)
        await assert.rejects(api.consumeCode(code, created.card_id), (err: { code?: number; message: string }) => {
          assert.equal(err.code, 40099)
          assert.match(err.message, /invalid code, this code has consumed\./)
          return true
        })
        assert.equal((await t.request('GET', `/v1/coupons/${code}`, { key: apiKey })).body.state, 'redeemed')
        const token = await api.token()
        assert.equal((await t.request('POST', `/card/get?access_token=${token}`, { body: { card_id: created.card_id } })).body.errcode, 0, 'the token the SDK fetched is a Kabao token')
      })
    }
  })
}
