import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'

for (const engine of ENGINES) {
  describe(`security headers on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)

    it('sends no-sniff, no-framing and a load-nothing policy with API answers, errors included', async () => {
      const { apiKey } = await t.merchant()
      for (const res of [await t.request('GET', '/v1/ping', { key: apiKey }), await t.request('GET', '/v1/stores/nope', { key: apiKey }), await t.request('GET', '/v1/ping')]) {
        assert.equal(res.headers['x-content-type-options'], 'nosniff')
        assert.equal(res.headers['x-frame-options'], 'DENY')
        assert.equal(res.headers['referrer-policy'], 'no-referrer')
        assert.equal(res.headers['content-security-policy'], "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'")
        assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin')
      }
    })

    it('gives Swagger UI the policy its scripts need, without forcing HTTPS', async () => {
      const page = await t.request('GET', '/docs/')
      assert.equal(page.status, 200)
      const csp = String(page.headers['content-security-policy'])
      assert.match(csp, /script-src 'self'/)
      assert.match(csp, /script-src 'self' ;/, 'no inline or evaluated scripts')
      assert.match(csp, /frame-ancestors 'self'/)
      assert.doesNotMatch(csp, /upgrade-insecure-requests/)
      const initializer = await t.request('GET', '/docs/static/swagger-initializer.js')
      assert.equal(initializer.status, 200)
      assert.equal(initializer.headers['x-content-type-options'], 'nosniff')
    })

    it('lets other origins embed a claim link’s QR image', async () => {
      const { apiKey } = await t.merchant()
      const card = (await t.request('POST', '/v1/cards', { key: apiKey, body: cashCard() })).body
      const link = (await t.request('POST', `/v1/cards/${card.id}/claim-links`, { key: apiKey, body: {} })).body
      const qr = await t.request('GET', `/v1/claim-links/${link.token}/qr.png`)
      assert.equal(qr.status, 200)
      assert.equal(qr.headers['content-type'], 'image/png')
      assert.equal(qr.headers['cross-origin-resource-policy'], 'cross-origin')
    })
  })
}
