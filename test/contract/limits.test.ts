import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { assertLedgersConsistent, createMemberCard, getMember, join, ledger, postPoints } from '../helpers/member-api.ts'
import { DEFAULT_LIMITS, LIMIT_CEILING } from '../../src/domain/limits.ts'

const HUGE = Number.MAX_SAFE_INTEGER

for (const engine of ENGINES) {
  describe(`policy limits on amounts and balances on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)

    const topUp = (m: MerchantApi, memberId: string, delta: number) => m.post(`/v1/members/${memberId}/stored-value`, { delta, reason: 'Top-up' })

    async function member(m: MerchantApi, userId = 'holder') {
      return join(m, (await createMemberCard(m)).id, userId)
    }

    it('the policy answers the default limits, and owners change them within the ceiling', async () => {
      const m = await newMerchant(t)
      const policy = expectStatus(await m.get('/v1/merchant/policy'), 200)
      assert.deepEqual(
        { max_order_amount: policy.max_order_amount, max_points_balance: policy.max_points_balance, max_stored_value_balance: policy.max_stored_value_balance },
        { max_order_amount: 10_000_000, max_points_balance: 100_000_000, max_stored_value_balance: 10_000_000 },
      )
      assert.equal(expectStatus(await m.get('/v1/merchant'), 200).policy.max_order_amount, 10_000_000)

      for (const bad of [0, -1, 1.5, '100', LIMIT_CEILING + 1, HUGE]) {
        assertInvalidFields(await m.put('/v1/merchant/policy', { max_order_amount: bad }), ['max_order_amount'])
        assertInvalidFields(await m.put('/v1/merchant/policy', { max_points_balance: bad }), ['max_points_balance'])
      }
      assertInvalidFields(await m.put('/v1/merchant/policy', { max_stored_value_balance: null }), ['max_stored_value_balance'])
      assert.equal(expectStatus(await m.get('/v1/merchant/policy'), 200).max_order_amount, 10_000_000, 'a refused change changes nothing')

      const changed = expectStatus(await m.put('/v1/merchant/policy', { max_order_amount: LIMIT_CEILING, max_stored_value_balance: 500 }), 200)
      assert.deepEqual([changed.max_order_amount, changed.max_points_balance, changed.max_stored_value_balance, changed.require_notice], [LIMIT_CEILING, 100_000_000, 500, true])
      assert.equal(expectStatus(await m.get('/v1/merchant'), 200).policy.max_stored_value_balance, 500)
    })

    it('an order of 2^53 − 1 fen is refused with 422 on every route that takes an order amount, and nothing is written', async () => {
      const m = await newMerchant(t)
      const store = await m.createStore()
      const coupon = await m.issue((await m.createCard(cashCard())).id, 'u1')
      const holder = await member(m)

      for (const body of [{ code: coupon.code, store_id: store.id, order_amount: HUGE }, { code: coupon.code, order_amount: HUGE, member_id: holder.id }]) {
        const check = expectProblem(await m.post('/v1/redemptions/check', body), 422, 'order_amount_too_large')
        assert.match(check.detail, /at most 10000000 fen/)
        expectProblem(await m.redeem(body), 422, 'order_amount_too_large')
      }
      expectProblem(await m.post(`/v1/members/${holder.id}/orders`, { order_ref: 'o-huge', order_amount: HUGE }), 422, 'order_amount_too_large')
      expectProblem(await m.post('/v1/payments', { order_id: 'o-huge', amount: HUGE, user_id: 'u1' }), 422, 'order_amount_too_large')

      assert.equal(expectStatus(await m.coupon(coupon.code), 200).state, 'available')
      assert.deepEqual(expectStatus(await m.get('/v1/payments'), 200).data, [])
      const after = await getMember(m, holder.id)
      assert.deepEqual([after.points_balance, after.growth], [0, 0])
      assert.deepEqual(await ledger(m, holder.id), [])

      // Past 2^53 − 1, or not a whole number of fen: a validation error before any arithmetic.
      for (const amount of [HUGE + 2, 1e300, 100.5]) {
        assertInvalidFields(await m.redeem({ code: coupon.code, order_amount: amount }), ['order_amount'])
        assertInvalidFields(await m.post(`/v1/members/${holder.id}/orders`, { order_ref: 'o-bad', order_amount: amount }), ['order_amount'])
        assertInvalidFields(await m.post('/v1/payments', { order_id: 'o-bad', amount, user_id: 'u1' }), ['amount'])
        assertInvalidFields(await topUp(m, holder.id, amount), ['delta'])
      }
    })

    it('orders up to ¥100,000 go through by default; a raised limit lets larger ones through', async () => {
      const m = await newMerchant(t)
      const coupon = await m.issue((await m.createCard(cashCard())).id, 'u1')
      assert.equal(expectStatus(await m.post('/v1/redemptions/check', { code: coupon.code, order_amount: 10_000_000 }), 200).discount_amount, 2000)
      expectProblem(await m.post('/v1/redemptions/check', { code: coupon.code, order_amount: 10_000_001 }), 422, 'order_amount_too_large')
      expectProblem(await m.post('/v1/payments', { order_id: 'big-1', amount: 10_000_001, user_id: 'u1' }), 422, 'order_amount_too_large')

      expectStatus(await m.put('/v1/merchant/policy', { max_order_amount: 50_000_000 }), 200)
      assert.equal(expectStatus(await m.redeem({ code: coupon.code, order_amount: 10_000_001 }), 201).order_amount, 10_000_001)
      assert.equal(expectStatus(await m.post('/v1/payments', { order_id: 'big-1', amount: 50_000_000, user_id: 'u1' }), 201).amount, 50_000_000)
      expectProblem(await m.post('/v1/payments', { order_id: 'big-2', amount: 50_000_001, user_id: 'u1' }), 422, 'order_amount_too_large')
    })

    it('two top-ups of 2^53 − 1 are refused with 409 and the balance stays the sum of its ledger', async () => {
      const m = await newMerchant(t)
      const holder = await member(m)
      for (let i = 0; i < 2; i++) {
        const problem = expectProblem(await topUp(m, holder.id, HUGE), 409, 'balance_limit_exceeded')
        assert.deepEqual([problem.limit, problem.balance], [DEFAULT_LIMITS.max_stored_value_balance, 0])
      }
      // Even at the ceiling, the second top-up cannot pass it.
      expectStatus(await m.put('/v1/merchant/policy', { max_stored_value_balance: LIMIT_CEILING }), 200)
      assert.equal(expectStatus(await topUp(m, holder.id, LIMIT_CEILING - 1), 201).stored_value_balance, LIMIT_CEILING - 1)
      const problem = expectProblem(await topUp(m, holder.id, HUGE), 409, 'balance_limit_exceeded')
      assert.deepEqual([problem.limit, problem.balance], [LIMIT_CEILING, LIMIT_CEILING - 1])
      assert.equal(expectStatus(await topUp(m, holder.id, 1), 201).stored_value_balance, LIMIT_CEILING)
      expectProblem(await topUp(m, holder.id, 1), 409, 'balance_limit_exceeded')

      assert.equal((await getMember(m, holder.id)).stored_value_balance, LIMIT_CEILING)
      const { storedValue } = await assertLedgersConsistent(t.db.database.db, holder.id)
      assert.equal(storedValue, LIMIT_CEILING)
    })

    it('points that would pass the limit are refused with 409, whether adjusted or earned by an order; spending still works', async () => {
      const m = await newMerchant(t)
      const holder = await member(m)
      expectStatus(await m.put('/v1/merchant/policy', { max_points_balance: 1_000 }), 200)

      assert.equal(expectStatus(await postPoints(t, m.key, holder.id, { delta: 900, reason: 'Welcome' }), 201).points_balance, 900)
      const adjusted = expectProblem(await postPoints(t, m.key, holder.id, { delta: 101, reason: 'Too many' }), 409, 'balance_limit_exceeded')
      assert.deepEqual([adjusted.limit, adjusted.balance], [1_000, 900])
      // ¥1.01 earns 1 point at 1 point per ¥1: fine; ¥200 earns 200: past the limit, and the order is not recorded.
      assert.equal(expectStatus(await m.post(`/v1/members/${holder.id}/orders`, { order_ref: 'small', order_amount: 101 }), 201).member.points_balance, 901)
      const earned = expectProblem(await m.post(`/v1/members/${holder.id}/orders`, { order_ref: 'large', order_amount: 20_000 }), 409, 'balance_limit_exceeded')
      assert.deepEqual([earned.limit, earned.balance], [1_000, 901])
      expectProblem(await m.post(`/v1/members/${holder.id}/orders/large/refunds`, { refund_ref: 'r1' }), 404, 'order_not_found')
      const coupon = await m.issue((await m.createCard(cashCard())).id, 'u1')
      expectProblem(await m.redeem({ code: coupon.code, order_amount: 20_000, member_id: holder.id }), 409, 'balance_limit_exceeded')
      assert.equal(expectStatus(await m.coupon(coupon.code), 200).state, 'available', 'the redemption rolled back with the points')
      assert.equal((await getMember(m, holder.id)).growth, 1, 'no growth from the refused orders')

      // A lowered limit leaves what the member holds spendable.
      expectStatus(await m.put('/v1/merchant/policy', { max_points_balance: 100 }), 200)
      assert.equal(expectStatus(await postPoints(t, m.key, holder.id, { delta: -1, reason: 'Spent' }), 201).points_balance, 900)
      expectProblem(await postPoints(t, m.key, holder.id, { delta: 1, reason: 'More' }), 409, 'balance_limit_exceeded')
      await assertLedgersConsistent(t.db.database.db, holder.id)
    })
  })
}
