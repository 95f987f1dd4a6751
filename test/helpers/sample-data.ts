/**
 * A database with a row in every table, made through the API: two merchants, stores, cards of several
 * kinds and versions, coupons in every state, redemptions (one reversed), claim links, customers signed in
 * with a one-time code, a bulk issue, idempotency keys and events. For tests of copies of a whole database.
 */
import assert from 'node:assert/strict'
import { cashCard, type TestApp } from './app.ts'

export interface SampleData {
  apiKey: string
  merchantId: string
  /** Codes of coupons still available, to redeem on a copy. */
  availableCodes: string[]
}

export async function fillWithSampleData(t: TestApp): Promise<SampleData> {
  const { merchantId, apiKey } = await t.merchant('Sample Tea 样品茶')
  const other = await t.merchant('Other Coffee')
  const call = async (key: string, method: string, url: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await t.request(method, url, { key, body, headers })
    assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${res.text}`)
    return res.body
  }

  const store = await call(apiKey, 'POST', '/v1/stores', { name: '南京路店', address: '南京东路 1 号', latitude: 31.2352, longitude: 121.4759 })
  await call(other.apiKey, 'POST', '/v1/stores', { name: 'Elsewhere' })
  const tiered = await call(apiKey, 'POST', '/v1/cards', cashCard({ stock: 100, get_limit: 5, reduce_cost: undefined, least_cost: undefined, tiers: [{ least_cost: 10000, reduce_cost: 1000 }, { least_cost: 20000, reduce_cost: 3000 }] }))
  const discount = await call(apiKey, 'POST', '/v1/cards', { type: 'discount', title: '八五折', notice: 'Not with other offers', percent_off: 15, max_discount: 5000, stock: 50, validity: { type: 'fixed_term', days: 10 } })
  await call(apiKey, 'PATCH', `/v1/cards/${tiered.id}`, { title: '满减 v2', description: 'Changed terms: a new version' })
  await call(other.apiKey, 'POST', '/v1/cards', cashCard({ stock: 3 }))

  const codes: string[] = []
  for (let i = 0; i < 6; i++) codes.push((await call(apiKey, 'POST', `/v1/cards/${i % 2 ? discount.id : tiered.id}/issue`, { user_id: `sample-${i}` })).code)
  const redeemed = await call(apiKey, 'POST', '/v1/redemptions', { code: codes[0], store_id: store.id, order_amount: 25000 }, { 'idempotency-key': 'sample-redeem-0' })
  await call(apiKey, 'POST', '/v1/redemptions', { code: codes[1], order_amount: 12000 })
  await call(apiKey, 'POST', `/v1/redemptions/${redeemed.id}/reverse`, { reason: 'customer changed their mind' })
  await call(apiKey, 'POST', `/v1/coupons/${codes[2]}/void`, { reason: 'issued by mistake' })

  const link = await call(apiKey, 'POST', `/v1/cards/${discount.id}/claim-links`, { max_claims: 10 })
  // One sign-in left unfinished, one completed.
  const challenge = await t.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, email: 'li.lei@example.com' } })
  assert.equal(challenge.status, 202, challenge.text)
  const { challenge_id } = (await t.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, phone: '13900139000' } })).body
  const session = await t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchantId, challenge_id, code: t.notifier.sent.at(-1)!.code } })
  assert.equal(session.status, 201, session.text)
  const claimed = await t.request('POST', `/v1/claim/${link.token}`, { key: session.body.token })
  assert.equal(claimed.status, 201, claimed.text)

  const bulk = await call(apiKey, 'POST', `/v1/cards/${tiered.id}/bulk-issue`, { user_ids: Array.from({ length: 20 }, (_, i) => `bulk-${i}`) }, { 'idempotency-key': 'sample-bulk' })
  assert.equal(bulk.issued, 20)
  await call(apiKey, 'POST', '/v1/api-keys', { name: 'Till 1', scope: 'redeem', store_id: store.id })
  await call(apiKey, 'POST', '/v1/wallet-secret/rotate')

  return { apiKey, merchantId, availableCodes: codes.slice(3) }
}
