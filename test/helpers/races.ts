/**
 * The concurrency guarantees of API-CONTRACT.md as scenarios of real parallel HTTP requests, run against
 * one or several servers sharing a database. Assertions are on outcomes only, never on timing.
 */
import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { randomBytes } from 'node:crypto'
import type { Db } from '../../src/db/database.ts'
import { cashCard } from './app.ts'

export interface Target {
  /** Servers sharing one database; request number i goes to bases[i % bases.length]. */
  bases: string[]
  key: string
  /** The database behind the servers, to count rows. */
  db: Db
}

export interface Reply {
  status: number
  body: any
}

export async function call(target: Target, i: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(target.bases[i % target.bases.length] + path, {
    method,
    headers: { authorization: `Bearer ${target.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

/** n requests made at once; request i is built by `send(i)`. */
export function inParallel(n: number, send: (i: number) => Promise<Reply>): Promise<Reply[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => send(i)))
}

/** Outcomes counted by "status" or "status code", e.g. { '201': 3, '409 get_limit_reached': 17 }. */
export function tally(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { status, body } of replies) {
    const outcome = status < 300 ? String(status) : `${status} ${body?.code}`
    counts[outcome] = (counts[outcome] ?? 0) + 1
  }
  return counts
}

/** Retries while the first request with the same Idempotency-Key is still running, as a client would. */
async function untilSettled(send: () => Promise<Reply>): Promise<Reply> {
  for (let attempt = 1; ; attempt++) {
    const reply = await send()
    if (reply.status !== 409 || reply.body?.code !== 'request_in_progress') return reply
    assert.ok(attempt < 1000, 'the first request with this Idempotency-Key never finished')
    await delay(5 + Math.floor(Math.random() * 20))
  }
}

/** A name no other test run uses. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`

/** The reply's body, once its status is the one expected. */
export function ok(reply: Reply, status = 201): any {
  assert.equal(reply.status, status, JSON.stringify(reply.body))
  return reply.body
}

async function createCard(target: Target, overrides: Record<string, unknown>): Promise<string> {
  const card = await call(target, 0, 'POST', '/v1/cards', cashCard(overrides))
  assert.equal(card.status, 201, JSON.stringify(card.body))
  return card.body.id
}

async function getCard(target: Target, cardId: string): Promise<{ stock_remaining: number; issued_count: number }> {
  const card = await call(target, 1, 'GET', `/v1/cards/${cardId}`)
  assert.equal(card.status, 200, JSON.stringify(card.body))
  return card.body
}

async function issue(target: Target, cardId: string, userId = unique('user')): Promise<string> {
  const issued = await call(target, 0, 'POST', `/v1/cards/${cardId}/issue`, { user_id: userId })
  assert.equal(issued.status, 201, JSON.stringify(issued.body))
  return issued.body.code
}

async function redeem(target: Target, code: string): Promise<string> {
  const redeemed = await call(target, 0, 'POST', '/v1/redemptions', { code, order_amount: 12000 })
  assert.equal(redeemed.status, 201, JSON.stringify(redeemed.body))
  return redeemed.body.id
}

async function couponRows(target: Target, cardId: string) {
  return target.db.selectFrom('coupons').select(['id', 'user_id', 'code_hash']).where('card_id', '=', cardId).execute()
}

async function redemptionRows(target: Target, code: string) {
  const coupon = await call(target, 0, 'GET', `/v1/coupons/${encodeURIComponent(code)}`)
  assert.equal(coupon.status, 200, JSON.stringify(coupon.body))
  return target.db.selectFrom('redemptions').selectAll().where('coupon_id', '=', coupon.body.id).execute()
}

async function eventCount(target: Target, type: string, field: string, value: string): Promise<number> {
  const rows = await target.db.selectFrom('events').select('data').where('type', '=', type).execute()
  return rows.filter((row) => (typeof row.data === 'string' ? JSON.parse(row.data) : row.data)[field] === value).length
}

export interface Race {
  name: string
  run(target: Target): Promise<void>
}

export const RACES: Race[] = [
  {
    name: 'N parallel issues on a card with stock K: exactly min(N, K) succeed, every code distinct',
    async run(target) {
      const stock = 25
      const calls = 60
      const cardId = await createCard(target, { stock })
      const replies = await inParallel(calls, (i) => call(target, i, 'POST', `/v1/cards/${cardId}/issue`, { user_id: `user-${i}` }))

      assert.deepEqual(tally(replies), { '201': stock, '409 out_of_stock': calls - stock })
      const codes = replies.filter((r) => r.status === 201).map((r) => r.body.code)
      assert.equal(new Set(codes).size, stock, 'a code was issued twice')
      const card = await getCard(target, cardId)
      assert.equal(card.stock_remaining, 0)
      assert.equal(card.issued_count, stock)
      const rows = await couponRows(target, cardId)
      assert.equal(rows.length, stock)
      assert.equal(new Set(rows.map((row) => row.code_hash)).size, stock)
      assert.equal(new Set(rows.map((row) => row.user_id)).size, stock, 'a user got two coupons of a get_limit 1 card')
    },
  },
  {
    name: 'N parallel issues below the stock all succeed',
    async run(target) {
      const stock = 40
      const calls = 30
      const cardId = await createCard(target, { stock })
      const replies = await inParallel(calls, (i) => call(target, i, 'POST', `/v1/cards/${cardId}/issue`, { user_id: `user-${i}` }))

      assert.deepEqual(tally(replies), { '201': calls })
      assert.equal(new Set(replies.map((r) => r.body.code)).size, calls)
      const card = await getCard(target, cardId)
      assert.equal(card.stock_remaining, stock - calls)
      assert.equal(card.issued_count, calls)
      assert.equal((await couponRows(target, cardId)).length, calls)
    },
  },
  {
    name: 'parallel issues for one user never exceed get_limit',
    async run(target) {
      const cardId = await createCard(target, { stock: 100, get_limit: 3 })
      const replies = await inParallel(20, (i) => call(target, i, 'POST', `/v1/cards/${cardId}/issue`, { user_id: 'greedy' }))

      assert.deepEqual(tally(replies), { '201': 3, '409 get_limit_reached': 17 })
      const card = await getCard(target, cardId)
      assert.equal(card.stock_remaining, 97)
      assert.equal(card.issued_count, 3)
      const rows = await couponRows(target, cardId)
      assert.equal(rows.length, 3)
      assert.equal(new Set(rows.map((row) => row.code_hash)).size, 3)
    },
  },
  {
    name: 'parallel issues of a sold-out card: get_limit_reached for the users at their limit, out_of_stock for the rest; stock added is issued at once',
    async run(target) {
      const cardId = await createCard(target, { stock: 3, get_limit: 1 })
      for (const user of ['held-0', 'held-1', 'held-2']) await issue(target, cardId, user)
      // More callers than one shared read of the card asks about, those at their limit among them.
      const replies = await inParallel(100, (i) => call(target, i, 'POST', `/v1/cards/${cardId}/issue`, { user_id: i < 3 ? `held-${i}` : `user-${i}` }))
      assert.deepEqual(tally(replies), { '409 get_limit_reached': 3, '409 out_of_stock': 97 })
      for (let i = 0; i < 3; i++) assert.equal(replies[i].body.code, 'get_limit_reached')

      // The stock added (through any server) is seen by the very next issues, and never over-issued.
      const added = await call(target, 1, 'POST', `/v1/cards/${cardId}/stock`, { delta: 2 })
      assert.equal(added.status, 200, JSON.stringify(added.body))
      const again = await inParallel(30, (i) => call(target, i, 'POST', `/v1/cards/${cardId}/issue`, { user_id: i < 3 ? `held-${i}` : `late-${i}` }))
      assert.deepEqual(tally(again), { '201': 2, '409 get_limit_reached': 3, '409 out_of_stock': 25 })
      const card = await getCard(target, cardId)
      assert.equal(card.stock_remaining, 0)
      assert.equal(card.issued_count, 5)
      assert.equal((await couponRows(target, cardId)).length, 5)
    },
  },
  {
    name: 'the same Idempotency-Key sent 10 times in parallel issues one coupon and answers the same',
    async run(target) {
      // A get_limit of 10 would let a second execution through: only idempotency stops it.
      const cardId = await createCard(target, { stock: 50, get_limit: 10 })
      const headers = { 'idempotency-key': unique('issue') }
      const replies = await inParallel(10, (i) => untilSettled(() => call(target, i, 'POST', `/v1/cards/${cardId}/issue`, { user_id: 'once' }, headers)))

      assert.deepEqual(tally(replies), { '201': 10 })
      for (const reply of replies) assert.deepEqual(reply.body, replies[0].body)
      assert.equal((await couponRows(target, cardId)).length, 1)
      assert.equal((await getCard(target, cardId)).stock_remaining, 49)
    },
  },
  {
    name: 'parallel redemptions of one code: exactly one 201, the others already_redeemed',
    async run(target) {
      const code = await issue(target, await createCard(target, { stock: 5 }))
      const replies = await inParallel(30, (i) => call(target, i, 'POST', '/v1/redemptions', { code, order_amount: 12000 }))

      assert.deepEqual(tally(replies), { '201': 1, '409 already_redeemed': 29 })
      const winner = replies.find((r) => r.status === 201)!
      const rows = await redemptionRows(target, code)
      assert.deepEqual(rows.map((row) => row.id), [winner.body.id])
      assert.equal(await eventCount(target, 'coupon.redeemed', 'redemption_id', winner.body.id), 1)
      // The losers wrote nothing: no second event for the coupon.
      assert.equal(await eventCount(target, 'coupon.redeemed', 'coupon_id', rows[0].coupon_id), 1)
    },
  },
  {
    name: 'parallel redemptions sharing one Idempotency-Key all end in the same 201',
    async run(target) {
      const code = await issue(target, await createCard(target, { stock: 5 }))
      const headers = { 'idempotency-key': unique('redeem') }
      const replies = await inParallel(30, (i) => untilSettled(() => call(target, i, 'POST', '/v1/redemptions', { code, order_amount: 12000 }, headers)))

      assert.deepEqual(tally(replies), { '201': 30 })
      for (const reply of replies) assert.deepEqual(reply.body, replies[0].body)
      const rows = await redemptionRows(target, code)
      assert.deepEqual(rows.map((row) => row.id), [replies[0].body.id])
    },
  },
  {
    name: 'parallel reversals of one redemption: exactly one 200, the others already_reversed',
    async run(target) {
      const code = await issue(target, await createCard(target, { stock: 5 }))
      const redemptionId = await redeem(target, code)
      const replies = await inParallel(20, (i) => call(target, i, 'POST', `/v1/redemptions/${redemptionId}/reverse`))

      assert.deepEqual(tally(replies), { '200': 1, '409 already_reversed': 19 })
      const coupon = await call(target, 1, 'GET', `/v1/coupons/${encodeURIComponent(code)}`)
      assert.equal(coupon.body.state, 'available')
      const rows = await redemptionRows(target, code)
      assert.equal(rows.length, 1)
      assert.notEqual(rows[0].reversed_at, null)
      assert.equal(await eventCount(target, 'coupon.reversed', 'redemption_id', redemptionId), 1)
    },
  },
  {
    name: 'parallel stock decreases never take the stock below zero',
    async run(target) {
      const cardId = await createCard(target, { stock: 10 })
      const replies = await inParallel(20, (i) => call(target, i, 'POST', `/v1/cards/${cardId}/stock`, { delta: -3 }))

      // 10 allows three takes of 3, leaving 1, which no fourth take fits in.
      assert.deepEqual(tally(replies), { '200': 3, '409 insufficient_stock': 17 })
      assert.equal((await getCard(target, cardId)).stock_remaining, 1)
    },
  },
  {
    name: 'parallel voids of one code all answer the voided coupon, and void it once',
    async run(target) {
      const code = await issue(target, await createCard(target, { stock: 5 }))
      const replies = await inParallel(10, (i) => call(target, i, 'POST', `/v1/coupons/${encodeURIComponent(code)}/void`))

      assert.deepEqual(tally(replies), { '200': 10 })
      for (const reply of replies) assert.equal(reply.body.state, 'voided')
      assert.equal(await eventCount(target, 'coupon.voided', 'coupon_id', replies[0].body.id), 1)
    },
  },
  {
    name: 'a void and a redemption of one code at once: exactly one wins',
    async run(target) {
      const cardId = await createCard(target, { stock: 20 })
      const codes = await Promise.all(Array.from({ length: 10 }, () => issue(target, cardId)))
      const replies = await Promise.all(
        codes.map((code, j) =>
          Promise.all([
            call(target, 2 * j, 'POST', `/v1/coupons/${encodeURIComponent(code)}/void`),
            call(target, 2 * j + 1, 'POST', '/v1/redemptions', { code, order_amount: 12000 }),
          ]),
        ),
      )

      for (const [j, [voided, redeemed]] of replies.entries()) {
        const outcome = tally([voided, redeemed])
        const coupon = await call(target, 0, 'GET', `/v1/coupons/${encodeURIComponent(codes[j])}`)
        const rows = await redemptionRows(target, codes[j])
        if (voided.status === 200) {
          assert.deepEqual(outcome, { '200': 1, '409 voided': 1 })
          assert.equal(coupon.body.state, 'voided')
          assert.equal(rows.length, 0)
        } else {
          assert.deepEqual(outcome, { '201': 1, '409 already_redeemed': 1 })
          assert.equal(coupon.body.state, 'redeemed')
          assert.deepEqual(rows.map((row) => row.id), [redeemed.body.id])
        }
      }
    },
  },
]
