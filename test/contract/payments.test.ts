import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, merchantApi, newMerchant } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const START = '2026-03-10T02:00:00Z'

for (const engine of ENGINES) {
  describe(`payments and issue-after-payment rules on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    it('manages rules: create, list, read, change, delete, each merchant its own', async () => {
      const m = await newMerchant(t)
      const card = await m.createCard(cashCard())
      const rule = expectStatus(await m.post('/v1/payment-rules', { card_id: card.id, min_amount: 10000 }), 201)
      assert.match(rule.id, /^prl_/)
      assert.deepEqual({ card_id: rule.card_id, min_amount: rule.min_amount, active: rule.active }, { card_id: card.id, min_amount: 10000, active: true })
      const paused = expectStatus(await m.post('/v1/payment-rules', { card_id: card.id, min_amount: 0, active: false }), 201)
      assert.deepEqual(expectStatus(await m.get('/v1/payment-rules'), 200).data.map((r: { id: string }) => r.id), [rule.id, paused.id])
      assert.deepEqual(expectStatus(await m.get('/v1/payment-rules?active=true'), 200).data.map((r: { id: string }) => r.id), [rule.id])
      assert.equal(expectStatus(await m.patch(`/v1/payment-rules/${rule.id}`, { min_amount: 20000 }), 200).min_amount, 20000)
      expectProblem(await m.post('/v1/payment-rules', { card_id: 'crd_01zzzzzzzzzzzzzzzzzzzzzzzz', min_amount: 1 }), 404, 'card_not_found')
      expectProblem(await m.post('/v1/payment-rules', { card_id: card.id, min_amount: -1 }), 422, 'validation_failed')
      expectProblem(await m.post('/v1/payment-rules', { card_id: card.id, min_amount: '100' }), 422, 'validation_failed')

      const other = await newMerchant(t)
      expectProblem(await other.get(`/v1/payment-rules/${rule.id}`), 404, 'payment_rule_not_found')
      expectProblem(await other.patch(`/v1/payment-rules/${rule.id}`, { active: false }), 404, 'payment_rule_not_found')
      expectProblem(await other.post('/v1/payment-rules', { card_id: card.id, min_amount: 1 }), 404, 'card_not_found')
      assert.equal((await t.request('DELETE', `/v1/payment-rules/${rule.id}`, { key: other.key })).status, 404)
      assert.equal((await t.request('DELETE', `/v1/payment-rules/${rule.id}`, { key: m.key })).status, 204)
      expectProblem(await m.get(`/v1/payment-rules/${rule.id}`), 404, 'payment_rule_not_found')
    })

    it('issues the cards whose minimum the order reaches, once per order: the same order again answers 200 with the first payment', async () => {
      const m = await newMerchant(t)
      const store = await m.createStore()
      const big = await m.createCard(cashCard({ title: '满100送' }))
      const small = await m.createCard(cashCard({ title: '满10送', get_limit: 10 }))
      const bigRule = expectStatus(await m.post('/v1/payment-rules', { card_id: big.id, min_amount: 10000 }), 201)
      const smallRule = expectStatus(await m.post('/v1/payment-rules', { card_id: small.id, min_amount: 1000 }), 201)
      expectStatus(await m.post('/v1/payment-rules', { card_id: small.id, min_amount: 0, active: false }), 201)

      const order = { order_id: 'order-1001', amount: 12800, user_id: 'u1', store_id: store.id, items: [{ sku: 'tea-01', name: 'Oolong', quantity: 2, amount: 6400 }] }
      const first = expectStatus(await m.post('/v1/payments', order), 201)
      assert.match(first.id, /^pay_/)
      assert.deepEqual(
        { order_id: first.order_id, amount: first.amount, user_id: first.user_id, store_id: first.store_id, items: first.items },
        { order_id: 'order-1001', amount: 12800, user_id: 'u1', store_id: store.id, items: order.items },
      )
      assert.deepEqual(first.coupons.map((c: { rule_id: string; card_id: string }) => [c.rule_id, c.card_id]), [[bigRule.id, big.id], [smallRule.id, small.id]])
      assert.deepEqual(first.failures, [])
      for (const coupon of first.coupons) {
        assert.equal(coupon.state, 'available')
        assert.equal(coupon.source, 'payment')
        assert.equal(coupon.user_id, 'u1')
        assert.equal(expectStatus(await m.coupon(coupon.code), 200).id, coupon.id)
      }

      const again = await m.post('/v1/payments', order)
      assert.equal(again.status, 200)
      assert.deepEqual(again.body, first, 'the first payment, as it was')
      assert.equal(expectStatus(await m.get('/v1/users/u1/coupons'), 200).data.length, 2, 'nothing issued twice')
      const [received] = await m.events('payment.received')
      assert.equal(received.data.payment_id, first.id)
      assert.deepEqual(received.data.coupons.map((c: { coupon_id: string }) => c.coupon_id), first.coupons.map((c: { id: string }) => c.id))
      assert.equal((await m.events('payment.received')).length, 1)
      assert.equal((await m.events('coupon.issued')).length, 2)

      // A small order gets the small card only; an order below every minimum, nothing.
      const small1 = expectStatus(await m.post('/v1/payments', { order_id: 'order-1002', amount: 1000, user_id: 'u1' }), 201)
      assert.deepEqual(small1.coupons.map((c: { card_id: string }) => c.card_id), [small.id])
      assert.equal(small1.store_id, null)
      assert.deepEqual(expectStatus(await m.post('/v1/payments', { order_id: 'order-1003', amount: 999, user_id: 'u1' }), 201).coupons, [])

      // The same order id with a different amount or customer is a mistake, not a new order.
      expectProblem(await m.post('/v1/payments', { ...order, amount: 12900 }), 409, 'order_conflict')
      expectProblem(await m.post('/v1/payments', { ...order, user_id: 'u2' }), 409, 'order_conflict')
      assert.equal(expectStatus(await m.get(`/v1/payments/${first.id}`), 200).id, first.id)
      assert.deepEqual(expectStatus(await m.get('/v1/payments?order_id=order-1001'), 200).data.map((p: { id: string }) => p.id), [first.id])
      expectProblem(await (await newMerchant(t)).get(`/v1/payments/${first.id}`), 404, 'payment_not_found')
    })

    it('reports the rules that could not issue (no stock, the user’s limit) without failing the payment or leaving a trace', async () => {
      const m = await newMerchant(t)
      const scarce = await m.createCard(cashCard({ stock: 1, get_limit: 5 }))
      const once = await m.createCard(cashCard({ get_limit: 1 }))
      const scarceRule = expectStatus(await m.post('/v1/payment-rules', { card_id: scarce.id, min_amount: 0 }), 201)
      const onceRule = expectStatus(await m.post('/v1/payment-rules', { card_id: once.id, min_amount: 0 }), 201)

      const first = expectStatus(await m.post('/v1/payments', { order_id: 'a', amount: 5000, user_id: 'u1' }), 201)
      assert.equal(first.coupons.length, 2)
      const second = expectStatus(await m.post('/v1/payments', { order_id: 'b', amount: 5000, user_id: 'u1' }), 201)
      assert.deepEqual(second.coupons, [])
      assert.deepEqual(
        second.failures.map((f: { rule_id: string; card_id: string; code: string }) => [f.rule_id, f.card_id, f.code]),
        [[scarceRule.id, scarce.id, 'out_of_stock'], [onceRule.id, once.id, 'get_limit_reached']],
      )
      assert.ok(second.failures.every((f: { message: string }) => f.message.length > 0))
      // The refused issue gave its allowance back: the user still holds one coupon of the scarce card, and may get more once stocked.
      expectStatus(await m.post(`/v1/cards/${scarce.id}/stock`, { delta: 1 }), 200)
      const third = expectStatus(await m.post('/v1/payments', { order_id: 'c', amount: 5000, user_id: 'u1' }), 201)
      assert.deepEqual(third.coupons.map((c: { card_id: string }) => c.card_id), [scarce.id])
      assert.equal(expectStatus(await m.get(`/v1/cards/${scarce.id}`), 200).issued_count, 2)
    })

    it('lets a till key report its store’s payments, and issues once when the same order is reported in parallel', async () => {
      const m = await newMerchant(t)
      const store = await m.createStore()
      const elsewhere = await m.createStore()
      const card = await m.createCard(cashCard({ get_limit: 100 }))
      expectStatus(await m.post('/v1/payment-rules', { card_id: card.id, min_amount: 0 }), 201)
      const till = expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem', store_id: store.id }), 201)
      const tillApi = merchantApi(t, till.api_key)
      const paid = expectStatus(await tillApi.post('/v1/payments', { order_id: 'till-1', amount: 100, user_id: 'u1' }), 201)
      assert.equal(paid.store_id, store.id)
      expectProblem(await tillApi.post('/v1/payments', { order_id: 'till-2', amount: 100, user_id: 'u1', store_id: elsewhere.id }), 403, 'forbidden')
      expectProblem(await tillApi.post('/v1/payment-rules', { card_id: card.id, min_amount: 0 }), 403, 'forbidden')
      expectProblem(await m.post('/v1/payments', { order_id: 'x', amount: 100, user_id: 'u1', store_id: 'sto_01zzzzzzzzzzzzzzzzzzzzzzzz' }), 404, 'store_not_found')

      const replies = await Promise.all(Array.from({ length: 8 }, () => m.post('/v1/payments', { order_id: 'race-1', amount: 5000, user_id: 'u9' })))
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201])
      assert.equal(new Set(replies.map((r) => r.body.id)).size, 1)
      assert.equal(new Set(replies.map((r) => r.body.coupons[0].id)).size, 1)
      assert.equal(expectStatus(await m.get('/v1/users/u9/coupons'), 200).data.length, 1)
    })
  })
}
