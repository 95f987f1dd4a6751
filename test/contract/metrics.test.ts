import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { cashCard, startTestApp, useTestApp } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { kabaoEnv, startServer, type ServerProcess } from '../helpers/server-process.ts'

/** The value of one sample of a Prometheus text exposition, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3])
  }
  return undefined
}

for (const engine of ENGINES) {
  describe(`GET /metrics on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)
    let key: string
    before(async () => {
      key = (await t.merchant()).apiKey
    })

    const metrics = async () => {
      const res = await t.request('GET', '/metrics')
      assert.equal(res.status, 200, res.text)
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
      return res.text
    }

    it('counts requests by route pattern and status, and times them', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ stock: 5 }) })
      assert.equal(card.status, 201, card.text)
      for (let i = 0; i < 3; i++) assert.equal((await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: `m-${i}` } })).status, 201)
      assert.equal((await t.request('GET', '/no/such/route')).status, 404)

      const text = await metrics()
      assert.equal(sample(text, 'kabao_http_requests_total', { method: 'POST', route: '/v1/cards/:card_id/issue', status: '201' }), 3)
      assert.equal(sample(text, 'kabao_http_request_duration_seconds_count', { method: 'POST', route: '/v1/cards/:card_id/issue' }), 3)
      assert.equal(sample(text, 'kabao_http_request_duration_seconds_bucket', { method: 'POST', route: '/v1/cards/:card_id/issue', le: '+Inf' }), 3)
      // Unknown URLs share one series, whatever their path.
      assert.equal(sample(text, 'kabao_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 1)
      assert.doesNotMatch(text, /no\/such\/route/)
    })

    it('counts redemptions by outcome, a replayed retry apart', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ stock: 5 }) })
      const issued = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'redeemer' } })
      const body = { code: issued.body.code, order_amount: 12000 }
      const headers = { 'idempotency-key': 'metrics-redeem-1' }
      assert.equal((await t.request('POST', '/v1/redemptions', { key, body, headers })).status, 201)
      assert.equal((await t.request('POST', '/v1/redemptions', { key, body, headers })).headers['idempotent-replayed'], 'true')
      assert.equal((await t.request('POST', '/v1/redemptions', { key, body })).status, 409)
      assert.equal((await t.request('POST', '/v1/redemptions', { key, body: { code: 'not-a-code' } })).status, 404)

      const text = await metrics()
      assert.equal(sample(text, 'kabao_redemptions_total', { outcome: 'redeemed' }), 1)
      assert.equal(sample(text, 'kabao_redemptions_total', { outcome: 'replayed' }), 1)
      assert.equal(sample(text, 'kabao_redemptions_total', { outcome: 'already_redeemed' }), 1)
      assert.equal(sample(text, 'kabao_redemptions_total', { outcome: 'code_not_found' }), 1)
    })

    it('counts only redemptions as redemptions, not the API reference loading its assets', async () => {
      for (const asset of ['/docs/static/swagger-ui.css', '/docs/static/swagger-initializer.js']) {
        const res = await t.request('GET', asset)
        assert.equal(res.status, 200, `${asset}: ${res.status}`)
      }

      const text = await metrics()
      assert.equal(sample(text, 'kabao_http_requests_total', { method: 'GET', route: '/docs/static/*', status: '200' }), 1, 'the assets are counted as requests')
      const outcomes = [...text.matchAll(/^kabao_redemptions_total\{outcome="([^"]*)"\}/gm)].map((m) => m[1])
      assert.deepEqual(outcomes.filter((o) => !['redeemed', 'replayed', 'already_redeemed', 'code_not_found'].includes(o)), [])
      assert.doesNotMatch(text, /kabao_redemptions_total\{(?!outcome=)|outcome="undefined"/)
    })

    it('reports how many events the outbox holds', async () => {
      const row = await t.db.database.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      assert.ok(Number(row.n) > 0)
      const text = await metrics()
      assert.equal(sample(text, 'kabao_outbox_events'), Number(row.n))
      const backlog = await t.db.database.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('dispatched_at', 'is', null).executeTakeFirstOrThrow()
      assert.equal(sample(text, 'kabao_outbox_backlog'), Number(backlog.n))
    })

    it('asks for the metrics token when one is configured', async () => {
      const guarded = await startTestApp(engine, { build: { metrics: { token: 'scrape-me-please' } } })
      try {
        assertProblem(await guarded.request('GET', '/metrics'), 401, 'unauthenticated')
        assertProblem(await guarded.request('GET', '/metrics', { headers: { authorization: 'Bearer scrape-me-not' } }), 401, 'unauthenticated')
        // An API key is not the metrics token.
        const { apiKey } = await guarded.merchant()
        assertProblem(await guarded.request('GET', '/metrics', { key: apiKey }), 401, 'unauthenticated')
        const res = await guarded.request('GET', '/metrics', { headers: { authorization: 'Bearer scrape-me-please' } })
        assert.equal(res.status, 200, res.text)
        assert.match(res.text, /kabao_http_requests_total/)
      } finally {
        await guarded.close()
      }
    })
  })

  describe(`GET /metrics of a served process on ${engine}`, await engineOptions(engine), () => {
    let database: TestDatabase
    let server: ServerProcess
    before(async () => {
      database = await createTestDatabase(engine, { sqliteFile: true })
      server = await startServer(kabaoEnv(database.url, { METRICS_TOKEN: 'from-the-environment' }))
    })
    after(async () => {
      await server?.stop()
      await database.drop()
    })

    it('adds the process figures, behind METRICS_TOKEN', async () => {
      assert.equal((await fetch(`${server.base}/metrics`)).status, 401)
      const res = await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer from-the-environment' } })
      const text = await res.text()
      assert.equal(res.status, 200, text)
      assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0, 'resident memory is reported')
      assert.notEqual(sample(text, 'nodejs_eventloop_lag_seconds'), undefined)
      assert.notEqual(sample(text, 'kabao_outbox_events'), undefined)
    })
  })
}
