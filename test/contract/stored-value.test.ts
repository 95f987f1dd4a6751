import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { assertLedgersConsistent, createMemberCard, getMember, join, ledger } from '../helpers/member-api.ts'

for (const engine of ENGINES) {
  describe(`stored value (储值) on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)

    const move = (m: MerchantApi, memberId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      t.request('POST', `/v1/members/${memberId}/stored-value`, { key: m.key, body, headers })

    async function member(m: MerchantApi, overrides: Record<string, unknown> = {}, userId = 'holder') {
      return join(m, (await createMemberCard(m, overrides)).id, userId)
    }

    it('tops up with a payment reference, pays, and never goes below zero', async () => {
      const m = await newMerchant(t)
      const holder = await member(m)
      const topUp = expectStatus(await move(m, holder.id, { delta: 10_000, reason: 'Top-up', payment_ref: 'wxpay-1' }), 201)
      assert.match(topUp.entry_id, /^sve_/)
      assert.deepEqual({ delta: topUp.delta, stored_value_balance: topUp.stored_value_balance }, { delta: 10_000, stored_value_balance: 10_000 })
      assert.equal(expectStatus(await move(m, holder.id, { delta: -2_500, reason: 'Coffee and cake' }), 201).stored_value_balance, 7_500)
      expectProblem(await move(m, holder.id, { delta: -7_501, reason: 'Too much' }), 409, 'insufficient_balance')
      assert.equal(expectStatus(await move(m, holder.id, { delta: -7_500, reason: 'The rest' }), 201).stored_value_balance, 0)
      assertInvalidFields(await move(m, holder.id, { delta: 0, reason: 'Nothing' }), ['delta'])
      assertInvalidFields(await move(m, holder.id, { delta: '100', reason: 'Text' }), ['delta'])

      const entries = await ledger(m, holder.id, 'stored-value')
      assert.deepEqual(entries.map((e) => [e.type, e.delta, e.balance_after, e.payment_ref]), [
        ['payment', -7_500, 0, null],
        ['payment', -2_500, 7_500, null],
        ['top_up', 10_000, 10_000, 'wxpay-1'],
      ])
      assert.equal((await getMember(m, holder.id)).stored_value_balance, 0)
      const events = await m.events('stored_value.changed')
      assert.deepEqual(events.map((e) => [e.data.member_id, e.data.type, e.data.delta, e.data.stored_value_balance]), [
        [holder.id, 'top_up', 10_000, 10_000],
        [holder.id, 'payment', -2_500, 7_500],
        [holder.id, 'payment', -7_500, 0],
      ])
      await assertLedgersConsistent(t.db.database.db, holder.id)
    })

    it('tops up once per payment reference and replays an Idempotency-Key', async () => {
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const holder = await join(m, card.id, 'a')
      const first = expectStatus(await move(m, holder.id, { delta: 5_000, reason: 'Top-up', payment_ref: 'pay-7' }), 201)
      assert.deepEqual(expectStatus(await move(m, holder.id, { delta: 5_000, reason: 'Top-up', payment_ref: 'pay-7' }), 200), first)
      const other = await join(m, card.id, 'b')
      expectProblem(await move(m, other.id, { delta: 5_000, reason: 'Top-up', payment_ref: 'pay-7' }), 409, 'duplicate_payment_ref')

      const keyed = await move(m, holder.id, { delta: -1_000, reason: 'Lunch' }, { 'idempotency-key': 'lunch-1' })
      const replayed = await move(m, holder.id, { delta: -1_000, reason: 'Lunch' }, { 'idempotency-key': 'lunch-1' })
      assert.equal(keyed.status, 201)
      assert.equal(replayed.text, keyed.text)
      assert.equal((await getMember(m, holder.id)).stored_value_balance, 4_000)
      assert.equal((await ledger(m, holder.id, 'stored-value')).length, 2)
      assert.equal((await getMember(m, other.id)).stored_value_balance, 0)
    })

    it('refuses stored value on a card that does not take it', async () => {
      const m = await newMerchant(t)
      const holder = await member(m, { stored_value: { enabled: false } })
      expectProblem(await move(m, holder.id, { delta: 1_000, reason: 'Top-up' }), 409, 'stored_value_not_enabled')
      expectProblem(await m.post(`/v1/members/${holder.id}/orders`, { order_ref: 'sv', order_amount: 1_000, stored_value_amount: 500 }), 409, 'stored_value_not_enabled')
      assert.equal((await getMember(m, holder.id)).points_balance, 0, 'the refused order earned nothing')
    })

    it('refunds unspent stored value under the published rule, fee rounded down', async () => {
      const m = await newMerchant(t)
      const holder = await member(m)
      expectStatus(await move(m, holder.id, { delta: 10_019, reason: 'Top-up', payment_ref: 'p-1' }), 201)
      const refunds = (body: Record<string, unknown>) => m.post(`/v1/members/${holder.id}/stored-value/refunds`, body)
      const part = expectStatus(await refunds({ amount: 3_000, reason: 'Moving away', payment_ref: 'payout-1' }), 201)
      assert.deepEqual([part.amount, part.fee, part.payout, part.stored_value_balance], [3_000, 150, 2_850, 7_019])
      expectProblem(await refunds({ amount: 7_020, reason: 'Too much' }), 409, 'insufficient_balance')
      const rest = expectStatus(await refunds({ reason: 'Closing the card' }), 201)
      assert.deepEqual([rest.amount, rest.fee, rest.payout, rest.stored_value_balance], [7_019, 350, 6_669, 0])
      expectProblem(await refunds({ reason: 'Again' }), 409, 'insufficient_balance')
      assert.deepEqual((await ledger(m, holder.id, 'stored-value')).map((e) => [e.type, e.delta]), [['refund', -7_019], ['refund', -3_000], ['top_up', 10_019]])

      const locked = await member(m, { stored_value: { enabled: true, refund_rule: { description: 'Stored value is not refundable.', refundable: false } } }, 'locked')
      expectStatus(await move(m, locked.id, { delta: 1_000, reason: 'Top-up' }), 201)
      const refused = expectProblem(await m.post(`/v1/members/${locked.id}/stored-value/refunds`, { reason: 'Please' }), 409, 'refund_not_allowed')
      assert.match(refused.detail, /Stored value is not refundable\./)
      assert.equal((await getMember(m, locked.id)).stored_value_balance, 1_000)
    })

    it('pays an order with stored value at the till and returns it on a refund', async () => {
      const m = await newMerchant(t)
      const holder = await member(m)
      expectStatus(await move(m, holder.id, { delta: 6_000, reason: 'Top-up' }), 201)
      const till = expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem' }), 201).api_key
      const atTill = (url: string, body: Record<string, unknown>) => t.request('POST', url, { key: till, body })

      assertInvalidFields(await atTill(`/v1/members/${holder.id}/orders`, { order_ref: 'o-x', order_amount: 1_000, stored_value_amount: 1_001 }), ['stored_value_amount'])
      expectProblem(await atTill(`/v1/members/${holder.id}/orders`, { order_ref: 'o-big', order_amount: 9_000, stored_value_amount: 6_001 }), 409, 'insufficient_balance')
      assert.deepEqual([(await getMember(m, holder.id)).points_balance, (await getMember(m, holder.id)).growth], [0, 0], 'a refused payment earns nothing')

      const paid = expectStatus(await atTill(`/v1/members/${holder.id}/orders`, { order_ref: 'o-1', order_amount: 8_000, stored_value_amount: 6_000 }), 201)
      assert.deepEqual([paid.stored_value_amount, paid.points_earned, paid.member.stored_value_balance, paid.member.points_balance], [6_000, 80, 0, 80])
      const refunded = expectStatus(await atTill(`/v1/members/${holder.id}/orders/o-1/refunds`, { refund_ref: 'r-1', amount: 4_000 }), 201)
      assert.deepEqual([refunded.stored_value_returned, refunded.points_reversed, refunded.member.stored_value_balance, refunded.member.points_balance], [3_000, 40, 3_000, 40])
      assert.deepEqual((await ledger(m, holder.id, 'stored-value')).map((e) => [e.type, e.delta])[0], ['order_refund', 3_000])
      // A till key records orders but does not top up or refund stored value.
      expectProblem(await atTill(`/v1/members/${holder.id}/stored-value`, { delta: 100, reason: 'x' }), 403, 'forbidden')
      expectProblem(await atTill(`/v1/members/${holder.id}/stored-value/refunds`, { reason: 'x' }), 403, 'forbidden')
      await assertLedgersConsistent(t.db.database.db, holder.id)
    })
  })
}
