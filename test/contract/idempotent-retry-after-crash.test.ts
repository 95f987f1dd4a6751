import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { memberCardBody } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'

/**
 * A process that dies after committing but before storing the response leaves its Idempotency-Key
 * "running". A retry after the lease takes over, and must find what the first run did rather than act
 * twice or report its own success as a failure.
 */
for (const engine of ENGINES) {
  describe(`retry after a crash between commit and stored response, on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let key: string
    let merchantId: string
    const clock = new ManualClock('2030-05-01T04:00:00Z')

    before(async () => {
      t = await startTestApp(engine, { clock })
      ;({ apiKey: key, merchantId } = await t.merchant())
    })
    after(() => t.close())

    /** Puts the key back into the state a killed process leaves: running, no response, lease about to end. */
    async function loseResponse(idempotencyKey: string): Promise<void> {
      const updated = await t.db.database.db
        .updateTable('idempotency_keys')
        .set({ state: 'running', status_code: null, response_body: null, locked_until: clock.now() + 1000 })
        .where('merchant_id', '=', merchantId)
        .where('key', '=', `k:${idempotencyKey}`)
        .executeTakeFirst()
      assert.equal(Number(updated.numUpdatedRows), 1)
    }

    it('a redemption retried after its lease ends is answered with the redemption it made', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ least_cost: null, reduce_cost: 500 }) })
      const coupon = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u1' } })
      const body = { code: coupon.body.code }
      const headers = { 'idempotency-key': 'till-1-order-9' }
      const first = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(first.status, 201)
      await loseResponse('till-1-order-9')

      const tooSoon = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(tooSoon.status, 409)
      assert.equal(tooSoon.body.code, 'request_in_progress')

      clock.advance(2000)
      const retried = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.body.id, first.body.id)
      const rows = await t.db.database.db.selectFrom('redemptions').select('id').where('merchant_id', '=', merchantId).where('coupon_id', '=', coupon.body.id).execute()
      assert.equal(rows.length, 1)

      const replay = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(replay.text, retried.text)
      const otherKey = await t.request('POST', '/v1/redemptions', { key, body, headers: { 'idempotency-key': 'till-1-order-10' } })
      assert.equal(otherKey.body.code, 'already_redeemed')
    })

    it('an issue retried after its lease ends returns the same coupon and issues nothing more', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ get_limit: 5, stock: 10 }) })
      const headers = { 'idempotency-key': 'welcome-u2' }
      const first = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u2' }, headers })
      assert.equal(first.status, 201)
      await loseResponse('welcome-u2')
      clock.advance(2000)

      const retried = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u2' }, headers })
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.body.code, first.body.code)
      const after = await t.request('GET', `/v1/cards/${card.body.id}`, { key })
      assert.equal(after.body.issued_count, 1)
      assert.equal(after.body.stock_remaining, 9)
    })

    it('a points burn retried after its lease ends is answered with the entry it made and burns nothing more', async () => {
      const memberCard = await t.request('POST', '/v1/member-cards', { key, body: memberCardBody() })
      const member = await t.request('POST', `/v1/member-cards/${memberCard.body.id}/members`, { key, body: { user_id: 'u4' } })
      const path = `/v1/members/${member.body.id}/points`
      assert.equal((await t.request('POST', path, { key, body: { delta: 1000, reason: 'Welcome' } })).status, 201)
      const body = { delta: -300, reason: 'Manual burn' }
      const headers = { 'idempotency-key': 'burn-u4-1' }
      const first = await t.request('POST', path, { key, body, headers })
      assert.equal(first.status, 201)
      await loseResponse('burn-u4-1')
      clock.advance(2000)

      const retried = await t.request('POST', path, { key, body, headers })
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.text, first.text)
      const balance = (await t.request('GET', `/v1/members/${member.body.id}`, { key })).body.points_balance
      assert.equal(balance, 700)
      const entries = await t.db.database.db.selectFrom('points_entries').select('delta').where('member_id', '=', member.body.id).orderBy('seq').execute()
      assert.deepEqual(entries.map((e) => Number(e.delta)), [1000, -300])
      assert.equal((await t.request('POST', path, { key, body, headers })).text, first.text, 'and replayed from then on')

      // The same burn under another key is another burn.
      const again = await t.request('POST', path, { key, body, headers: { 'idempotency-key': 'burn-u4-2' } })
      assert.equal(again.status, 201)
      assert.equal(again.body.points_balance, 400)
    })

    it('a different body under the key of a crashed request is still refused', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ get_limit: 5 }) })
      const headers = { 'idempotency-key': 'welcome-u3' }
      assert.equal((await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u3' }, headers })).status, 201)
      await loseResponse('welcome-u3')
      clock.advance(2000)
      const other = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'someone-else' }, headers })
      assert.equal(other.status, 422)
      assert.equal(other.body.code, 'idempotency_key_reused')
    })
  })
}
