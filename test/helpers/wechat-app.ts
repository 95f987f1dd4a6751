import assert from 'node:assert/strict'
import type { TestApp } from './app.ts'
import { expectStatus, merchantApi } from './merchant-api.ts'

/** A WeChat cash card's `card/create` body, its base_info changed by `overrides`. */
export const wxCashCardWith = (overrides: Record<string, unknown> = {}) => ({
  card: { card_type: 'CASH', cash: { base_info: { title: '立减20元', notice: 'Show the code', color: 'Color010', code_type: 'CODE_TYPE_QRCODE', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 }, sku: { quantity: 10 }, ...overrides }, reduce_cost: 2000, least_cost: 10000 } },
})
export const wxCashCard = wxCashCardWith()

/** A new merchant's WeChat app with an access token: `wx` calls the facade (every answer HTTP 200), `m` the native API. */
export async function wechatApp(t: TestApp) {
  const { apiKey } = await t.merchant()
  const created = expectStatus(await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} }), 201)
  const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${created.appid}&secret=${created.secret}`)).body.access_token as string
  const wx = async (path: string, body: unknown) => {
    const res = await t.request('POST', `${path}?access_token=${token}`, { body })
    assert.equal(res.status, 200, res.text)
    return res.body
  }
  return { apiKey, appid: created.appid as string, originalId: created.original_id as string, wx, m: merchantApi(t, apiKey) }
}
