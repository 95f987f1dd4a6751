import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { assertLedgersConsistent, assertNoSourcePostedTwice, createMemberCard, getMember, join, ledger, order, postPoints } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { expirePoints } from '../../src/jobs/expire-points.job.ts'
import { notifyExpiringPoints } from '../../src/jobs/notify-expiring-points.job.ts'

const START = '2026-03-01T02:00:00Z'

for (const engine of ENGINES) {
  describe(`points ledger on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    const db = () => t.db.database.db

    it('adds and burns points with a reason, never below zero, and lists the ledger newest first', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const member = await join(m, (await createMemberCard(m)).id, 'u1')
      const earned = expectStatus(await postPoints(t, m.key, member.id, { delta: 300, reason: 'Welcome gift' }), 201)
      assert.match(earned.entry_id, /^pte_/)
      assert.deepEqual({ delta: earned.delta, points_balance: earned.points_balance }, { delta: 300, points_balance: 300 })
      clock.advance(1000)
      assert.equal(expectStatus(await postPoints(t, m.key, member.id, { delta: -120, reason: 'Manual burn' }), 201).points_balance, 180)
      expectProblem(await postPoints(t, m.key, member.id, { delta: -181, reason: 'Too much' }), 409, 'insufficient_points')
      assert.equal(expectStatus(await postPoints(t, m.key, member.id, { delta: -180, reason: 'All of it' }), 201).points_balance, 0)
      expectProblem(await postPoints(t, m.key, member.id, { delta: -1, reason: 'Nothing left' }), 409, 'insufficient_points')

      const entries = await ledger(m, member.id)
      assert.deepEqual(entries.map((e) => [e.delta, e.reason, e.balance_after]), [[-180, 'All of it', 0], [-120, 'Manual burn', 180], [300, 'Welcome gift', 300]])
      const [, , first] = entries
      assert.deepEqual(Object.keys(first).filter((k) => ['id', 'delta', 'reason', 'balance_after', 'created_at'].includes(k)).sort(), ['balance_after', 'created_at', 'delta', 'id', 'reason'])
      assert.equal(first.id, earned.entry_id)
      assert.equal(first.created_at, '2026-03-01T10:00:00+08:00')
      assert.equal(first.type, 'adjustment')
      assert.equal((await getMember(m, member.id)).points_balance, 0)

      assertInvalidFields(await postPoints(t, m.key, member.id, { delta: 0, reason: 'Nothing' }), ['delta'])
      assertInvalidFields(await postPoints(t, m.key, member.id, { delta: 1.5, reason: 'Half' }), ['delta'])
      assertInvalidFields(await postPoints(t, m.key, member.id, { delta: 10 }), ['reason'])
      const events = await m.events('points.changed')
      assert.deepEqual(events.map((e) => [e.data.member_id, e.data.delta, e.data.points_balance]), [[member.id, 300, 300], [member.id, -120, 180], [member.id, -180, 0]])
      await assertLedgersConsistent(db(), member.id)
    })

    it('pages the ledger with a cursor', async () => {
      const m = await newMerchant(t)
      const member = await join(m, (await createMemberCard(m)).id, 'pager')
      for (let i = 1; i <= 5; i++) expectStatus(await postPoints(t, m.key, member.id, { delta: i, reason: `#${i}` }), 201)
      const first = expectStatus(await m.get(`/v1/members/${member.id}/points?limit=2`), 200)
      const second = expectStatus(await m.get(`/v1/members/${member.id}/points?limit=2&cursor=${first.next_cursor}`), 200)
      const third = expectStatus(await m.get(`/v1/members/${member.id}/points?limit=2&cursor=${second.next_cursor}`), 200)
      assert.deepEqual([...first.data, ...second.data, ...third.data].map((e: { reason: string }) => e.reason), ['#5', '#4', '#3', '#2', '#1'])
      assert.equal(third.next_cursor, null)
      expectProblem(await m.get(`/v1/members/${member.id}/points?cursor=abc`), 422, 'validation_failed')
    })

    it('posts a business event once: an Idempotency-Key replays, a source_ref returns the first entry', async () => {
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const member = await join(m, card.id, 'once')
      const first = await postPoints(t, m.key, member.id, { delta: 50, reason: 'Survey' }, 'survey-1')
      const replay = await postPoints(t, m.key, member.id, { delta: 50, reason: 'Survey' }, 'survey-1')
      assert.equal(first.status, 201)
      assert.equal(replay.status, 201)
      assert.equal(replay.text, first.text)
      assert.equal(replay.headers['idempotent-replayed'], 'true')
      expectProblem(await postPoints(t, m.key, member.id, { delta: 60, reason: 'Survey' }, 'survey-1'), 422, 'idempotency_key_reused')

      const ref = expectStatus(await postPoints(t, m.key, member.id, { delta: 70, reason: 'Order 1', source_ref: 'order-1' }), 201)
      const again = expectStatus(await postPoints(t, m.key, member.id, { delta: 70, reason: 'Order 1', source_ref: 'order-1' }), 200)
      assert.deepEqual(again, ref)
      const other = await join(m, card.id, 'other')
      expectProblem(await postPoints(t, m.key, other.id, { delta: 70, reason: 'Order 1', source_ref: 'order-1' }), 409, 'duplicate_source_ref')
      assert.equal((await getMember(m, member.id)).points_balance, 120)
      assert.equal((await ledger(m, member.id)).length, 2)
      assert.equal((await getMember(m, other.id)).points_balance, 0)
      await assertNoSourcePostedTwice(db())
    })

    it('expires points in lots, oldest first, at the end of the year after they were earned, with a notice ahead', async () => {
      clock.set('2026-03-01T02:00:00Z')
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { points_expiry: { type: 'end_of_year', years_after: 1, notice_days: 30 } })
      const member = await join(m, card.id, 'saver')
      const lotA = expectStatus(await postPoints(t, m.key, member.id, { delta: 100, reason: 'A' }), 201)
      clock.set('2026-09-01T02:00:00Z')
      expectStatus(await postPoints(t, m.key, member.id, { delta: 40, reason: 'B' }), 201)
      clock.set('2027-02-01T02:00:00Z')
      expectStatus(await postPoints(t, m.key, member.id, { delta: 70, reason: 'C' }), 201)
      clock.set('2027-05-01T02:00:00Z')
      expectStatus(await postPoints(t, m.key, member.id, { delta: -120, reason: 'Spend' }), 201) // all of A, 20 of B

      const entries = await ledger(m, member.id)
      const byReason = Object.fromEntries(entries.map((e) => [e.reason, e]))
      assert.deepEqual([byReason.A.remaining, byReason.B.remaining, byReason.C.remaining], [0, 20, 70])
      assert.equal(byReason.A.id, lotA.entry_id)
      assert.equal(byReason.A.expires_at, '2028-01-01T00:00:00+08:00')
      assert.equal(byReason.C.expires_at, '2029-01-01T00:00:00+08:00')

      clock.set('2027-12-01T15:59:59Z')
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      assert.deepEqual(await m.events('points.expiring'), [], 'not yet 30 days ahead')
      clock.set('2027-12-01T16:00:00Z')
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      const notices = await m.events('points.expiring')
      assert.deepEqual(notices.map((e) => [e.data.member_id, e.data.points, e.data.expires_at]), [[member.id, 20, '2028-01-01T00:00:00+08:00']])

      clock.set('2027-12-31T15:59:59Z') // the last second of 2027 in Shanghai
      assert.equal((await runJobsOnce(t.ctx, [expirePoints]))['expire-points'], 0)
      clock.set('2027-12-31T16:00:00Z')
      assert.equal((await runJobsOnce(t.ctx, [expirePoints]))['expire-points'], 1)
      assert.equal((await runJobsOnce(t.ctx, [expirePoints]))['expire-points'], 0, 'points expire once')
      const [expiry] = await ledger(m, member.id)
      assert.deepEqual([expiry.type, expiry.delta, expiry.balance_after], ['expiry', -20, 70])
      assert.equal((await getMember(m, member.id)).points_balance, 70)
      const changed = (await m.events('points.changed')).at(-1)
      assert.deepEqual([changed.data.type, changed.data.delta, changed.data.points_balance], ['expiry', -20, 70])
      await assertLedgersConsistent(db(), member.id)

      clock.set('2028-12-15T00:00:00+08:00')
      await runJobsOnce(t.ctx, [notifyExpiringPoints, expirePoints])
      assert.equal((await m.events('points.expiring')).at(-1).data.points, 70, 'C is announced before it expires')
      clock.set('2029-01-01T00:00:00+08:00')
      await runJobsOnce(t.ctx, [notifyExpiringPoints, expirePoints])
      assert.equal((await getMember(m, member.id)).points_balance, 0)
      assert.equal((await m.events('points.expiring')).length, 2)
      await assertLedgersConsistent(db(), member.id)
      await assertNoSourcePostedTwice(db())
    })

    it('never expires points under the never rule, and counts days from the earning day', async () => {
      clock.set('2026-03-01T15:30:00Z') // 23:30 in Shanghai
      const m = await newMerchant(t)
      const forever = await join(m, (await createMemberCard(m)).id, 'forever')
      const daily = await join(m, (await createMemberCard(m, { points_expiry: { type: 'days', days: 2, notice_days: 0 } })).id, 'daily')
      for (const member of [forever, daily]) expectStatus(await postPoints(t, m.key, member.id, { delta: 10, reason: 'Earned' }), 201)
      assert.equal((await ledger(m, daily.id))[0].expires_at, '2026-03-03T00:00:00+08:00')
      clock.set('2026-03-02T15:59:59Z')
      await runJobsOnce(t.ctx, [notifyExpiringPoints, expirePoints])
      assert.equal((await getMember(m, daily.id)).points_balance, 10)
      clock.set('2026-03-02T16:00:00Z')
      await runJobsOnce(t.ctx, [notifyExpiringPoints, expirePoints])
      assert.equal((await getMember(m, daily.id)).points_balance, 0)
      clock.set('2099-01-01T00:00:00Z')
      await runJobsOnce(t.ctx, [expirePoints])
      assert.equal((await getMember(m, forever.id)).points_balance, 10)
      assert.deepEqual(await m.events('points.expiring'), [], 'no notice with notice_days 0 or without expiry')
    })

    it('earns for spending at the level’s multiplier and takes the points back in proportion on refunds', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const member = await join(m, card.id, 'buyer')
      await order(m, member.id, { order_ref: 'lift', order_amount: 100_000 }) // Silver: 1.5x
      const bought = await order(m, member.id, { order_ref: 'ord-1', order_amount: 9_999 })
      assert.deepEqual([bought.points_earned, bought.growth_earned, bought.member.points_balance], [149, 99, 1149])
      expectStatus(await m.post(`/v1/members/${member.id}/orders`, { order_ref: 'ord-1', order_amount: 9_999 }), 200)
      assert.equal((await getMember(m, member.id)).points_balance, 1149, 'an order earns once')

      const refund = (body: Record<string, unknown>) => m.post(`/v1/members/${member.id}/orders/ord-1/refunds`, body)
      const part = expectStatus(await refund({ refund_ref: 'r1', amount: 3_333 }), 201)
      assert.deepEqual([part.points_reversed, part.points_unrecovered, part.growth_reversed], [49, 0, 33])
      assert.deepEqual(expectStatus(await refund({ refund_ref: 'r1', amount: 3_333 }), 200), part, 'a refund is made once')
      expectProblem(await refund({ refund_ref: 'r2', amount: 6_667 }), 409, 'refund_exceeds_order')
      const rest = expectStatus(await refund({ refund_ref: 'r2' }), 201)
      assert.deepEqual([rest.amount, rest.points_reversed, rest.order.points_reversed, rest.order.refunded_amount], [6_666, 100, 149, 9_999])
      assert.equal(rest.member.points_balance, 1000)
      expectProblem(await refund({ refund_ref: 'r3', amount: 1 }), 409, 'refund_exceeds_order')
      expectProblem(await m.post(`/v1/members/${member.id}/orders/nope/refunds`, { refund_ref: 'x' }), 404, 'order_not_found')
      const refunds = (await ledger(m, member.id)).filter((e) => e.type === 'refund')
      assert.deepEqual(refunds.map((e) => e.delta), [-100, -49])
      await assertLedgersConsistent(db(), member.id)
    })

    it('takes back only what is left when the order’s points were already spent', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const member = await join(m, (await createMemberCard(m)).id, 'spender')
      await order(m, member.id, { order_ref: 'spent', order_amount: 10_000 }) // 100 points
      expectStatus(await postPoints(t, m.key, member.id, { delta: -80, reason: 'Spent' }), 201)
      const refunded = expectStatus(await m.post(`/v1/members/${member.id}/orders/spent/refunds`, { refund_ref: 'all' }), 201)
      assert.deepEqual([refunded.points_reversed, refunded.points_unrecovered, refunded.member.points_balance], [20, 80, 0])
      await assertLedgersConsistent(db(), member.id)
    })
  })
}
