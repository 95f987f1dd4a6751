import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { parseSignature, useReceiver, verifySignature } from '../helpers/webhook-receiver.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { deliverWebhooksOnce, webhookSettings } from '../../src/features/webhooks/webhook-delivery.ts'
import { startWebhookWorker } from '../../src/jobs/webhook-worker.ts'

const START = '2026-03-10T02:00:00Z'
const DAY = 86_400_000
/** Retries one second apart (plus jitter), and a receiver that keeps us waiting half a second has timed out. */
const settings = webhookSettings({ retrySchedule: [1, 1, 1], timeoutMs: 500 })

for (const engine of ENGINES) {
  describe(`webhooks on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })
    const receiver = useReceiver()

    const nowSeconds = () => Math.floor(clock.now() / 1000)
    const deliver = () => deliverWebhooksOnce(t.ctx, settings)
    /** Runs the retries due after each second of the schedule (jitter adds at most 20%). */
    const deliverAfterDelay = () => {
      clock.advance(1300)
      return deliver()
    }
    const addEndpoint = async (m: MerchantApi, body: Record<string, unknown> = {}) =>
      expectStatus(await m.post('/v1/webhook-endpoints', { url: `${receiver.url}/${Math.random().toString(36).slice(2)}`, ...body }), 201)
    const receivedAt = (endpoint: { url: string }) => receiver.received.filter((r) => `${receiver.url.replace(/\/hooks$/, '')}${r.path}` === endpoint.url)
    const deliveries = async (m: MerchantApi, endpointId: string) => expectStatus(await m.get(`/v1/webhook-endpoints/${endpointId}/deliveries`), 200).data
    const attempts = async (m: MerchantApi, endpointId: string) => expectStatus(await m.get(`/v1/webhook-endpoints/${endpointId}/attempts`), 200).data

    it('registers an endpoint, showing its secret only on creation, and keeps it to its merchant', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const created = expectStatus(await m.post('/v1/webhook-endpoints', { url: 'https://shop.example/kabao', events: ['coupon.redeemed', 'card.*'] }), 201)
      assert.match(created.id, /^whe_/)
      assert.match(created.secret, /^whsec_[A-Za-z0-9_-]{40,}$/)
      assert.deepEqual({ url: created.url, events: created.events, status: created.status }, { url: 'https://shop.example/kabao', events: ['coupon.redeemed', 'card.*'], status: 'enabled' })
      const everything = expectStatus(await m.post('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x' }), 201)
      assert.deepEqual(everything.events, ['*'])

      const read = expectStatus(await m.get(`/v1/webhook-endpoints/${created.id}`), 200)
      assert.equal(read.secret, undefined)
      assert.equal(read.url, created.url)
      const listed = expectStatus(await m.get('/v1/webhook-endpoints'), 200).data
      assert.deepEqual(listed.map((e: { id: string }) => e.id), [created.id, everything.id])
      assert.ok(listed.every((e: Record<string, unknown>) => !('secret' in e)))

      for (const [body, field] of [
        [{ url: 'ftp://shop.example/x' }, 'url'],
        [{ url: 'not a url' }, 'url'],
        [{ url: 'https://user:pw@shop.example/x' }, 'url'],
        [{ url: 'https://shop.example/x', events: ['Coupon Redeemed'] }, 'events[0]'],
        [{ url: 'https://shop.example/x', events: [] }, 'events'],
        [{}, 'url'],
      ] as const) {
        const problem = expectProblem(await m.post('/v1/webhook-endpoints', body), 422, 'validation_failed')
        assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), [field], JSON.stringify(body))
      }

      const patched = expectStatus(await m.patch(`/v1/webhook-endpoints/${created.id}`, { events: ['coupon.*'], description: 'ERP' }), 200)
      assert.deepEqual([patched.events, patched.description], [['coupon.*'], 'ERP'])

      const other = await newMerchant(t)
      expectProblem(await other.get(`/v1/webhook-endpoints/${created.id}`), 404, 'webhook_endpoint_not_found')
      expectProblem(await other.post(`/v1/webhook-endpoints/${created.id}/rotate-secret`), 404, 'webhook_endpoint_not_found')
      expectProblem(await other.get(`/v1/webhook-endpoints/${created.id}/attempts`), 404, 'webhook_endpoint_not_found')
      assert.equal((await t.request('DELETE', `/v1/webhook-endpoints/${created.id}`, { key: other.key })).status, 404)
      assert.equal((await t.request('DELETE', `/v1/webhook-endpoints/${created.id}`, { key: m.key })).status, 204)
      expectProblem(await m.get(`/v1/webhook-endpoints/${created.id}`), 404, 'webhook_endpoint_not_found')
    })

    it('delivers each event to the endpoints subscribed to it, signed as the contract says, the body being the event', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const all = await addEndpoint(m)
      const redemptions = await addEndpoint(m, { events: ['coupon.redeemed'] })
      const cards = await addEndpoint(m, { events: ['card.*'] })
      const card = await m.createCard(cashCard({ least_cost: undefined }))
      const coupon = await m.issue(card.id, 'u1')
      expectStatus(await m.redeem({ code: coupon.code }), 201)
      assert.equal(await deliver(), 5)

      const events = await m.events()
      assert.deepEqual(events.map((e) => e.type), ['card.created', 'coupon.issued', 'coupon.redeemed'])
      const byId = new Map(events.map((e) => [e.id, e]))
      const toAll = receivedAt(all)
      assert.deepEqual(toAll.map((r) => r.body.id).sort(), events.map((e) => e.id).sort())
      assert.deepEqual(receivedAt(redemptions).map((r) => r.body.type), ['coupon.redeemed'])
      assert.deepEqual(receivedAt(cards).map((r) => r.body.type), ['card.created'])
      for (const [endpoint, requests] of [[all, toAll], [redemptions, receivedAt(redemptions)], [cards, receivedAt(cards)]] as const) {
        for (const request of requests) {
          assert.deepEqual(request.body, byId.get(request.body.id), 'the body is the event as GET /v1/events lists it')
          assert.deepEqual(Object.keys(request.body).sort(), ['created_at', 'data', 'id', 'merchant_id', 'type'])
          assert.equal(request.body.merchant_id, m.merchantId)
          assert.equal(request.headers['kabao-event-id'], request.body.id)
          assert.match(String(request.headers['content-type']), /^application\/json/)
          assert.equal(parseSignature(request.headers['kabao-signature']).t, nowSeconds())
          assert.equal(parseSignature(request.headers['kabao-signature']).v1.length, 1)
          assert.ok(verifySignature(request, endpoint.secret, nowSeconds()), 'the signature verifies with the endpoint’s secret')
          assert.ok(!verifySignature(request, all === endpoint ? cards.secret : all.secret, nowSeconds()), 'and with no other')
          assert.ok(!verifySignature({ ...request, raw: request.raw.replace('"data"', '"Data"') }, endpoint.secret, nowSeconds()), 'a changed body fails')
          assert.ok(!verifySignature(request, endpoint.secret, nowSeconds() + 301), 'a replay after 5 minutes fails')
        }
      }
      // Nothing is sent twice once delivered.
      assert.equal(await deliverAfterDelay(), 0)
      const log = await attempts(m, all.id)
      assert.equal(log.length, 3)
      for (const entry of log) {
        assert.equal(entry.status_code, 200)
        assert.equal(entry.error, null)
        assert.ok(Number.isInteger(entry.latency_ms) && entry.latency_ms >= 0)
        assert.equal(entry.attempt, 1)
        assert.equal(entry.attempted_at, '2026-03-10T10:00:00+08:00')
      }
      assert.ok((await deliveries(m, all.id)).every((d: { status: string }) => d.status === 'delivered'))
      const health = expectStatus(await m.get(`/v1/webhook-endpoints/${all.id}`), 200)
      assert.equal(health.last_success_at, '2026-03-10T10:00:00+08:00')
      assert.equal(health.failing_since, null)
    })

    it('retries a dropped connection, a receiver hanging past the timeout and a 500 with the same event id, until a 2xx', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const endpoint = await addEndpoint(m, { events: ['card.created'] })
      const fates = ['reset', 'hang', 500, 204] as const
      let n = 0
      receiver.behave((request) => (receivedAt(endpoint).some((r) => r === request) ? fates[n++] : 200))
      try {
        const card = await m.createCard(cashCard())
        const [event] = await m.events('card.created')
        assert.equal(await deliver(), 1)
        for (let i = 1; i < fates.length; i++) {
          const [delivery] = await deliveries(m, endpoint.id)
          assert.equal(delivery.status, 'pending', `after attempt ${i}`)
          assert.equal(delivery.attempts, i)
          assert.equal(await deliverAfterDelay(), 1)
        }
        const [delivery] = await deliveries(m, endpoint.id)
        assert.deepEqual([delivery.status, delivery.attempts, delivery.event_id, delivery.event_type], ['delivered', 4, event.id, 'card.created'])

        const requests = receivedAt(endpoint)
        assert.equal(requests.length, 4)
        assert.ok(requests.every((r) => r.body.id === event.id && r.headers['kabao-event-id'] === event.id && r.body.data.card_id === card.id))
        const stamps = requests.map((r) => parseSignature(r.headers['kabao-signature']).t)
        assert.equal(new Set(stamps).size, 4, 'every attempt is signed afresh')
        assert.ok(requests.every((r, i) => verifySignature(r, endpoint.secret, stamps[i])))

        const log = (await attempts(m, endpoint.id)).reverse()
        assert.deepEqual(log.map((a: { attempt: number }) => a.attempt), [1, 2, 3, 4])
        assert.deepEqual(log.map((a: { status_code: number | null }) => a.status_code), [null, null, 500, 204])
        assert.ok(log[0].error && !/no answer/.test(log[0].error), log[0].error)
        assert.match(log[1].error, /no answer within 500 ms/)
        assert.ok(log[1].latency_ms >= 400, `a timed-out attempt took ${log[1].latency_ms} ms`)
        assert.equal(log[3].error, null)
      } finally {
        receiver.behave(() => 200)
        receiver.release()
      }
    })

    it('marks a delivery failed once the schedule is used up', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const endpoint = await addEndpoint(m, { events: ['card.created'] })
      receiver.behave((request) => (receivedAt(endpoint).includes(request) ? 503 : 200))
      try {
        await m.createCard(cashCard())
        await deliver()
        for (let i = 0; i < 5; i++) await deliverAfterDelay()
        const [delivery] = await deliveries(m, endpoint.id)
        assert.deepEqual([delivery.status, delivery.attempts, delivery.last_status_code, delivery.next_attempt_at], ['failed', 4, 503, null])
        assert.equal(receivedAt(endpoint).length, 4, 'one attempt, then one retry per entry of the schedule')
        assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?status=failed`), 200).data.length, 1)
        const health = expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200)
        assert.equal(health.status, 'enabled', 'a few failed hours do not disable an endpoint')
        assert.equal(health.failing_since, '2026-03-10T10:00:00+08:00')
      } finally {
        receiver.behave(() => 200)
      }
    })

    it('disables an endpoint that answers 410 Gone at once, with an event and a reason; enabling it resumes its deliveries', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const gone = await addEndpoint(m, { events: ['card.created'] })
      const watcher = await addEndpoint(m, { events: ['webhook_endpoint.*'] })
      let goneAnswers = 410
      receiver.behave((request) => (receivedAt(gone).includes(request) ? goneAnswers : 200))
      try {
        await m.createCard(cashCard())
        await deliver()
        const disabled = expectStatus(await m.get(`/v1/webhook-endpoints/${gone.id}`), 200)
        assert.deepEqual([disabled.status, disabled.disabled_code], ['disabled', 'gone'])
        assert.match(disabled.disabled_reason, /410 Gone/)
        assert.equal(disabled.disabled_at, '2026-03-10T10:00:00+08:00')
        const [event] = await m.events('webhook_endpoint.disabled')
        assert.deepEqual(event.data, { webhook_endpoint_id: gone.id, url: gone.url, code: 'gone', reason: disabled.disabled_reason })
        assert.deepEqual(receivedAt(watcher).map((r) => r.body.id), [event.id], 'the merchant’s other endpoints hear of it')

        // Nothing more goes to it, not even the retry, while disabled.
        await m.createCard(cashCard())
        await deliverAfterDelay()
        assert.equal(receivedAt(gone).length, 1)
        expectProblem(await m.post(`/v1/webhook-endpoints/${gone.id}/redeliver`, { event_id: event.id }), 409, 'invalid_state')

        goneAnswers = 200
        const enabled = expectStatus(await m.post(`/v1/webhook-endpoints/${gone.id}/enable`), 200)
        assert.deepEqual([enabled.status, enabled.disabled_code, enabled.disabled_reason, enabled.failing_since], ['enabled', null, null, null])
        await deliverAfterDelay()
        const [delivery] = await deliveries(m, gone.id)
        assert.equal(delivery.status, 'delivered')
        assert.equal(receivedAt(gone).length, 2)
        assert.equal(receivedAt(gone)[1].body.id, receivedAt(gone)[0].body.id)

        const manual = expectStatus(await m.post(`/v1/webhook-endpoints/${gone.id}/disable`), 200)
        assert.deepEqual([manual.status, manual.disabled_code], ['disabled', 'manual'])
      } finally {
        receiver.behave(() => 200)
      }
    })

    it('disables an endpoint after 5 days without a successful delivery, and a success in between starts the count again', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const endpoint = await addEndpoint(m, { events: ['card.created'] })
      let answer = 500
      receiver.behave((request) => (receivedAt(endpoint).includes(request) ? answer : 200))
      try {
        await m.createCard(cashCard())
        await deliver()
        assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).failing_since, '2026-03-10T10:00:00+08:00')

        // Day 4: a success clears the record.
        clock.set(Date.parse(START) + 4 * DAY)
        answer = 200
        await m.createCard(cashCard())
        await deliver()
        assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).failing_since, null)

        // Failing from day 5 on: still enabled on day 9 (four days), disabled on day 10.
        answer = 500
        clock.set(Date.parse(START) + 5 * DAY)
        await m.createCard(cashCard())
        await deliver()
        clock.set(Date.parse(START) + 9 * DAY)
        await m.createCard(cashCard())
        await deliver()
        assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).status, 'enabled')
        clock.set(Date.parse(START) + 10 * DAY)
        await m.createCard(cashCard())
        await deliver()
        const disabled = expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200)
        assert.deepEqual([disabled.status, disabled.disabled_code, disabled.failing_since], ['disabled', 'failing', '2026-03-15T10:00:00+08:00'])
        assert.match(disabled.disabled_reason, /5 days/)
        assert.equal((await m.events('webhook_endpoint.disabled')).length, 1)
      } finally {
        receiver.behave(() => 200)
      }
    })

    it('signs with the old and the new secret for 24 hours after a rotation, then with the new one only', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const endpoint = await addEndpoint(m, { events: ['card.created'] })
      const rotated = expectStatus(await m.post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`), 200)
      assert.notEqual(rotated.secret, endpoint.secret)
      assert.equal(rotated.previous_secret_expires_at, '2026-03-11T10:00:00+08:00')
      assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).secret, undefined)

      await m.createCard(cashCard())
      await deliver()
      const during = receivedAt(endpoint)[0]
      assert.equal(parseSignature(during.headers['kabao-signature']).v1.length, 2)
      assert.ok(verifySignature(during, endpoint.secret, nowSeconds()), 'the old secret still verifies')
      assert.ok(verifySignature(during, rotated.secret, nowSeconds()), 'so does the new one')

      clock.advance(DAY)
      await m.createCard(cashCard())
      await deliver()
      const afterwards = receivedAt(endpoint)[1]
      assert.equal(parseSignature(afterwards.headers['kabao-signature']).v1.length, 1)
      assert.ok(verifySignature(afterwards, rotated.secret, nowSeconds()))
      assert.ok(!verifySignature(afterwards, endpoint.secret, nowSeconds()))
      assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).previous_secret_expires_at, null)
    })

    it('redelivers one event, or every subscribed event since a time, with the same event ids', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const endpoint = await addEndpoint(m, { events: ['coupon.issued'] })
      const card = await m.createCard(cashCard({ get_limit: 10 }))
      await m.issue(card.id, 'u1')
      clock.advance(60_000)
      const since = new Date(clock.now()).toISOString()
      await m.issue(card.id, 'u1')
      await m.issue(card.id, 'u1')
      await deliver()
      const issued = await m.events('coupon.issued')
      assert.equal(receivedAt(endpoint).length, 3)

      assert.deepEqual(expectStatus(await m.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, { event_id: issued[0].id }), 202), { queued: 1 })
      await deliver()
      assert.deepEqual(receivedAt(endpoint).slice(3).map((r) => r.body.id), [issued[0].id])

      assert.deepEqual(expectStatus(await m.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, { since }), 202), { queued: 2 })
      await deliver()
      assert.deepEqual(receivedAt(endpoint).slice(4).map((r) => r.body.id).sort(), [issued[1].id, issued[2].id].sort())
      const [latest] = await deliveries(m, endpoint.id)
      assert.deepEqual([latest.status, latest.attempts], ['delivered', 1])

      expectProblem(await m.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, {}), 422, 'validation_failed')
      expectProblem(await m.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, { event_id: issued[0].id, since }), 422, 'validation_failed')
      expectProblem(await m.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, { event_id: 'evt_01zzzzzzzzzzzzzzzzzzzzzzzz' }), 404, 'event_not_found')
      const other = await newMerchant(t)
      expectProblem(await other.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, { since }), 404, 'webhook_endpoint_not_found')
    })

    it('sends right after a commit; a hanging receiver holds at most its own few slots and never the others', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const slow = await addEndpoint(m, { events: ['coupon.issued'] })
      const fast = await addEndpoint(m, { events: ['coupon.redeemed'] })
      receiver.behave((request) => (receivedAt(slow).includes(request) ? 'hang' : 200))
      // It polls once an hour: only the nudge after each write request can wake it in time.
      const worker = startWebhookWorker(t.ctx, webhookSettings({ retrySchedule: [3600], timeoutMs: 20_000, maxPerEndpoint: 4 }), {
        pollMs: 3_600_000,
        log: { error: (obj, msg) => console.error(msg, obj) },
      })
      try {
        const card = await m.createCard(cashCard({ least_cost: undefined, get_limit: 10 }))
        const coupons = []
        for (let i = 0; i < 6; i++) coupons.push(await m.issue(card.id, 'u1'))
        await receiver.until((r) => r.filter((x) => receivedAt(slow).includes(x)).length >= 4, 'the slow endpoint’s first requests')
        expectStatus(await m.redeem({ code: coupons[0].code }), 201)
        await receiver.until(() => receivedAt(fast).length === 1, 'the fast endpoint’s delivery')
        assert.ok(receiver.open() >= 1, 'the slow endpoint was still hanging when the fast one got its event')
        assert.equal(receiver.maxOpen(), 4, 'never more than 4 requests at once to one endpoint')
        assert.equal(receivedAt(slow).length, 4)
        receiver.behave(() => 200)
        receiver.release(200)
        await receiver.until(() => receivedAt(slow).length === 6, 'the slow endpoint’s remaining events once its slots were free')
      } finally {
        receiver.behave(() => 200)
        receiver.release(200)
        await worker.stop()
      }
    })
  })
}
