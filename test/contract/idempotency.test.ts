import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type Response, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields, assertProblem } from '../helpers/problem.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const HOUR = 60 * 60 * 1000

for (const engine of ENGINES) {
  describe(`idempotency on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let a: { merchantId: string; apiKey: string }
    let b: { merchantId: string; apiKey: string }
    let flakyCalls = 0
    let counter = 0
    /** A fresh Idempotency-Key per use, so tests do not meet each other's keys. */
    const freshKey = () => `idem-${engine}-${++counter}`

    const post = (url: string, body: unknown, idempotencyKey: string, apiKey = a.apiKey) =>
      t.request('POST', url, { key: apiKey, body, headers: { 'idempotency-key': idempotencyKey } })
    const storesOf = async (merchantId: string) => {
      const row = await t.db.database.db.selectFrom('stores').select((eb) => eb.fn.countAll().as('n')).where('merchant_id', '=', merchantId).executeTakeFirstOrThrow()
      return Number(row.n)
    }
    const assertReplay = (replay: Response, first: Response) => {
      assert.equal(replay.status, first.status)
      assert.equal(replay.text, first.text, 'a replay is byte for byte the first response')
      assert.equal(replay.headers['content-type'], first.headers['content-type'])
      assert.equal(replay.headers['idempotent-replayed'], 'true')
    }

    before(async () => {
      clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000)
      t = await startTestApp(engine, { clock })
      // A route that fails on its first call, to see that a server error is not kept.
      t.app.post('/v1/test/flaky', async (_request, reply) => {
        flakyCalls += 1
        if (flakyCalls === 1) throw new Error('the database went away')
        return reply.code(201).send({ call: flakyCalls })
      })
      a = await t.merchant()
      b = await t.merchant()
    })
    after(() => t.close())

    it('replays a 201 byte for byte and does the work once', async () => {
      const key = freshKey()
      const before = await storesOf(a.merchantId)
      const first = await post('/v1/stores', { name: 'Once', address: '1 Road' }, key)
      assert.equal(first.status, 201, first.text)
      assert.equal(first.headers['idempotent-replayed'], undefined)
      assertReplay(await post('/v1/stores', { name: 'Once', address: '1 Road' }, key), first)
      // The same fields in another order are the same request.
      assertReplay(await post('/v1/stores', { address: '1 Road', name: 'Once' }, key), first)
      assert.equal(await storesOf(a.merchantId), before + 1)
    })

    it('replays an issue without issuing twice', async () => {
      const card = await t.request('POST', '/v1/cards', { key: a.apiKey, body: cashCard({ stock: 10 }) })
      const key = freshKey()
      const first = await post(`/v1/cards/${card.body.id}/issue`, { user_id: 'retrying' }, key)
      assert.equal(first.status, 201, first.text)
      assertReplay(await post(`/v1/cards/${card.body.id}/issue`, { user_id: 'retrying' }, key), first)
      const after = await t.request('GET', `/v1/cards/${card.body.id}`, { key: a.apiKey })
      assert.equal(after.body.stock_remaining, 9)
      assert.equal(after.body.issued_count, 1)
      // The stored response holds the coupon code only sealed.
      const rows = await t.db.database.db.selectFrom('idempotency_keys').select('response_body').where('merchant_id', '=', a.merchantId).execute()
      assert.ok(!JSON.stringify(rows).includes(first.body.code), 'no plaintext coupon code in idempotency_keys')
    })

    it('replays a 4xx business error byte for byte, even after the cause went away', async () => {
      const card = await t.request('POST', '/v1/cards', { key: a.apiKey, body: cashCard({ stock: 0 }) })
      const key = freshKey()
      const first = await post(`/v1/cards/${card.body.id}/issue`, { user_id: 'early' }, key)
      assertProblem(first, 409, 'out_of_stock')
      assert.equal((await t.request('POST', `/v1/cards/${card.body.id}/stock`, { key: a.apiKey, body: { delta: 5 } })).status, 200)
      const replay = await post(`/v1/cards/${card.body.id}/issue`, { user_id: 'early' }, key)
      assertReplay(replay, first)
      assert.equal((await t.request('GET', `/v1/cards/${card.body.id}`, { key: a.apiKey })).body.issued_count, 0)

      const unknownKey = freshKey()
      const unknown = await post('/v1/redemptions', { code: '0000000000000*', order_amount: 100 }, unknownKey)
      assertProblem(unknown, 404, 'code_not_found')
      assertReplay(await post('/v1/redemptions', { code: '0000000000000*', order_amount: 100 }, unknownKey), unknown)
    })

    it('answers 422 idempotency_key_reused to the same key with another body or on another route', async () => {
      const key = freshKey()
      const before = await storesOf(a.merchantId)
      assert.equal((await post('/v1/stores', { name: 'First' }, key)).status, 201)
      const reused = await post('/v1/stores', { name: 'Second' }, key)
      const problem = assertProblem(reused, 422, 'idempotency_key_reused')
      assert.match(problem.detail, /Idempotency-Key/)
      assertProblem(await post('/v1/cards', cashCard(), key), 422, 'idempotency_key_reused')
      assert.equal(await storesOf(a.merchantId), before + 1)
      // The refusal is not kept in place of the first response.
      assert.equal((await post('/v1/stores', { name: 'First' }, key)).headers['idempotent-replayed'], 'true')
    })

    it('keeps merchants apart: the same key used by another merchant is a new request', async () => {
      const key = freshKey()
      const mine = await post('/v1/stores', { name: 'Shared key' }, key, a.apiKey)
      const theirs = await post('/v1/stores', { name: 'Shared key' }, key, b.apiKey)
      assert.equal(mine.status, 201)
      assert.equal(theirs.status, 201)
      assert.equal(theirs.headers['idempotent-replayed'], undefined)
      assert.notEqual(theirs.body.id, mine.body.id)
      assert.equal((await t.request('GET', `/v1/stores/${theirs.body.id}`, { key: b.apiKey })).status, 200)
      // Another body under the same key is fine for the other merchant too.
      const other = await post('/v1/stores', { name: 'Different' }, freshKey(), b.apiKey)
      assert.equal(other.status, 201)
      assertReplay(await post('/v1/stores', { name: 'Shared key' }, key, a.apiKey), mine)
      assertReplay(await post('/v1/stores', { name: 'Shared key' }, key, b.apiKey), theirs)
    })

    it('forgets a key after 24 hours', async () => {
      const key = freshKey()
      const first = await post('/v1/stores', { name: 'Yesterday' }, key)
      clock.advance(24 * HOUR - 1000)
      assertReplay(await post('/v1/stores', { name: 'Yesterday' }, key), first)
      clock.advance(1000)
      const again = await post('/v1/stores', { name: 'Yesterday' }, key)
      assert.equal(again.status, 201)
      assert.equal(again.headers['idempotent-replayed'], undefined)
      assert.notEqual(again.body.id, first.body.id)
      assertReplay(await post('/v1/stores', { name: 'Yesterday' }, key), again)

      const reusedLater = freshKey()
      await post('/v1/stores', { name: 'Old body' }, reusedLater)
      clock.advance(25 * HOUR)
      assert.equal((await post('/v1/stores', { name: 'New body' }, reusedLater)).status, 201, 'an expired key may carry another body')
    })

    it('accepts keys of 1 to 255 characters and refuses longer ones with 422', async () => {
      assert.equal((await post('/v1/stores', { name: 'Long key' }, 'k'.repeat(255))).status, 201)
      assert.equal((await post('/v1/stores', { name: 'Short key' }, `${counter++}`)).status, 201)
      const before = await storesOf(a.merchantId)
      const tooLong = await post('/v1/stores', { name: 'Too long' }, 'k'.repeat(256))
      const problem = assertInvalidFields(tooLong, ['Idempotency-Key'])
      assert.match(problem.detail, /255/)
      assert.equal(await storesOf(a.merchantId), before)
    })

    it('does not keep a request refused by validation, so the corrected retry runs', async () => {
      const key = freshKey()
      assertInvalidFields(await post('/v1/stores', { name: 5 }, key), ['name'])
      const corrected = await post('/v1/stores', { name: 'Corrected' }, key)
      assert.equal(corrected.status, 201, corrected.text)
    })

    it('does not keep a 5xx: the retry runs again, and its success is kept', async () => {
      const key = freshKey()
      const failed = await post('/v1/test/flaky', {}, key)
      assertProblem(failed, 500, 'internal_error')
      const retried = await post('/v1/test/flaky', {}, key)
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.body.call, 2)
      assertReplay(await post('/v1/test/flaky', {}, key), retried)
      assert.equal(flakyCalls, 2)
    })

    it('answers 409 request_in_progress while the first is running, and takes over one abandoned by a dead process', async () => {
      const key = freshKey()
      const first = await post('/v1/stores', { name: 'In flight' }, key)
      assert.equal(first.status, 201)
      // Make the key look like a request still running in another process, one that has not committed yet
      // (one that did is found by the retry: see idempotent-retry-after-crash.test.ts).
      const row = t.db.database.db.updateTable('idempotency_keys').where('merchant_id', '=', a.merchantId).where('key', '=', `k:${key}`)
      const marked = await row.set({ state: 'running', status_code: null, response_body: null, locked_until: clock.now() + 60_000 }).executeTakeFirst()
      assert.equal(Number(marked.numUpdatedRows), 1)
      await t.db.database.db.deleteFrom('stores').where('id', '=', first.body.id).execute()

      const before = await storesOf(a.merchantId)
      assertProblem(await post('/v1/stores', { name: 'In flight' }, key), 409, 'request_in_progress')
      assertProblem(await post('/v1/stores', { name: 'In flight' }, key), 409, 'request_in_progress')
      assert.equal(await storesOf(a.merchantId), before)

      // The lease ran out: whoever held it is gone, so the next retry runs the request.
      clock.advance(60_000)
      const takenOver = await post('/v1/stores', { name: 'In flight' }, key)
      assert.equal(takenOver.status, 201, takenOver.text)
      assert.equal(takenOver.headers['idempotent-replayed'], undefined)
      assert.equal(await storesOf(a.merchantId), before + 1)
      assertReplay(await post('/v1/stores', { name: 'In flight' }, key), takenOver)
    })

    it('does the work once when retries race each other', async () => {
      const key = freshKey()
      const before = await storesOf(a.merchantId)
      const results = await Promise.all(Array.from({ length: 12 }, () => post('/v1/stores', { name: 'Racing' }, key)))
      const created = results.filter((r) => r.status === 201)
      assert.ok(created.length >= 1)
      for (const res of created) assert.equal(res.text, created[0].text, 'every 201 is the one response')
      for (const res of results.filter((r) => r.status !== 201)) assertProblem(res, 409, 'request_in_progress')
      assert.equal(await storesOf(a.merchantId), before + 1)
    })

    it('redeems once when parallel redemptions share a key', async () => {
      const card = await t.request('POST', '/v1/cards', { key: a.apiKey, body: cashCard() })
      const coupon = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key: a.apiKey, body: { user_id: 'till-retry' } })
      const key = freshKey()
      const body = { code: coupon.body.code, order_amount: 12000 }
      const results = await Promise.all(Array.from({ length: 8 }, () => post('/v1/redemptions', body, key)))
      const created = results.filter((r) => r.status === 201)
      assert.ok(created.length >= 1)
      for (const res of created) assert.equal(res.text, created[0].text)
      for (const res of results.filter((r) => r.status !== 201)) assertProblem(res, 409, 'request_in_progress')
      assertReplay(await post('/v1/redemptions', body, key), created[0])
      const redemptions = await t.db.database.db.selectFrom('redemptions').selectAll().where('merchant_id', '=', a.merchantId).where('card_id', '=', card.body.id).execute()
      assert.equal(redemptions.length, 1)
      // Without the key, a second redemption is refused as such.
      assertProblem(await t.request('POST', '/v1/redemptions', { key: a.apiKey, body }), 409, 'already_redeemed')
    })
  })
}
