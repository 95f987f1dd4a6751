import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { deliverWebhooksOnce, webhookSettings } from '../../src/features/webhooks/webhook-delivery.ts'
import { loadConfig } from '../../src/config.ts'

const START = '2026-03-10T02:00:00Z'
const settings = webhookSettings({ retrySchedule: [1, 1, 1], timeoutMs: 2_000 })

/** Addresses of the server itself and of the networks behind it, written or resolved. */
const PRIVATE_URLS = [
  'http://127.0.0.1:5432/',
  'http://169.254.169.254/latest/meta-data/',
  'http://[::1]:8080/hooks',
  'http://localhost:9/hooks',
  'http://10.0.0.5/',
  'http://192.168.1.1/',
  'http://0.0.0.0:8080/',
  'http://[::ffff:127.0.0.1]/',
  'http://2130706433/',
  'https://[fd00::1]/',
]

describe('WEBHOOK_ALLOW_PRIVATE_DESTINATIONS', () => {
  const config = (env: Record<string, string> = {}) => loadConfig({ DATABASE_URL: 'sqlite::memory:', ...env })
  it('allows private destinations while developing and refuses them in production, unless set', () => {
    assert.equal(config().webhookAllowPrivateDestinations, true)
    assert.equal(config({ NODE_ENV: 'development' }).webhookAllowPrivateDestinations, true)
    assert.equal(config({ NODE_ENV: 'production' }).webhookAllowPrivateDestinations, false)
    assert.equal(config({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true' }).webhookAllowPrivateDestinations, true)
    assert.equal(config({ WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'false' }).webhookAllowPrivateDestinations, false)
    assert.throws(() => config({ WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'maybe' }), /WEBHOOK_ALLOW_PRIVATE_DESTINATIONS must be true or false/)
  })
})

for (const engine of ENGINES) {
  describe(`webhook destinations on ${engine}`, await engineOptions(engine), () => {
    let clock: ManualClock
    /** The production default: private destinations refused. */
    let closed: TestApp
    /** WEBHOOK_ALLOW_PRIVATE_DESTINATIONS=true. */
    let open: TestApp
    let receiver: Receiver
    before(async () => {
      clock = new ManualClock(START)
      closed = await startTestApp(engine, { clock, allowPrivateWebhookDestinations: false })
      open = await startTestApp(engine, { clock, allowPrivateWebhookDestinations: true })
      receiver = await startReceiver()
    })
    after(async () => {
      await receiver.close()
      await closed.close()
      await open.close()
    })

    it('refuses an endpoint at a private or internal address, written or resolved, by default', async () => {
      const m = await newMerchant(closed)
      for (const url of PRIVATE_URLS) {
        const problem = expectProblem(await m.post('/v1/webhook-endpoints', { url }), 422, 'webhook_url_not_allowed')
        assert.deepEqual(problem.errors.map((e: { field: string; code: string }) => [e.field, e.code]), [['url', 'not_allowed']], url)
        assert.match(problem.errors[0].message, /private or internal/, url)
      }
      assert.match(
        expectProblem(await m.post('/v1/webhook-endpoints', { url: 'http://localhost:9/hooks' }), 422, 'webhook_url_not_allowed').errors[0].message,
        /localhost resolves only to private or internal addresses \(.*(127\.0\.0\.1|::1)/,
      )
      assert.deepEqual(expectStatus(await m.get('/v1/webhook-endpoints'), 200).data, [])

      // A public address, or a name that does not resolve here (every delivery checks again), is accepted.
      const endpoint = expectStatus(await m.post('/v1/webhook-endpoints', { url: 'https://93.184.216.34/kabao' }), 201)
      expectStatus(await m.post('/v1/webhook-endpoints', { url: 'https://erp.shop.invalid/kabao' }), 201)
      // Nor may an endpoint be moved to one.
      for (const url of ['http://127.0.0.1/hooks', 'http://[fe80::1]/']) {
        expectProblem(await m.patch(`/v1/webhook-endpoints/${endpoint.id}`, { url }), 422, 'webhook_url_not_allowed')
      }
      assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).url, 'https://93.184.216.34/kabao')
      assert.equal(expectStatus(await m.patch(`/v1/webhook-endpoints/${endpoint.id}`, { url: 'https://93.184.216.35/kabao' }), 200).url, 'https://93.184.216.35/kabao')
    })

    it('accepts them when private destinations are allowed', async () => {
      const m = await newMerchant(open)
      for (const url of PRIVATE_URLS) expectStatus(await m.post('/v1/webhook-endpoints', { url }), 201)
      assert.equal(expectStatus(await m.get('/v1/webhook-endpoints'), 200).data.length, PRIVATE_URLS.length)
    })

    it('refuses to send to a private address at delivery time, logging a failed attempt that is retried', async () => {
      clock.set(START)
      const m = await newMerchant(open)
      const port = new URL(receiver.url).port
      // Registered while allowed; by name (resolved at each connection) and by address.
      const byName = expectStatus(await m.post('/v1/webhook-endpoints', { url: `http://localhost:${port}/by-name`, events: ['card.created'] }), 201)
      const byAddress = expectStatus(await m.post('/v1/webhook-endpoints', { url: `http://127.0.0.1:${port}/by-address`, events: ['card.created'] }), 201)
      expectStatus(await m.post('/v1/cards', cashCard()), 201)

      // The same server and database, private destinations now refused: nothing is sent.
      const refusing = { ...open.ctx, allowPrivateWebhookDestinations: false }
      const before = receiver.received.length
      assert.equal(await deliverWebhooksOnce(refusing, settings), 2)
      assert.equal(receiver.received.length, before, 'no request reached the receiver')
      for (const [endpoint, pattern] of [
        [byName, /^destination not allowed: localhost resolves to a private or internal address .*WEBHOOK_ALLOW_PRIVATE_DESTINATIONS/],
        [byAddress, /^destination not allowed: 127\.0\.0\.1 is a private or internal address/],
      ] as const) {
        const [attempt] = expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}/attempts`), 200).data
        assert.equal(attempt.status_code, null)
        assert.match(attempt.error, pattern)
        const [delivery] = expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`), 200).data
        assert.equal(delivery.status, 'pending', 'retried on the schedule like any unreachable receiver')
        assert.equal(delivery.attempts, 1)
        assert.match(delivery.last_error, pattern)
        assert.ok(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).failing_since !== null)
      }

      // Allowed again, the retry goes through.
      clock.advance(1300)
      assert.equal(await deliverWebhooksOnce(open.ctx, settings), 2)
      assert.deepEqual(receiver.received.slice(before).map((r) => r.path).sort(), ['/by-address', '/by-name'])
      for (const endpoint of [byName, byAddress]) {
        const [delivery] = expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`), 200).data
        assert.equal(delivery.status, 'delivered')
      }
    })
  })
}
