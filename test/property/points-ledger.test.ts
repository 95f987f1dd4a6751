/**
 * Random histories of earning, burning, orders, refunds, exchanges and expiry against the real API, on
 * both engines. After every step: the balance is never negative, equals the sum of the ledger entries
 * (and what the lots still hold), every entry's balance_after is the running sum, and no business event
 * has posted twice. Burns and exchanges succeed exactly when the balance before allows them.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type Response } from '../helpers/app.ts'
import { expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { assertLedgersConsistent, assertNoSourcePostedTwice, createMemberCard, getMember } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { expirePoints } from '../../src/jobs/expire-points.job.ts'
import { IDEMPOTENCY_WINDOW_MS } from '../../src/features/idempotency/request-refs.ts'

const DAY = 86_400_000
const REWARD_COST = 150
const ORDER_REFS = ['o1', 'o2', 'o3', 'o4']

type Step =
  | { kind: 'earn'; amount: number; sourceRef: string | null }
  | { kind: 'burn'; amount: number }
  | { kind: 'order'; ref: string; amount: number }
  | { kind: 'refund'; ref: string; refundRef: string; amount: number | null }
  | { kind: 'exchange' }
  | { kind: 'advance'; days: number }
  | { kind: 'replay' }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('earn' as const), amount: fc.integer({ min: 1, max: 300 }), sourceRef: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: null }) }),
  fc.record({ kind: fc.constant('burn' as const), amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('order' as const), ref: fc.constantFrom(...ORDER_REFS), amount: fc.integer({ min: 0, max: 30_000 }) }),
  fc.record({
    kind: fc.constant('refund' as const),
    ref: fc.constantFrom(...ORDER_REFS),
    refundRef: fc.constantFrom('r1', 'r2', 'r3'),
    amount: fc.option(fc.integer({ min: 1, max: 30_000 }), { nil: null }),
  }),
  fc.constant({ kind: 'exchange' as const }),
  fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 0, max: 3 }) }),
  fc.constant({ kind: 'replay' as const }),
)

for (const engine of ENGINES) {
  describe(`points ledger properties on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2026-05-01T02:00:00Z')
    const t = useTestApp(engine, { clock })

    it('keeps every balance whole through random histories', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
          const m: MerchantApi = await newMerchant(t)
          // Points expire after two days, so that expiry interleaves with everything else.
          const card = await createMemberCard(m, { points_expiry: { type: 'days', days: 2, notice_days: 1 } })
          const couponCard = await m.createCard(cashCard({ stock: 3, get_limit: 100 }))
          const reward = expectStatus(await m.post('/v1/rewards', { member_card_id: card.id, card_id: couponCard.id, points_cost: REWARD_COST, stock: 5 }), 201)
          const member = expectStatus(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'prop' }), 201)
          const db = t.db.database.db
          let last: { url: string; body: unknown; key: string; response: Response; at: number } | null = null
          let n = 0

          const post = async (url: string, body: unknown): Promise<Response> => {
            const key = `k-${++n}`
            const response = await t.request('POST', url, { key: m.key, body, headers: { 'idempotency-key': key } })
            last = { url, body, key, response, at: clock.now() }
            return response
          }

          for (const s of steps) {
            const before = await getMember(m, member.id)
            switch (s.kind) {
              case 'earn': {
                const res = await post(`/v1/members/${member.id}/points`, { delta: s.amount, reason: 'earn', ...(s.sourceRef ? { source_ref: s.sourceRef } : {}) })
                assert.ok(res.status === 201 || (res.status === 200 && s.sourceRef !== null), res.text)
                break
              }
              case 'burn': {
                const res = await post(`/v1/members/${member.id}/points`, { delta: -s.amount, reason: 'burn' })
                if (s.amount <= before.points_balance) assert.equal(res.status, 201, res.text)
                else assert.deepEqual([res.status, res.body.code], [409, 'insufficient_points'])
                break
              }
              case 'order': {
                const res = await post(`/v1/members/${member.id}/orders`, { order_ref: s.ref, order_amount: s.amount })
                assert.ok(res.status === 201 || res.status === 200, res.text)
                break
              }
              case 'refund': {
                const res = await post(`/v1/members/${member.id}/orders/${s.ref}/refunds`, { refund_ref: s.refundRef, ...(s.amount === null ? {} : { amount: s.amount }) })
                assert.ok([200, 201, 404, 409].includes(res.status), res.text)
                if (res.status >= 400) assert.ok(['order_not_found', 'refund_exceeds_order'].includes(res.body.code), res.text)
                break
              }
              case 'exchange': {
                const res = await post(`/v1/members/${member.id}/exchanges`, { reward_id: reward.id })
                if (res.status === 201) assert.ok(before.points_balance >= REWARD_COST, 'an exchange overdrew')
                else assert.ok(res.body.code === 'out_of_stock' || (res.body.code === 'insufficient_points' && before.points_balance < REWARD_COST), res.text)
                break
              }
              case 'advance': {
                clock.advance(s.days * DAY)
                await runJobsOnce(t.ctx, [expirePoints])
                break
              }
              case 'replay': {
                if (last === null) break
                const { url, body, key, response, at } = last as { url: string; body: unknown; key: string; response: Response; at: number }
                const again = await t.request('POST', url, { key: m.key, body, headers: { 'idempotency-key': key } })
                // Within the key's 24 hours a retry is answered as the first was; later it runs again, and the
                // business event's own reference (checked after every step) keeps it from posting twice.
                if (clock.now() - at < IDEMPOTENCY_WINDOW_MS) assert.deepEqual([again.status, again.text], [response.status, response.text], 'a retry answers as the first did')
                break
              }
            }
            await assertLedgersConsistent(db, member.id)
            await assertNoSourcePostedTwice(db)
          }
          const sold = expectStatus(await m.get(`/v1/rewards/${reward.id}`), 200)
          assert.ok(sold.stock_remaining >= 0 && sold.exchanged_count <= 5)
          assert.equal(expectStatus(await m.get(`/v1/cards/${couponCard.id}`), 200).issued_count, sold.exchanged_count)
        }),
        { numRuns: 60 },
      )
    })
  })
}
