import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'

for (const engine of ENGINES) {
  describe(`core flow on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)
    let key: string
    before(async () => {
      key = (await t.merchant()).apiKey
    })

    it('creates a card, issues a coupon, redeems it once and reverses it', async () => {
      const store = await t.request('POST', '/v1/stores', { key, body: { name: 'Jing’an' } })
      assert.equal(store.status, 201, store.text)
      assert.equal(store.body.timezone, 'Asia/Shanghai')

      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ stock: 5 }) })
      assert.equal(card.status, 201, card.text)
      assert.equal(card.body.status, 'active')

      const issued = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u1' } })
      assert.equal(issued.status, 201, issued.text)
      assert.equal(issued.body.state, 'available')
      assert.match(issued.body.code, /^[0-9A-HJKMNP-TV-Z]{15}$/)

      const got = await t.request('GET', `/v1/cards/${card.body.id}`, { key })
      assert.equal(got.body.stock_remaining, 4)
      assert.equal(got.body.issued_count, 1)

      const redeemed = await t.request('POST', '/v1/redemptions', { key, body: { code: issued.body.code, store_id: store.body.id, order_amount: 12000 } })
      assert.equal(redeemed.status, 201, redeemed.text)
      assert.equal(redeemed.body.discount_amount, 2000)

      const again = await t.request('POST', '/v1/redemptions', { key, body: { code: issued.body.code, order_amount: 12000 } })
      assert.equal(again.status, 409)
      assert.equal(again.body.code, 'already_redeemed')
      assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8')

      const coupon = await t.request('GET', `/v1/coupons/${encodeURIComponent(issued.body.code)}`, { key })
      assert.equal(coupon.body.state, 'redeemed')
      assert.equal(coupon.body.redemption_id, redeemed.body.id)

      const reversed = await t.request('POST', `/v1/redemptions/${redeemed.body.id}/reverse`, { key })
      assert.equal(reversed.status, 200, reversed.text)
      assert.equal(reversed.body.coupon.state, 'available')
      const twice = await t.request('POST', `/v1/redemptions/${redeemed.body.id}/reverse`, { key })
      assert.equal(twice.body.code, 'already_reversed')
    })
  })
}
