/**
 * The gift guarantees of API-CONTRACT.md as scenarios of real parallel HTTP requests against one or several
 * servers sharing a database, with the return job run from the test process at the same moment: one gift
 * is accepted by exactly one receiver; accept, cancel, the return job and a redemption of the giver's code
 * never both succeed; no coupon value ever exists twice. Assertions are on outcomes only, never on timing.
 */
import assert from 'node:assert/strict'
import { cashCard } from './app.ts'
import { call, inParallel, ok, tally, unique, type Reply, type Target } from './races.ts'

export interface GiftTarget extends Target {
  /** Runs the return-expired-gifts job once, as of `now`, against the same database. */
  returnGifts(now: number): Promise<number>
}

export interface GiftRace {
  name: string
  run(target: GiftTarget): Promise<void>
}

const DAY = 86_400_000

async function giftCard(target: GiftTarget): Promise<string> {
  return ok(await call(target, 0, 'POST', '/v1/cards', cashCard({ can_gift: true, stock: 10_000, get_limit: 1000 }))).id
}

async function walletToken(target: GiftTarget, userId: string): Promise<string> {
  return ok(await call(target, 0, 'POST', '/v1/wallet-tokens', { user_id: userId, ttl_seconds: 3600 })).token
}

/** A request as a wallet customer (their token instead of the merchant's key). */
function asCustomer(target: GiftTarget, token: string, i: number, method: string, path: string, body?: unknown): Promise<Reply> {
  return call(target, i, method, path, body, { authorization: `Bearer ${token}` })
}

async function issue(target: GiftTarget, cardId: string, userId: string): Promise<{ id: string; code: string }> {
  return ok(await call(target, 0, 'POST', `/v1/cards/${cardId}/issue`, { user_id: userId }))
}

async function couponState(target: GiftTarget, couponId: string): Promise<string> {
  return (await target.db.selectFrom('coupons').select('state').where('id', '=', couponId).executeTakeFirstOrThrow()).state
}

/** Coupons a gift created (its receiver's), by the gift's source reference. */
async function receivedCoupons(target: GiftTarget, giftId: string) {
  return target.db.selectFrom('coupons').select(['id', 'state', 'user_id']).where('source_ref', '=', `gift:${giftId}`).execute()
}

async function eventsOfGift(target: GiftTarget, type: string, giftId: string): Promise<number> {
  const rows = await target.db.selectFrom('events').select('data').where('type', '=', type).execute()
  return rows.filter((row) => (typeof row.data === 'string' ? JSON.parse(row.data) : row.data).gift_id === giftId).length
}

/** A coupon's value is live while it can still be (or was) used: available, gifting or redeemed. */
const LIVE = new Set(['available', 'gifting', 'redeemed'])

export const GIFT_RACES: GiftRace[] = [
  {
    name: 'one gift, 20 receivers accepting at once: exactly one gets a coupon, the others gift_closed',
    async run(target) {
      const cardId = await giftCard(target)
      const giverId = unique('giver')
      const coupon = await issue(target, cardId, giverId)
      const sent = ok(await asCustomer(target, await walletToken(target, giverId), 0, 'POST', `/v1/wallet/coupons/${coupon.id}/gift`))
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => walletToken(target, unique(`friend${i}`))))
      const replies = await inParallel(20, (i) => asCustomer(target, tokens[i], i, 'POST', `/v1/wallet/gifts/${sent.token}/accept`))

      assert.deepEqual(tally(replies), { '201': 1, '409 gift_closed': 19 })
      const winner = replies.find((r) => r.status === 201)!.body
      const received = await receivedCoupons(target, sent.gift_id)
      assert.deepEqual(received.map((c) => [c.id, c.user_id]), [[winner.id, winner.user_id]])
      assert.equal(await couponState(target, coupon.id), 'gifted')
      assert.equal(await eventsOfGift(target, 'coupon.gifted', sent.gift_id), 1)
      const gift = await target.db.selectFrom('gifts').selectAll().where('id', '=', sent.gift_id).executeTakeFirstOrThrow()
      assert.deepEqual([gift.state, gift.receiver_user_id, gift.received_coupon_id], ['accepted', winner.user_id, winner.id])
    },
  },
  {
    name: 'accept, cancel, the return job and a redemption of the giver’s code at once: exactly one wins, no value twice',
    async run(target) {
      const cardId = await giftCard(target)
      const rounds = 10
      const givers = await Promise.all(Array.from({ length: rounds }, async () => {
        const userId = unique('giver')
        const token = await walletToken(target, userId)
        const coupon = await issue(target, cardId, userId)
        const sent = ok(await asCustomer(target, token, 0, 'POST', `/v1/wallet/coupons/${coupon.id}/gift`))
        return { token, coupon, sent, receiver: await walletToken(target, unique('friend')) }
      }))
      const later = Date.now() + 2 * DAY
      const outcomes = await Promise.all(givers.map(async ({ token, coupon, sent, receiver }, j) => {
        const [accepted, cancelled, returned, redeemed] = await Promise.all([
          asCustomer(target, receiver, 4 * j, 'POST', `/v1/wallet/gifts/${sent.token}/accept`),
          asCustomer(target, token, 4 * j + 1, 'POST', `/v1/wallet/coupons/${coupon.id}/gift/cancel`),
          target.returnGifts(later),
          call(target, 4 * j + 2, 'POST', '/v1/redemptions', { code: coupon.code, order_amount: 12000 }),
        ])
        return { accepted, cancelled, returned, redeemed }
      }))

      const winners = { accept: 0, cancel: 0, expiry: 0 }
      for (const [j, { accepted, cancelled, redeemed }] of outcomes.entries()) {
        const { coupon, sent } = givers[j]
        const gift = await target.db.selectFrom('gifts').select('state').where('id', '=', sent.gift_id).executeTakeFirstOrThrow()
        const received = await receivedCoupons(target, sent.gift_id)
        const giverState = await couponState(target, coupon.id)
        const won = [accepted.status === 201, cancelled.status === 200, gift.state === 'returned']
        assert.equal(won.filter(Boolean).length, 1, JSON.stringify({ j, accepted, cancelled, gift }))
        if (accepted.status === 201) {
          winners.accept++
          assert.equal(gift.state, 'accepted')
          assert.deepEqual(tally([cancelled]), { '409 gift_closed': 1 })
          assert.ok(redeemed.status === 409 && ['coupon_gifting', 'coupon_gifted'].includes(redeemed.body.code), JSON.stringify(redeemed))
          assert.equal(giverState, 'gifted')
          assert.deepEqual(received.map((c) => [c.id, c.state]), [[accepted.body.id, 'available']])
        } else {
          if (cancelled.status === 200) winners.cancel++
          else winners.expiry++
          assert.deepEqual(tally([accepted]), { '409 gift_closed': 1 })
          assert.equal(received.length, 0)
          // Given back first, the giver's code may then be redeemed; else it was refused while held.
          if (redeemed.status === 201) assert.equal(giverState, 'redeemed')
          else {
            assert.equal(redeemed.body.code, 'coupon_gifting', JSON.stringify(redeemed))
            assert.equal(giverState, 'available')
          }
        }
        // The value exists once: the giver's coupon or the receiver's, never both.
        const live = [giverState, ...received.map((c) => c.state)].filter((s) => LIVE.has(s))
        assert.equal(live.length, 1, `gift ${sent.gift_id}: ${giverState} and ${JSON.stringify(received)}`)
        assert.equal(await eventsOfGift(target, 'coupon.gifted', sent.gift_id) + await eventsOfGift(target, 'coupon.gift_returned', sent.gift_id), 1)
      }
      assert.equal(winners.accept + winners.cancel + winners.expiry, rounds)
    },
  },
  {
    name: 'parallel gifts of one coupon: exactly one link, the others gift_not_allowed',
    async run(target) {
      const cardId = await giftCard(target)
      const giverId = unique('giver')
      const coupon = await issue(target, cardId, giverId)
      const token = await walletToken(target, giverId)
      const replies = await inParallel(10, (i) => asCustomer(target, token, i, 'POST', `/v1/wallet/coupons/${coupon.id}/gift`))

      assert.deepEqual(tally(replies), { '201': 1, '409 gift_not_allowed': 9 })
      const gifts = await target.db.selectFrom('gifts').select('id').where('coupon_id', '=', coupon.id).execute()
      assert.deepEqual(gifts.map((g) => g.id), [replies.find((r) => r.status === 201)!.body.gift_id])
    },
  },
  {
    name: 'parallel gifts of many coupons by one customer never pass the daily limit (5 by default)',
    async run(target) {
      const cardId = await giftCard(target)
      const giverId = unique('giver')
      const coupons = await Promise.all(Array.from({ length: 12 }, () => issue(target, cardId, giverId)))
      const token = await walletToken(target, giverId)
      const replies = await inParallel(12, (i) => asCustomer(target, token, i, 'POST', `/v1/wallet/coupons/${coupons[i].id}/gift`))

      assert.deepEqual(tally(replies), { '201': 5, '409 gift_not_allowed': 7 })
      const gifting = await target.db.selectFrom('coupons').select('id').where('user_id', '=', giverId).where('state', '=', 'gifting').execute()
      assert.equal(gifting.length, 5)
    },
  },
  {
    name: 'a gift and a redemption of the same code at once: exactly one wins',
    async run(target) {
      const cardId = await giftCard(target)
      const pairs = await Promise.all(Array.from({ length: 10 }, async () => {
        const userId = unique('giver')
        return { token: await walletToken(target, userId), coupon: await issue(target, cardId, userId) }
      }))
      const replies = await Promise.all(pairs.map(({ token, coupon }, j) => Promise.all([
        asCustomer(target, token, 2 * j, 'POST', `/v1/wallet/coupons/${coupon.id}/gift`),
        call(target, 2 * j + 1, 'POST', '/v1/redemptions', { code: coupon.code, order_amount: 12000 }),
      ])))
      for (const [j, [gifted, redeemed]] of replies.entries()) {
        const state = await couponState(target, pairs[j].coupon.id)
        if (gifted.status === 201) {
          assert.deepEqual(tally([redeemed]), { '409 coupon_gifting': 1 })
          assert.equal(state, 'gifting')
        } else {
          assert.deepEqual(tally([gifted, redeemed]), { '201': 1, '409 gift_not_allowed': 1 })
          assert.equal(state, 'redeemed')
        }
      }
    },
  },
]
