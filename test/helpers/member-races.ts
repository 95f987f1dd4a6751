/**
 * The guarantees of member cards under concurrency, as scenarios of real parallel HTTP requests against
 * one or several servers sharing a database: parallel burns, payments and exchanges never overdraw, reward
 * stock is never oversold, and a business event never posts twice. Assertions are on outcomes only.
 */
import assert from 'node:assert/strict'
import { cashCard } from './app.ts'
import { memberCardBody, assertLedgersConsistent, assertNoSourcePostedTwice } from './member-api.ts'
import { call, inParallel, ok, tally, unique, type Race, type Reply, type Target } from './races.ts'


async function memberCard(target: Target): Promise<string> {
  return ok(await call(target, 0, 'POST', '/v1/member-cards', memberCardBody())).id
}

/** A new member of the card holding `points` points and `storedValue` fen. */
async function member(target: Target, cardId: string, points: number, storedValue = 0): Promise<string> {
  const id = ok(await call(target, 0, 'POST', `/v1/member-cards/${cardId}/members`, { user_id: unique('user') })).id
  if (points > 0) ok(await call(target, 1, 'POST', `/v1/members/${id}/points`, { delta: points, reason: 'Seed' }))
  if (storedValue > 0) ok(await call(target, 1, 'POST', `/v1/members/${id}/stored-value`, { delta: storedValue, reason: 'Top-up', payment_ref: unique('pay') }))
  return id
}

async function reward(target: Target, cardId: string, stock: number, pointsCost: number): Promise<string> {
  const couponCard = ok(await call(target, 0, 'POST', '/v1/cards', cashCard({ stock: 1000, get_limit: 1000 }))).id
  return ok(await call(target, 0, 'POST', '/v1/rewards', { member_card_id: cardId, card_id: couponCard, points_cost: pointsCost, stock })).id
}

async function memberState(target: Target, memberId: string): Promise<{ points_balance: number; stored_value_balance: number }> {
  return ok(await call(target, 1, 'GET', `/v1/members/${memberId}`), 200)
}

async function exchangedCoupons(target: Target, rewardId: string): Promise<number> {
  const rows = await target.db.selectFrom('reward_exchanges').select('coupon_id').where('reward_id', '=', rewardId).execute()
  const coupons = new Set(rows.map((row) => row.coupon_id))
  assert.equal(coupons.size, rows.length, 'two exchanges share a coupon')
  return rows.length
}

export const MEMBER_RACES: Race[] = [
  {
    name: 'parallel burns never take a balance below zero',
    async run(target) {
      const memberId = await member(target, await memberCard(target), 1000)
      const replies = await inParallel(30, (i) => call(target, i, 'POST', `/v1/members/${memberId}/points`, { delta: -100, reason: `burn ${i}` }))

      assert.deepEqual(tally(replies), { '201': 10, '409 insufficient_points': 20 })
      assert.equal((await memberState(target, memberId)).points_balance, 0)
      const balances = replies.filter((r) => r.status === 201).map((r) => r.body.points_balance).sort((a, b) => a - b)
      assert.deepEqual(balances, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900], 'each burn saw the one before it')
      await assertLedgersConsistent(target.db, memberId)
    },
  },
  {
    name: 'parallel stored-value payments never take the balance below zero',
    async run(target) {
      const memberId = await member(target, await memberCard(target), 0, 10_000)
      const replies = await inParallel(25, (i) => call(target, i, 'POST', `/v1/members/${memberId}/stored-value`, { delta: -1_000, reason: `pay ${i}` }))

      assert.deepEqual(tally(replies), { '201': 10, '409 insufficient_balance': 15 })
      assert.equal((await memberState(target, memberId)).stored_value_balance, 0)
      await assertLedgersConsistent(target.db, memberId)
    },
  },
  {
    name: 'parallel exchanges by many members never oversell the reward',
    async run(target) {
      const cardId = await memberCard(target)
      const rewardId = await reward(target, cardId, 12, 100)
      const members = await Promise.all(Array.from({ length: 30 }, () => member(target, cardId, 100)))
      const replies = await inParallel(30, (i) => call(target, i, 'POST', `/v1/members/${members[i]}/exchanges`, { reward_id: rewardId }))

      assert.deepEqual(tally(replies), { '201': 12, '409 out_of_stock': 18 })
      const after = ok(await call(target, 1, 'GET', `/v1/rewards/${rewardId}`), 200)
      assert.deepEqual([after.stock_remaining, after.exchanged_count], [0, 12])
      assert.equal(await exchangedCoupons(target, rewardId), 12)
      const balances = await Promise.all(members.map(async (id) => (await memberState(target, id)).points_balance))
      assert.equal(balances.filter((b) => b === 0).length, 12, 'exactly the winners paid')
      assert.equal(balances.filter((b) => b === 100).length, 18, 'the others kept their points')
    },
  },
  {
    name: 'parallel exchanges by one member never overdraw their points',
    async run(target) {
      const cardId = await memberCard(target)
      const rewardId = await reward(target, cardId, 100, 100)
      const memberId = await member(target, cardId, 550)
      const replies = await inParallel(20, (i) => call(target, i, 'POST', `/v1/members/${memberId}/exchanges`, { reward_id: rewardId }))

      assert.deepEqual(tally(replies), { '201': 5, '409 insufficient_points': 15 })
      assert.equal((await memberState(target, memberId)).points_balance, 50)
      assert.equal(ok(await call(target, 1, 'GET', `/v1/rewards/${rewardId}`), 200).stock_remaining, 95)
      assert.equal(await exchangedCoupons(target, rewardId), 5)
      await assertLedgersConsistent(target.db, memberId)
    },
  },
  {
    name: 'burns, exchanges, orders and refunds of one member at once keep the ledger whole',
    async run(target) {
      const cardId = await memberCard(target)
      const rewardId = await reward(target, cardId, 100, 150)
      const memberId = await member(target, cardId, 600)
      ok(await call(target, 0, 'POST', `/v1/members/${memberId}/orders`, { order_ref: unique('seed'), order_amount: 50_000 }))
      const orderRef = unique('order')
      ok(await call(target, 0, 'POST', `/v1/members/${memberId}/orders`, { order_ref: orderRef, order_amount: 20_000 }))
      const replies = await inParallel(32, (i) => {
        switch (i % 4) {
          case 0:
            return call(target, i, 'POST', `/v1/members/${memberId}/points`, { delta: -90, reason: `burn ${i}` })
          case 1:
            return call(target, i, 'POST', `/v1/members/${memberId}/exchanges`, { reward_id: rewardId })
          case 2:
            return call(target, i, 'POST', `/v1/members/${memberId}/orders`, { order_ref: unique('o'), order_amount: 3_000 })
          default:
            return call(target, i, 'POST', `/v1/members/${memberId}/orders/${orderRef}/refunds`, { refund_ref: `r-${i}`, amount: 6_000 })
        }
      })
      for (const reply of replies) {
        assert.ok(reply.status === 201 || ['insufficient_points', 'refund_exceeds_order'].includes(reply.body?.code), JSON.stringify(reply.body))
      }
      // 20 000 refunded in pieces of 6 000: three fit.
      assert.equal(replies.filter((r, i) => i % 4 === 3 && r.status === 201).length, 3)
      const order = await target.db.selectFrom('member_orders').selectAll().where('order_ref', '=', orderRef).executeTakeFirstOrThrow()
      assert.equal(order.refunded_amount, 18_000)
      await assertLedgersConsistent(target.db, memberId)
      await assertNoSourcePostedTwice(target.db)
    },
  },
  {
    name: 'the same order, payment or Idempotency-Key sent in parallel posts once',
    async run(target) {
      const cardId = await memberCard(target)
      const memberId = await member(target, cardId, 0)
      const orderRef = unique('order')
      const paymentRef = unique('pay')
      const burnKey = { 'idempotency-key': unique('burn') }
      const orders = await inParallel(10, (i) => call(target, i, 'POST', `/v1/members/${memberId}/orders`, { order_ref: orderRef, order_amount: 10_000 }))
      const topUps = await inParallel(10, (i) => call(target, i, 'POST', `/v1/members/${memberId}/stored-value`, { delta: 5_000, reason: 'Top-up', payment_ref: paymentRef }))
      const burns = await inParallel(10, (i) => call(target, i, 'POST', `/v1/members/${memberId}/points`, { delta: -10, reason: 'Once' }, burnKey))

      assert.deepEqual(tally(orders), { '201': 1, '200': 9 })
      assert.deepEqual(tally(topUps), { '201': 1, '200': 9 })
      // The key's first request burns; the others replay it or are told it is still running.
      const burned = tally(burns)
      assert.ok(burned['201'] >= 1 && Object.keys(burned).every((k) => k === '201' || k === '409 request_in_progress'), JSON.stringify(burned))
      const state = await memberState(target, memberId)
      assert.deepEqual([state.points_balance, state.stored_value_balance], [90, 5_000])
      await assertLedgersConsistent(target.db, memberId)
      await assertNoSourcePostedTwice(target.db)
    },
  },
]
