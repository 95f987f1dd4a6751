import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type Response } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { CODE_RANDOM_CHARS } from '../../src/domain/codes.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { expectProblem, expectStatus, merchantApi, ms, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { assertLedgersConsistent, createMemberCard, getMember, join, order } from '../helpers/member-api.ts'

const START = '2026-03-10T02:00:00Z' // Tuesday 10:00 in Shanghai
/** Coupons in the usable-hours tests are claimed before any moment they are tried at. */
const EARLY = '2026-03-09T00:00:00Z'
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]

for (const engine of ENGINES) {
  describe(`redemptions on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })
    let m: MerchantApi
    let shanghai: { id: string }
    let london: { id: string }
    before(async () => {
      m = await newMerchant(t)
      // Its cash coupons mostly have no spend threshold, so any order (or none) redeems them.
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      shanghai = await m.createStore({ name: 'Jing’an' })
      london = await m.createStore({ name: 'Soho', timezone: 'Europe/London' })
    })

    let users = 0
    /** A fresh coupon of the card (each to its own user, so get_limit never gets in the way). */
    const issue = (cardId: string, api: MerchantApi = m) => api.issue(cardId, `shopper-${++users}`)

    /** Redeems a fresh coupon after checking it: the preview and the redemption must agree. */
    async function redeemFresh(cardId: string, orderAmount?: number): Promise<Response> {
      const { code } = await issue(cardId)
      const body = orderAmount === undefined ? { code } : { code, order_amount: orderAmount }
      const check = await m.post('/v1/redemptions/check', body)
      const res = await m.redeem(body)
      if (res.status === 201) {
        assert.equal(check.status, 200, check.text)
        assert.equal(check.body.discount_amount, res.body.discount_amount)
      } else {
        assert.equal(check.status, res.status, check.text)
        assert.equal(check.body.code, res.body.code)
      }
      return res
    }

    async function expectDiscounts(card: Record<string, unknown>, cases: [number | undefined, number | string][]): Promise<void> {
      clock.set(START)
      const { id } = await m.createCard(card)
      for (const [order, expected] of cases) {
        const res = await redeemFresh(id, order)
        if (typeof expected === 'number') {
          assert.equal(expectStatus(res, 201).discount_amount, expected, `order ${order}`)
        } else if (expected === 'below_threshold') {
          expectProblem(res, 422, 'below_threshold')
        } else {
          const problem = expectProblem(res, 422, 'validation_failed')
          assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), ['order_amount'])
        }
      }
    }

    describe('the discount, in fen', () => {
      it('takes a fixed amount off, never more than the order', async () => {
        await expectDiscounts(cashCard({ reduce_cost: 500, least_cost: undefined }), [
          [undefined, 500],
          [10000, 500],
          [500, 500],
          [300, 300],
          [0, 0],
        ])
      })

      it('needs the threshold reached to the fen', async () => {
        await expectDiscounts(cashCard({ reduce_cost: 2000, least_cost: 10000 }), [
          [10000, 2000],
          [9999, 'below_threshold'],
          [0, 'below_threshold'],
          [123456, 2000],
          [undefined, 'order_amount'],
        ])
      })

      it('applies the highest tier the order reaches', async () => {
        const tiers = [
          { least_cost: 10000, reduce_cost: 1000 },
          { least_cost: 20000, reduce_cost: 3000 },
          { least_cost: 50000, reduce_cost: 10000 },
        ]
        await expectDiscounts(cashCard({ reduce_cost: undefined, least_cost: undefined, tiers }), [
          [9999, 'below_threshold'],
          [10000, 1000],
          [19999, 1000],
          [20000, 3000],
          [49999, 3000],
          [50000, 10000],
          [1000000, 10000],
          [undefined, 'order_amount'],
        ])
      })

      it('takes a percentage off rounded down to the fen, within the cap', async () => {
        const discount = { type: 'discount', title: '85折', notice: 'One per visit', stock: 1000, validity: { type: 'fixed_term', days: 30 } }
        await expectDiscounts({ ...discount, percent_off: 15 }, [
          [999, 149],
          [100, 15],
          [6, 0],
          [7, 1],
          [undefined, 'order_amount'],
        ])
        await expectDiscounts({ ...discount, percent_off: 15, max_discount: 500 }, [
          [3333, 499],
          [3334, 500],
          [100000, 500],
        ])
        await expectDiscounts({ ...discount, percent_off: 20, least_cost: 5000 }, [
          [4999, 'below_threshold'],
          [5000, 1000],
          [undefined, 'order_amount'],
        ])
      })

      it('takes nothing off for a gift, and still needs its threshold', async () => {
        const gift = { type: 'gift', title: 'Free latte', notice: 'One per visit', gift: 'A latte', stock: 1000, validity: { type: 'fixed_term', days: 30 } }
        await expectDiscounts(gift, [
          [undefined, 0],
          [5000, 0],
        ])
        await expectDiscounts({ ...gift, least_cost: 3000 }, [
          [2999, 'below_threshold'],
          [3000, 0],
          [undefined, 'order_amount'],
        ])
      })

      it('refuses a malformed request', async () => {
        clock.set(START)
        const { code } = await issue((await m.createCard(cashCard())).id)
        expectProblem(await m.redeem({ code, order_amount: -1 }), 422, 'validation_failed')
        expectProblem(await m.redeem({ code, order_amount: '10000' }), 422, 'validation_failed')
        expectProblem(await m.redeem({ code, order_amount: 100.5 }), 422, 'validation_failed')
        expectProblem(await m.redeem({ order_amount: 10000 }), 422, 'validation_failed')
        assert.equal(expectStatus(await m.coupon(code), 200).state, 'available')
      })
    })

    describe('why a code cannot be used', () => {
      it('answers code_not_found for an unknown, mistyped or another merchant’s code', async () => {
        clock.set(START)
        const { code } = await issue((await m.createCard(cashCard({ least_cost: undefined }))).id)
        const wrongCheck = code.slice(0, CODE_RANDOM_CHARS) + (code[CODE_RANDOM_CHARS] === '0' ? '1' : '0')
        expectProblem(await m.redeem({ code: wrongCheck }), 404, 'code_not_found')
        expectProblem(await m.redeem({ code: '0000000000000' }), 404, 'code_not_found')
        const other = await newMerchant(t)
        expectProblem(await other.redeem({ code }), 404, 'code_not_found')
        // The code itself is fine and unused.
        expectStatus(await m.redeem({ code: code.toLowerCase() }), 201)
      })

      it('answers already_redeemed, saying when and where', async () => {
        clock.set(START)
        const { code } = await issue((await m.createCard(cashCard({ least_cost: undefined }))).id)
        const first = expectStatus(await m.redeem({ code, store_id: shanghai.id }), 201)
        assert.equal(first.redeemed_at, '2026-03-10T10:00:00+08:00')
        clock.advance(3_600_000)
        const problem = expectProblem(await m.redeem({ code, store_id: shanghai.id }), 409, 'already_redeemed')
        assert.ok(problem.detail.includes('2026-03-10T10:00:00+08:00'), problem.detail)
        assert.ok(problem.detail.includes(shanghai.id), problem.detail)
        expectProblem(await m.redeem({ code }), 409, 'already_redeemed')
      })

      it('is valid through its last second and expired one second later', async () => {
        clock.set(START)
        const card = await m.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3 } }))
        const [a, b, c] = [await issue(card.id), await issue(card.id), await issue(card.id)]
        assert.equal(a.valid_until, '2026-03-12T23:59:59+08:00')
        const lastSecond = ms(a.valid_until)
        clock.set(lastSecond)
        expectStatus(await m.redeem({ code: a.code }), 201)
        clock.set(lastSecond + 999)
        expectStatus(await m.redeem({ code: b.code }), 201)
        clock.set(lastSecond + 1000)
        const problem = expectProblem(await m.redeem({ code: c.code }), 409, 'expired')
        assert.ok(problem.detail.includes('2026-03-12T23:59:59+08:00'), problem.detail)
      })

      it('answers not_yet_valid before a delayed start, and redeems from its first second', async () => {
        clock.set(START)
        const card = await m.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3, start_after_days: 1 } }))
        const [a, b] = [await issue(card.id), await issue(card.id)]
        assert.equal(a.valid_from, '2026-03-11T00:00:00+08:00')
        expectProblem(await m.redeem({ code: a.code }), 409, 'not_yet_valid')
        clock.set(ms(a.valid_from) - 1)
        const problem = expectProblem(await m.redeem({ code: a.code }), 409, 'not_yet_valid')
        assert.ok(problem.detail.includes('2026-03-11T00:00:00+08:00'), problem.detail)
        clock.set(ms(a.valid_from))
        expectStatus(await m.redeem({ code: b.code }), 201)
        expectStatus(await m.redeem({ code: a.code }), 201)
      })

      it('answers not_yet_valid before a fixed range begins', async () => {
        clock.set(START)
        const range = { type: 'fixed_range', begin_at: '2026-03-20T00:00:00+08:00', end_at: '2026-03-31T23:59:59+08:00' }
        const { code } = await issue((await m.createCard(cashCard({ least_cost: undefined, validity: range }))).id)
        expectProblem(await m.redeem({ code }), 409, 'not_yet_valid')
        clock.set('2026-03-19T16:00:00Z')
        expectStatus(await m.redeem({ code }), 201)
      })

      it('answers voided for a voided coupon', async () => {
        clock.set(START)
        const { code } = await issue((await m.createCard(cashCard({ least_cost: undefined }))).id)
        expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(code)}/void`), 200)
        expectProblem(await m.redeem({ code }), 409, 'voided')
        expectProblem(await m.post('/v1/redemptions/check', { code }), 409, 'voided')
      })

      it('reads usable hours on the store’s clock', async () => {
        clock.set(EARLY)
        const card = await m.createCard(cashCard({ least_cost: undefined, usable_hours: [{ days: EVERY_DAY, start: '10:00', end: '22:00' }] }))
        const at = async (instant: string, storeId: string | undefined, expected: 201 | 409) => {
          clock.set(EARLY)
          const { code } = await issue(card.id)
          clock.set(instant)
          const res = await m.redeem(storeId ? { code, store_id: storeId } : { code })
          if (expected === 201) expectStatus(res, 201)
          else expectProblem(res, 409, 'outside_usable_hours')
        }
        // 09:30 in London is 17:30 in Shanghai.
        await at('2026-03-10T09:30:00Z', london.id, 409)
        await at('2026-03-10T09:30:00Z', shanghai.id, 201)
        // Without a store, the merchant's zone.
        await at('2026-03-10T09:30:00Z', undefined, 201)
        // 21:30 in London is 05:30 the next morning in Shanghai.
        await at('2026-03-10T21:30:00Z', london.id, 201)
        await at('2026-03-10T21:30:00Z', shanghai.id, 409)
        // start is included, end is not.
        await at('2026-03-10T10:00:00Z', london.id, 201)
        await at('2026-03-10T09:59:59Z', london.id, 409)
        await at('2026-03-10T21:59:59Z', london.id, 201)
        await at('2026-03-10T22:00:00Z', london.id, 409)
      })

      it('keeps a window that crosses midnight with the day it starts', async () => {
        clock.set(EARLY)
        // Friday nights, 22:00 to 02:00 on Saturday, London time (GMT in March before the 29th).
        const card = await m.createCard(cashCard({ least_cost: undefined, usable_hours: [{ days: [5], start: '22:00', end: '02:00' }] }))
        const cases: [string, string, 201 | 409][] = [
          ['2026-03-12T23:00:00Z', london.id, 409], // Thursday night
          ['2026-03-13T21:59:59Z', london.id, 409],
          ['2026-03-13T22:00:00Z', london.id, 201], // Friday 22:00
          ['2026-03-14T00:30:00Z', london.id, 201], // Saturday 00:30, still Friday's window
          ['2026-03-14T01:59:59Z', london.id, 201],
          ['2026-03-14T02:00:00Z', london.id, 409],
          ['2026-03-14T23:00:00Z', london.id, 409], // Saturday night
          ['2026-03-13T22:00:00Z', shanghai.id, 409], // Saturday 06:00 in Shanghai
          ['2026-03-13T15:00:00Z', shanghai.id, 201], // Friday 23:00 in Shanghai
        ]
        for (const [instant, storeId, expected] of cases) {
          clock.set(EARLY)
          const { code } = await issue(card.id)
          clock.set(instant)
          const res = await m.redeem({ code, store_id: storeId })
          assert.equal(res.status, expected, `${instant} at ${storeId === london.id ? 'London' : 'Shanghai'}: ${res.text}`)
          if (expected === 409) assert.equal(res.body.code, 'outside_usable_hours')
        }
      })

      it('answers store_not_allowed for another store or no store, and takes the store from a bound key', async () => {
        clock.set(START)
        const card = await m.createCard(cashCard({ least_cost: undefined, store_ids: [shanghai.id] }))
        expectProblem(await m.redeem({ code: (await issue(card.id)).code, store_id: london.id }), 409, 'store_not_allowed')
        expectProblem(await m.redeem({ code: (await issue(card.id)).code }), 409, 'store_not_allowed')
        expectProblem(await m.post('/v1/redemptions/check', { code: (await issue(card.id)).code }), 409, 'store_not_allowed')
        expectStatus(await m.redeem({ code: (await issue(card.id)).code, store_id: shanghai.id }), 201)

        const tillKey = async (storeId: string) =>
          merchantApi(t, expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem', store_id: storeId }), 201).api_key)
        const shanghaiTill = await tillKey(shanghai.id)
        const londonTill = await tillKey(london.id)
        const redeemed = expectStatus(await shanghaiTill.redeem({ code: (await issue(card.id)).code }), 201)
        assert.equal(redeemed.store_id, shanghai.id)
        expectProblem(await londonTill.redeem({ code: (await issue(card.id)).code }), 409, 'store_not_allowed')
      })

      it('says what each refusal is about in members an app can word: amounts in fen, times, stores', async () => {
        /** The refusal of the check and of the redemption, which must agree, without the members every problem has. */
        const refusal = async (body: Record<string, unknown>, status: number, code: string) => {
          const check = expectProblem(await m.post('/v1/redemptions/check', body), status, code)
          const redeem = expectProblem(await m.redeem(body), status, code)
          const { type, title, status: _, detail, code: __, ...params } = redeem
          assert.deepEqual({ ...check, detail: undefined }, { ...redeem, detail: undefined })
          assert.ok(type && title && detail)
          return params
        }
        clock.set(START)
        const threshold = await m.createCard(cashCard({ reduce_cost: 2000, least_cost: 10000 }))
        assert.deepEqual(await refusal({ code: (await issue(threshold.id)).code, order_amount: 5000 }, 422, 'below_threshold'), { order_amount: 5000, threshold: 10000 })
        const tiered = await m.createCard(cashCard({ reduce_cost: undefined, least_cost: undefined, tiers: [{ least_cost: 10000, reduce_cost: 1000 }, { least_cost: 20000, reduce_cost: 3000 }] }))
        assert.deepEqual(await refusal({ code: (await issue(tiered.id)).code, order_amount: 9999 }, 422, 'below_threshold'), { order_amount: 9999, threshold: 10000 })

        const delayed = await m.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3, start_after_days: 1 } }))
        const later = await issue(delayed.id)
        assert.deepEqual(await refusal({ code: later.code, store_id: london.id }, 409, 'not_yet_valid'), { valid_from: '2026-03-10T16:00:00+00:00' })
        clock.set(ms(later.valid_until) + 1000)
        assert.deepEqual(await refusal({ code: later.code }, 409, 'expired'), { valid_until: '2026-03-13T23:59:59+08:00' })

        clock.set(START)
        const plain = await m.createCard(cashCard({ least_cost: undefined }))
        const used = await issue(plain.id)
        expectStatus(await m.redeem({ code: used.code, store_id: shanghai.id }), 201)
        assert.deepEqual(await refusal({ code: used.code, store_id: london.id }, 409, 'already_redeemed'), { redeemed_at: '2026-03-10T02:00:00+00:00', store_id: shanghai.id })
        const usedNowhere = await issue(plain.id)
        expectStatus(await m.redeem({ code: usedNowhere.code }), 201)
        assert.deepEqual(await refusal({ code: usedNowhere.code }, 409, 'already_redeemed'), { redeemed_at: '2026-03-10T10:00:00+08:00', store_id: null })
        const voided = await issue(plain.id)
        expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(voided.code)}/void`), 200)
        assert.deepEqual(await refusal({ code: voided.code }, 409, 'voided'), {})

        clock.set(START)
        const onlyShanghai = await m.createCard(cashCard({ least_cost: undefined, store_ids: [shanghai.id] }))
        assert.deepEqual(await refusal({ code: (await issue(onlyShanghai.id)).code, store_id: london.id }, 409, 'store_not_allowed'), { store_id: london.id })
        assert.deepEqual(await refusal({ code: (await issue(onlyShanghai.id)).code }, 409, 'store_not_allowed'), { store_id: null })

        const hours = [{ days: [1, 2, 3, 4, 5], start: '11:00', end: '14:00' }]
        const lunch = await m.createCard(cashCard({ least_cost: undefined, usable_hours: hours }))
        assert.deepEqual(await refusal({ code: (await issue(lunch.id)).code, store_id: shanghai.id }, 409, 'outside_usable_hours'), { usable_hours: hours })
      })

      it('answers store_not_found for a store that is not the merchant’s', async () => {
        clock.set(START)
        const { code } = await issue((await m.createCard(cashCard({ least_cost: undefined }))).id)
        const other = await newMerchant(t)
        const theirs = await other.createStore()
        expectProblem(await m.redeem({ code, store_id: theirs.id }), 404, 'store_not_found')
        expectProblem(await m.redeem({ code, store_id: 'sto_unknown' }), 404, 'store_not_found')
        expectProblem(await m.post('/v1/redemptions/check', { code, store_id: theirs.id }), 404, 'store_not_found')
        assert.equal(expectStatus(await m.coupon(code), 200).state, 'available')
      })
    })

    describe('checking, recording and reversing', () => {
      it('previews the discount without writing anything', async () => {
        clock.set(START)
        const fresh = await newMerchant(t)
        const card = await fresh.createCard(cashCard({ reduce_cost: 2000, least_cost: 10000 }))
        const { code } = await fresh.issue(card.id, 'u1')
        const eventsBefore = await fresh.events()
        const check = expectStatus(await fresh.post('/v1/redemptions/check', { code, order_amount: 15000 }), 200)
        assert.equal(check.discount_amount, 2000)
        assert.equal(check.code, code)
        assert.equal(check.card_id, card.id)
        expectProblem(await fresh.post('/v1/redemptions/check', { code, order_amount: 9999 }), 422, 'below_threshold')

        const coupon = expectStatus(await fresh.coupon(code), 200)
        assert.equal(coupon.state, 'available')
        assert.equal(coupon.redemption_id, null)
        assert.deepEqual(await fresh.events(), eventsBefore)
        assert.deepEqual(expectStatus(await fresh.get('/v1/redemptions'), 200).data, [])
        expectStatus(await fresh.redeem({ code, order_amount: 15000 }), 201)
      })

      it('records the store, the key and the channel', async () => {
        clock.set(START)
        const card = await m.createCard(cashCard({ reduce_cost: 2000, least_cost: 10000 }))
        const key = expectStatus(await m.post('/v1/api-keys', { name: 'front desk', scope: 'full' }), 201)
        const desk = merchantApi(t, key.api_key)
        const { code } = await issue(card.id)
        const res = await desk.redeem({ code, store_id: shanghai.id, order_amount: 12000, channel: 'scan' })
        const redemption = expectStatus(res, 201)
        assert.match(redemption.id, /^rdm_/)
        assert.equal(redemption.code, code)
        assert.equal(redemption.card_id, card.id)
        assert.equal(redemption.store_id, shanghai.id)
        assert.equal(redemption.discount_amount, 2000)
        assert.equal(redemption.order_amount, 12000)
        assert.equal(redemption.api_key_id, key.id)
        assert.equal(redemption.channel, 'scan')
        assert.equal(redemption.redeemed_at, '2026-03-10T10:00:00+08:00')
        assert.deepEqual(expectStatus(await m.get(`/v1/redemptions/${redemption.id}`), 200), redemption)

        const coupon = expectStatus(await m.coupon(code), 200)
        assert.equal(coupon.state, 'redeemed')
        assert.equal(coupon.redemption_id, redemption.id)
        assert.equal(coupon.redeemed_at, redemption.redeemed_at)

        const event = (await m.events('coupon.redeemed')).find((e) => e.data.redemption_id === redemption.id)
        assert.equal(event.data.store_id, shanghai.id)
        assert.equal(event.data.discount_amount, 2000)
        assert.equal(event.data.channel, 'scan')

        const plain = expectStatus(await m.redeem({ code: (await issue(card.id)).code, order_amount: 10000 }), 201)
        assert.equal(plain.channel, 'api')
        assert.equal(plain.store_id, null)
      })

      it('reverses once: the coupon is available again and can be redeemed again', async () => {
        clock.set(START)
        const card = await m.createCard(cashCard({ least_cost: undefined }))
        const { code } = await issue(card.id)
        const first = expectStatus(await m.redeem({ code, store_id: shanghai.id }), 201)
        clock.advance(60_000)
        const reversed = expectStatus(await m.post(`/v1/redemptions/${first.id}/reverse`, { reason: 'wrong item' }), 200)
        assert.equal(reversed.id, first.id)
        assert.equal(reversed.reversed_at, '2026-03-10T10:01:00+08:00')
        assert.equal(reversed.coupon.state, 'available')
        const coupon = expectStatus(await m.coupon(code), 200)
        assert.equal(coupon.state, 'available')
        assert.equal(coupon.redemption_id, null)
        assert.equal(coupon.redeemed_at, null)

        expectProblem(await m.post(`/v1/redemptions/${first.id}/reverse`), 409, 'already_reversed')
        const second = expectStatus(await m.redeem({ code }), 201)
        assert.notEqual(second.id, first.id)
        assert.equal(expectStatus(await m.coupon(code), 200).redemption_id, second.id)
        // Reversing the old redemption again must not touch the new one.
        expectProblem(await m.post(`/v1/redemptions/${first.id}/reverse`), 409, 'already_reversed')
        assert.equal(expectStatus(await m.coupon(code), 200).state, 'redeemed')

        expectProblem(await m.post('/v1/redemptions/rdm_00000000000000000000000000/reverse'), 404, 'redemption_not_found')
        const other = await newMerchant(t)
        expectProblem(await other.post(`/v1/redemptions/${second.id}/reverse`), 404, 'redemption_not_found')
        expectProblem(await other.get(`/v1/redemptions/${second.id}`), 404, 'redemption_not_found')
      })

      it('reverses into expired when the coupon’s validity has passed, with one coupon.expired event', async () => {
        clock.set(START)
        const fresh = await newMerchant(t)
        expectStatus(await fresh.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
        const card = await fresh.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3 } }))
        const { code, valid_until } = await fresh.issue(card.id, 'u1')
        const redemption = expectStatus(await fresh.redeem({ code }), 201)
        clock.set(ms(valid_until) + 1000)
        const reversed = expectStatus(await fresh.post(`/v1/redemptions/${redemption.id}/reverse`), 200)
        assert.equal(reversed.coupon.state, 'expired')
        assert.equal(expectStatus(await fresh.coupon(code), 200).state, 'expired')
        expectProblem(await fresh.redeem({ code }), 409, 'expired')
        await runJobsOnce(t.ctx)
        const expired = await fresh.events('coupon.expired')
        assert.equal(expired.length, 1)
        assert.equal(expired[0].data.coupon_id, reversed.coupon.id)
      })

      it('lists coupon.issued, redeemed, reversed and voided events in order', async () => {
        clock.set(START)
        const fresh = await newMerchant(t)
        expectStatus(await fresh.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
        const card = await fresh.createCard(cashCard({ least_cost: undefined }))
        const coupon = await fresh.issue(card.id, 'u1')
        const redemption = expectStatus(await fresh.redeem({ code: coupon.code }), 201)
        expectStatus(await fresh.post(`/v1/redemptions/${redemption.id}/reverse`), 200)
        expectStatus(await fresh.post(`/v1/coupons/${encodeURIComponent(coupon.code)}/void`), 200)

        const events = (await fresh.events()).filter((e) => e.type.startsWith('coupon.'))
        assert.deepEqual(events.map((e) => e.type), ['coupon.issued', 'coupon.redeemed', 'coupon.reversed', 'coupon.voided'])
        assert.deepEqual(events[0].data, { coupon_id: coupon.id, card_id: card.id, user_id: 'u1', source: 'api', channel: null, campaign: null, shared_by: null, state: 'available', stock_remaining: card.stock - 1 })
        for (const e of events) {
          assert.equal(e.data.coupon_id, coupon.id)
          assert.match(e.id, /^evt_/)
          assert.match(e.created_at, /\+08:00$/)
        }
        assert.deepEqual((await fresh.events(undefined, events[0].id)).filter((e) => e.type.startsWith('coupon.')).map((e) => e.type), [
          'coupon.redeemed',
          'coupon.reversed',
          'coupon.voided',
        ])
        assert.deepEqual(await fresh.events(undefined, events[3].id), [])
        assert.deepEqual((await fresh.events('coupon.reversed')).map((e) => e.id), [events[2].id])
      })

      it('earns the member’s points on what they paid: the order less the coupon’s discount and the level’s', async () => {
        clock.set(START)
        const fresh = await newMerchant(t)
        const memberCard = await createMemberCard(fresh) // 1 point and 1 growth per ¥1; Silver: 5% off, 1.5x
        const card = await fresh.createCard(cashCard()) // 满100减20
        const body = (member: { id: string }, code: string) => ({ code, order_amount: 12_800, member_id: member.id })

        // ¥128 less ¥20 is ¥108 paid: 108 points, not 128.
        const plain = await join(fresh, memberCard.id, 'plain')
        const first = (await fresh.issue(card.id, 'plain')).code
        const checked = expectStatus(await fresh.post('/v1/redemptions/check', body(plain, first)), 200)
        assert.deepEqual([checked.member.member_discount_amount, checked.member.paid_amount, checked.member.points_to_earn], [0, 10_800, 108])
        const redeemed = expectStatus(await fresh.redeem(body(plain, first)), 201)
        assert.deepEqual([redeemed.discount_amount, redeemed.member.paid_amount, redeemed.member.points_earned, redeemed.member.growth_earned], [2_000, 10_800, 108, 108])
        assert.deepEqual([(await getMember(fresh, plain.id)).points_balance, (await getMember(fresh, plain.id)).growth], [108, 108])

        // At Silver, 5% off the ¥108 left: ¥102.60 paid, times 1.5 = 153 points.
        const silver = await join(fresh, memberCard.id, 'silver')
        await order(fresh, silver.id, { order_ref: 'lift', order_amount: 100_000 })
        const second = (await fresh.issue(card.id, 'silver')).code
        const check = expectStatus(await fresh.post('/v1/redemptions/check', body(silver, second)), 200)
        assert.deepEqual([check.member.member_discount_amount, check.member.paid_amount, check.member.points_to_earn], [540, 10_260, 153])
        const earned = expectStatus(await fresh.redeem(body(silver, second)), 201)
        assert.deepEqual([earned.member.paid_amount, earned.member.points_earned, earned.member.growth_earned, earned.member.points_balance], [10_260, 153, 102, 1_153])

        // A reversal takes back exactly what was earned.
        expectStatus(await fresh.post(`/v1/redemptions/${earned.id}/reverse`), 200)
        assert.deepEqual([(await getMember(fresh, silver.id)).points_balance, (await getMember(fresh, silver.id)).growth], [1_000, 1_000])
        await assertLedgersConsistent(t.db.database.db, silver.id)
      })
    })
  })
}
