import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { expectProblem, expectStatus, ms, newMerchant } from '../helpers/merchant-api.ts'

const START = '2026-03-10T02:00:00Z' // Tuesday 10:00 in Shanghai

for (const engine of ENGINES) {
  describe(`coupon expiry on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    const storedState = async (couponId: string) =>
      (await t.ctx.database.db.selectFrom('coupons').select('state').where('id', '=', couponId).executeTakeFirstOrThrow()).state

    it('persists expired with exactly one coupon.expired event per coupon, from the second after the last valid one', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const short = await m.createCard(cashCard({ least_cost: undefined, get_limit: 10, validity: { type: 'fixed_term', days: 3 } }))
      const long = await m.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 30 } }))
      const expiring = [await m.issue(short.id, 'u1'), await m.issue(short.id, 'u2'), await m.issue(short.id, 'u3')]
      const redeemed = await m.issue(short.id, 'u4')
      const voided = await m.issue(short.id, 'u5')
      const lasting = await m.issue(long.id, 'u1')
      expectStatus(await m.redeem({ code: redeemed.code }), 201)
      expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(voided.code)}/void`), 200)

      // At the last valid second nothing is due.
      const lastSecond = ms(expiring[0].valid_until)
      clock.set(lastSecond)
      assert.equal((await runJobsOnce(t.ctx))['expire-coupons'], 0)
      assert.equal(await storedState(expiring[0].id), 'available')

      clock.set(lastSecond + 1000)
      assert.equal((await runJobsOnce(t.ctx))['expire-coupons'], 3)
      for (const c of expiring) assert.equal(await storedState(c.id), 'expired')
      assert.equal(await storedState(redeemed.id), 'redeemed')
      assert.equal(await storedState(voided.id), 'voided')
      assert.equal(await storedState(lasting.id), 'available')

      const events = await m.events('coupon.expired')
      assert.deepEqual(events.map((e) => e.data.coupon_id).sort(), expiring.map((c) => c.id).sort())
      for (const e of events) {
        assert.equal(e.type, 'coupon.expired')
        assert.equal(e.data.card_id, short.id)
        assert.equal(e.data.valid_until, '2026-03-12T23:59:59+08:00')
        assert.equal(e.created_at, '2026-03-13T00:00:00+08:00')
      }

      // Running again, even much later, writes nothing more.
      assert.equal((await runJobsOnce(t.ctx))['expire-coupons'], 0)
      clock.advance(86_400_000)
      assert.equal((await runJobsOnce(t.ctx))['expire-coupons'], 0)
      assert.equal((await m.events('coupon.expired')).length, 3)

      // `since` lists only the later ones, oldest first.
      assert.deepEqual((await m.events('coupon.expired', events[0].id)).map((e) => e.id), [events[1].id, events[2].id])
      assert.deepEqual(await m.events('coupon.expired', events[2].id), [])
      expectProblem(await m.get('/v1/events?since=nonsense'), 422, 'validation_failed')
    })

    it('reads the same before and after the job writes it down', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const card = await m.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3 } }))
      const coupon = await m.issue(card.id, 'u1')
      clock.set(ms(coupon.valid_until) + 1000)

      const views = async () => ({
        coupon: expectStatus(await m.coupon(coupon.code), 200).state,
        expired: expectStatus(await m.get('/v1/users/u1/coupons?state=expired'), 200).data.map((c: { code: string }) => c.code),
        available: expectStatus(await m.get('/v1/users/u1/coupons?state=available'), 200).data.length,
        redeem: expectProblem(await m.redeem({ code: coupon.code }), 409, 'expired').code,
      })
      const before = await views()
      assert.deepEqual(before, { coupon: 'expired', expired: [coupon.code], available: 0, redeem: 'expired' })
      assert.equal(await storedState(coupon.id), 'available')
      await runJobsOnce(t.ctx)
      assert.equal(await storedState(coupon.id), 'expired')
      assert.deepEqual(await views(), before)
      expectProblem(await m.post(`/v1/coupons/${encodeURIComponent(coupon.code)}/void`), 409, 'expired')
    })

    it('keeps each merchant’s events to itself', async () => {
      clock.set(START)
      const a = await newMerchant(t)
      expectStatus(await a.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const b = await newMerchant(t)
      const card = await a.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3 } }))
      const coupon = await a.issue(card.id, 'u1')
      clock.set(ms(coupon.valid_until) + 1000)
      await runJobsOnce(t.ctx)
      assert.equal((await a.events('coupon.expired')).length, 1)
      assert.deepEqual(await b.events('coupon.expired'), [])
    })
  })
}
