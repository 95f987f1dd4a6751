import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type Response } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { expectStatus, merchantApi, type MerchantApi } from '../helpers/merchant-api.ts'
import { createMemberCard, getMember, join } from '../helpers/member-api.ts'
import { setUpOwner, signInStaff } from '../helpers/staff-session.ts'

const PASSWORD = 'correct horse battery'

type Call = (method: string, url: string, body?: unknown) => Promise<Response>

/** Who calls: a credential bound to store 1 or to none, and whether its scope takes reads beyond the till's. */
interface Credential {
  name: string
  bound: boolean
  readsAll: boolean
}

const CREDENTIALS: Credential[] = [
  { name: 'a store-1 till key', bound: true, readsAll: false },
  { name: 'a store-1 clerk', bound: true, readsAll: false },
  { name: 'a store-1 full key', bound: true, readsAll: true },
  { name: 'an unbound till key', bound: false, readsAll: false },
  { name: 'a full key', bound: false, readsAll: true },
  { name: 'an owner', bound: false, readsAll: true },
  { name: 'an operator', bound: false, readsAll: true },
]

/** What the routes' records are made with: the merchant's full key, its stores, a card and a member card. */
interface World {
  m: MerchantApi
  cardId: string
  memberCardId: string
  next: () => string
}

/**
 * A route that takes a store-scoped record. `setUp` makes the record in a store; `reached` checks the
 * answer of a credential that reaches it, `hidden` the answer of a store-bound one from another store;
 * `after` checks what the call changed (`done`) or that it changed nothing.
 */
interface RouteCase<F> {
  route: string
  /** Tills and clerks may call it (else a redeem-scope credential is refused with 403). */
  till: boolean
  setUp: (w: World, storeId: string) => Promise<F>
  call: (as: Call, f: F) => Promise<Response>
  reached: (res: Response, f: F) => void
  hidden: (res: Response, f: F) => void
  after?: (w: World, f: F, done: boolean) => Promise<void>
}

const routeCase = <F>(c: RouteCase<F>) => c as RouteCase<unknown>

async function redemptionIn(w: World, storeId: string) {
  const { code } = await w.m.issue(w.cardId, w.next())
  return expectStatus(await w.m.redeem({ code, store_id: storeId, order_amount: 15_000 }), 201) as { id: string; coupon_id: string; code: string }
}

/** A member who paid 3000 of a 5000 order in the store with stored value (10000 topped up). */
async function memberOrderIn(w: World, storeId: string) {
  const member = await join(w.m, w.memberCardId, w.next())
  expectStatus(await w.m.post(`/v1/members/${member.id}/stored-value`, { delta: 10_000, reason: 'Top-up', payment_ref: w.next() }), 201)
  const body = { order_ref: w.next(), order_amount: 5_000, stored_value_amount: 3_000 }
  const order = expectStatus(await w.m.post(`/v1/members/${member.id}/orders`, { ...body, store_id: storeId }), 201)
  return { memberId: member.id as string, orderRef: body.order_ref, orderId: order.id as string, body, points: order.member.points_balance as number }
}

async function paymentIn(w: World, storeId: string) {
  const body = { order_id: w.next(), amount: 5_000, user_id: w.next() }
  const payment = expectStatus(await w.m.post('/v1/payments', { ...body, store_id: storeId }), 201)
  return { id: payment.id as string, body }
}

const listed = (res: Response) => expectStatus(res, 200).data.map((row: { id: string }) => row.id) as string[]

/** Every route that takes a store-scoped record or lists them: one line (case) each. */
const ROUTES: RouteCase<unknown>[] = [
  routeCase({
    route: 'GET /v1/redemptions/{id}',
    till: true,
    setUp: redemptionIn,
    call: (as, r) => as('GET', `/v1/redemptions/${r.id}`),
    reached: (res, r) => assert.equal(expectStatus(res, 200).id, r.id),
    hidden: (res) => assertProblem(res, 404, 'redemption_not_found'),
  }),
  routeCase({
    route: 'POST /v1/redemptions/{id}/reverse',
    till: true,
    setUp: redemptionIn,
    call: (as, r) => as('POST', `/v1/redemptions/${r.id}/reverse`, { reason: 'wrong order' }),
    reached: (res, r) => assert.deepEqual([expectStatus(res, 200).id, res.body.coupon.state], [r.id, 'available']),
    hidden: (res) => assertProblem(res, 404, 'redemption_not_found'),
    async after(w, r, done) {
      const redemption = expectStatus(await w.m.get(`/v1/redemptions/${r.id}`), 200)
      assert.equal(redemption.reversed_at !== null, done, 'reversed')
      assert.equal(expectStatus(await w.m.coupon(r.code), 200).state, done ? 'available' : 'redeemed')
      const reversals = (await w.m.events('coupon.reversed')).filter((e) => e.data.redemption_id === r.id)
      assert.equal(reversals.length, done ? 1 : 0, 'coupon.reversed events')
    },
  }),
  routeCase({
    route: 'GET /v1/redemptions',
    till: true,
    setUp: redemptionIn,
    call: (as) => as('GET', '/v1/redemptions?limit=200'),
    reached: (res, r) => assert.ok(listed(res).includes(r.id)),
    hidden: (res, r) => assert.ok(!listed(res).includes(r.id), 'another store’s redemption is not listed'),
  }),
  routeCase({
    route: 'POST /v1/members/{id}/orders/{ref}/refunds',
    till: true,
    setUp: memberOrderIn,
    call: (as, o) => as('POST', `/v1/members/${o.memberId}/orders/${o.orderRef}/refunds`, { refund_ref: 'refund-1' }),
    reached: (res) => assert.deepEqual([expectStatus(res, 201).stored_value_returned, res.body.order.refunded_amount], [3_000, 5_000]),
    hidden: (res) => assertProblem(res, 404, 'order_not_found'),
    async after(w, o, done) {
      const member = await getMember(w.m, o.memberId)
      assert.equal(member.stored_value_balance, done ? 10_000 : 7_000, 'stored value returned only by a refund')
      assert.equal(member.points_balance, done ? 0 : o.points)
      // The same order_ref again answers the order as recorded, refunds included.
      const order = expectStatus(await w.m.post(`/v1/members/${o.memberId}/orders`, o.body), 200)
      assert.equal(order.refunded_amount, done ? 5_000 : 0)
    },
  }),
  routeCase({
    route: 'POST /v1/members/{id}/orders (an order_ref already recorded)',
    till: true,
    setUp: memberOrderIn,
    call: (as, o) => as('POST', `/v1/members/${o.memberId}/orders`, o.body),
    reached: (res, o) => assert.equal(expectStatus(res, 200).id, o.orderId),
    hidden: (res) => assertProblem(res, 409, 'duplicate_order_ref'),
    async after(w, o) {
      const member = await getMember(w.m, o.memberId)
      assert.deepEqual([member.stored_value_balance, member.points_balance], [7_000, o.points], 'a repeated order moves nothing')
    },
  }),
  routeCase({
    route: 'POST /v1/payments (an order already reported)',
    till: true,
    setUp: paymentIn,
    call: (as, p) => as('POST', '/v1/payments', p.body),
    reached: (res, p) => assert.equal(expectStatus(res, 200).id, p.id),
    hidden: (res) => assertProblem(res, 409, 'order_conflict'),
    async after(w, p) {
      assert.deepEqual(listed(await w.m.get(`/v1/payments?order_id=${p.body.order_id}`)), [p.id], 'still the one payment')
    },
  }),
  routeCase({
    route: 'GET /v1/payments/{id}',
    till: false,
    setUp: paymentIn,
    call: (as, p) => as('GET', `/v1/payments/${p.id}`),
    reached: (res, p) => assert.equal(expectStatus(res, 200).id, p.id),
    hidden: (res) => assertProblem(res, 404, 'payment_not_found'),
  }),
  routeCase({
    route: 'GET /v1/payments',
    till: false,
    setUp: paymentIn,
    call: (as) => as('GET', '/v1/payments?limit=200'),
    reached: (res, p) => assert.ok(listed(res).includes(p.id)),
    hidden: (res, p) => assert.ok(!listed(res).includes(p.id), 'another store’s payment is not listed'),
  }),
]

for (const engine of ENGINES) {
  describe(`store-bound credentials on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)
    let w: World
    let stores: { one: string; two: string }
    const callers = new Map<string, Call>()

    before(async () => {
      const owner = await setUpOwner(t, 'owner@tea.example', PASSWORD)
      const newKey = async (scope: string, storeId?: string) => expectStatus(await owner.post('/v1/api-keys', { name: `${scope} key`, scope, store_id: storeId ?? null }), 201).api_key as string
      const m = merchantApi(t, await newKey('full'))
      stores = { one: (await m.createStore({ name: 'Store 1' })).id, two: (await m.createStore({ name: 'Store 2' })).id }
      let n = 0
      w = {
        m,
        cardId: (await m.createCard(cashCard({ stock: 10_000, get_limit: 10_000 }))).id,
        memberCardId: (await createMemberCard(m)).id,
        next: () => `ref-${++n}`,
      }
      const withKey = (key: string): Call => (method, url, body) => t.request(method, url, { key, body })
      const staff = async (login: string, role: string, storeId?: string): Promise<Call> => {
        expectStatus(await owner.post('/v1/staff', { login, password: PASSWORD, role, ...(storeId ? { store_id: storeId } : {}) }), 201)
        return (await signInStaff(t, login, PASSWORD)).call
      }
      callers.set('a store-1 till key', withKey(await newKey('redeem', stores.one)))
      callers.set('a store-1 clerk', await staff('clerk@tea.example', 'clerk', stores.one))
      callers.set('a store-1 full key', withKey(await newKey('full', stores.one)))
      callers.set('an unbound till key', withKey(await newKey('redeem')))
      callers.set('a full key', withKey(m.key))
      callers.set('an owner', owner.call)
      callers.set('an operator', await staff('operator@tea.example', 'operator'))
    })

    for (const route of ROUTES) {
      describe(route.route, () => {
        for (const credential of CREDENTIALS) {
          const allowed = route.till || credential.readsAll
          const expectation = !allowed ? 'is refused (403)' : credential.bound ? 'reaches store 1’s record and not store 2’s' : 'reaches both stores’ records'
          it(`${credential.name} ${expectation}`, async () => {
            const as = callers.get(credential.name)!
            for (const store of ['one', 'two'] as const) {
              const record = await route.setUp(w, stores[store])
              const res = await route.call(as, record)
              const reaches = allowed && (!credential.bound || store === 'one')
              if (!allowed) assertProblem(res, 403, 'forbidden')
              else if (reaches) route.reached(res, record)
              else route.hidden(res, record)
              await route.after?.(w, record, reaches)
            }
          })
        }
      })
    }

    it('shows a till a coupon redeemed in another store as redeemed (coupons belong to no store), but not that store’s redemption', async () => {
      const till = callers.get('a store-1 till key')!
      const redemption = await redemptionIn(w, stores.two)
      const coupon = expectStatus(await till('GET', `/v1/coupons/${redemption.code}`), 200)
      assert.deepEqual([coupon.state, coupon.redemption_id], ['redeemed', redemption.id])
      assertProblem(await till('GET', `/v1/redemptions/${redemption.id}`), 404, 'redemption_not_found')
      const again = await till('POST', '/v1/redemptions', { code: redemption.code, order_amount: 15_000 })
      assertProblem(again, 409, 'already_redeemed')
    })

    it('lists a bound credential’s own store’s redemptions whatever store it asks for', async () => {
      const till = callers.get('a store-1 till key')!
      const own = await redemptionIn(w, stores.one)
      const theirs = await redemptionIn(w, stores.two)
      const ids = listed(await till('GET', `/v1/redemptions?store_id=${stores.two}&limit=200`))
      assert.ok(ids.includes(own.id) && !ids.includes(theirs.id), ids.join())
      const all = listed(await w.m.get(`/v1/redemptions?store_id=${stores.two}&limit=200`))
      assert.ok(all.includes(theirs.id) && !all.includes(own.id), 'an unbound key lists the store it asks for')
    })

    it('lets a bound credential refund none of another store’s orders even when many try at once', async () => {
      const order = await memberOrderIn(w, stores.two)
      const tills = ['a store-1 till key', 'a store-1 clerk', 'a store-1 full key'].map((name) => callers.get(name)!)
      const answers = await Promise.all(
        tills.flatMap((as, i) => [0, 1].map((j) => as('POST', `/v1/members/${order.memberId}/orders/${order.orderRef}/refunds`, { refund_ref: `race-${i}-${j}`, amount: 1_000 }))),
      )
      for (const res of answers) assertProblem(res, 404, 'order_not_found')
      assert.equal((await getMember(w.m, order.memberId)).stored_value_balance, 7_000)
    })
  })
}
