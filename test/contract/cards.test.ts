import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { expectProblem, expectStatus, fieldErrors, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'

const COMPLIANCE_DEFAULTS = { min_validity_days: 3, max_reduce_ratio_percent: 50, max_percent_off: 50, require_notice: true, allow_no_threshold: false }
/** ¥100,000 per order, 100 million points, ¥100,000 of stored value, 5 gifts per customer a day. */
const LIMIT_DEFAULTS = { max_order_amount: 10_000_000, max_points_balance: 100_000_000, max_stored_value_balance: 10_000_000, max_gifts_per_user_day: 5 }

const START = '2026-03-10T02:00:00Z' // Tuesday 10:00 in Shanghai

for (const engine of ENGINES) {
  describe(`stores and cards on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    describe('stores', () => {
      it('creates a store in the merchant’s time zone unless told otherwise', async () => {
        const m = await newMerchant(t)
        const store = expectStatus(
          await m.post('/v1/stores', { name: 'Jing’an', address: '1 Nanjing Rd', latitude: 31.23, longitude: 121.47 }),
          201,
        )
        assert.match(store.id, /^sto_/)
        assert.equal(store.name, 'Jing’an')
        assert.equal(store.address, '1 Nanjing Rd')
        assert.equal(store.latitude, 31.23)
        assert.equal(store.longitude, 121.47)
        assert.equal(store.timezone, 'Asia/Shanghai')

        const london = await m.createStore({ name: 'Soho', timezone: 'Europe/London' })
        assert.equal(london.timezone, 'Europe/London')
        assert.equal(expectStatus(await m.get(`/v1/stores/${london.id}`), 200).timezone, 'Europe/London')

        const ny = await newMerchant(t, 'America/New_York')
        assert.equal((await ny.createStore()).timezone, 'America/New_York')
        // Another merchant's store does not exist for this one.
        expectProblem(await ny.get(`/v1/stores/${london.id}`), 404, 'store_not_found')
      })

      it('refuses a store without a name or with an unknown time zone', async () => {
        const m = await newMerchant(t)
        assert.deepEqual(fieldErrors(expectProblem(await m.post('/v1/stores', {}), 422, 'validation_failed')), ['required@name'])
        const bad = expectProblem(await m.post('/v1/stores', { name: 'X', timezone: 'Mars/Olympus' }), 422, 'validation_failed')
        assert.deepEqual(bad.errors.map((e: { field: string }) => e.field), ['timezone'])
        expectProblem(await m.post('/v1/stores', { name: 'X', timezone: '+08:00' }), 422, 'validation_failed')
      })
    })

    describe('card types and their value rules', () => {
      let m: MerchantApi
      before(async () => {
        m = await newMerchant(t)
      })

      it('creates a cash card with a fixed amount', async () => {
        const card = await m.createCard(cashCard({ reduce_cost: 500, least_cost: 1000, stock: 10 }))
        assert.match(card.id, /^crd_/)
        assert.equal(card.type, 'cash')
        assert.equal(card.status, 'active')
        assert.equal(card.reduce_cost, 500)
        assert.equal(card.least_cost, 1000)
        assert.equal(card.stock_remaining, 10)
        assert.equal(card.issued_count, 0)
        assert.equal(card.get_limit, 1)
        assert.equal(card.code_type, 'qrcode')
        assert.equal(card.version, 1)
        assert.deepEqual(card.validity, { type: 'fixed_term', days: 30, start_after_days: 0 })
      })

      it('creates a cash card with a spend threshold and a tiered 满减 card', async () => {
        const threshold = await m.createCard(cashCard({ reduce_cost: 2000, least_cost: 10000 }))
        assert.equal(threshold.least_cost, 10000)
        assert.equal(threshold.reduce_cost, 2000)
        const tiers = [
          { least_cost: 10000, reduce_cost: 1000 },
          { least_cost: 20000, reduce_cost: 3000 },
        ]
        const tiered = await m.createCard(cashCard({ title: '满100减10 满200减30', reduce_cost: undefined, least_cost: undefined, tiers }))
        assert.deepEqual(tiered.tiers, tiers)
        assert.equal(tiered.reduce_cost, null)
      })

      it('shows a fixed range in the merchant’s zone, whatever offset it was given in', async () => {
        const card = await m.createCard(cashCard({ validity: { type: 'fixed_range', begin_at: '2026-03-09T16:00:00Z', end_at: '2026-04-09T15:59:59.500Z' } }))
        assert.deepEqual(card.validity, { type: 'fixed_range', begin_at: '2026-03-10T00:00:00+08:00', end_at: '2026-04-09T23:59:59+08:00' })
        const problem = expectProblem(
          await m.post('/v1/cards', cashCard({ validity: { type: 'fixed_range', begin_at: '2026-04-09T00:00:00+08:00', end_at: '2026-03-10T00:00:00+08:00' } })),
          422,
          'validation_failed',
        )
        assert.ok(fieldErrors(problem).includes('invalid@validity.end_at'), JSON.stringify(problem.errors))
        expectProblem(await m.post('/v1/cards', cashCard({ validity: { type: 'fixed_term' } })), 422, 'validation_failed')
      })

      it('creates discount, gift, groupon and general coupon cards', async () => {
        const discount = await m.createCard({ ...base(), type: 'discount', percent_off: 15, least_cost: 5000, max_discount: 3000 })
        assert.equal(discount.percent_off, 15)
        assert.equal(discount.max_discount, 3000)
        assert.equal(discount.least_cost, 5000)
        const gift = await m.createCard({ ...base(), type: 'gift', gift: 'A free latte' })
        assert.equal(gift.gift, 'A free latte')
        const groupon = await m.createCard({ ...base(), type: 'groupon', deal_detail: 'Set meal for two' })
        assert.equal(groupon.deal_detail, 'Set meal for two')
        const general = await m.createCard({ ...base(), type: 'general_coupon', default_detail: 'Free parking for 2 h', code_type: 'barcode' })
        assert.equal(general.default_detail, 'Free parking for 2 h')
        assert.equal(general.code_type, 'barcode')
      })

      it('refuses value fields that are missing, out of range or belong to another type', async () => {
        const cases: [Record<string, unknown>, string[]][] = [
          [cashCard({ reduce_cost: undefined, least_cost: undefined }), ['required@reduce_cost']],
          [cashCard({ reduce_cost: 0 }), ['minimum@reduce_cost']],
          [cashCard({ percent_off: 10 }), ['not_allowed@percent_off']],
          [cashCard({ least_cost: undefined, tiers: [{ least_cost: 10000, reduce_cost: 1000 }] }), ['invalid@tiers']],
          [{ ...base(), type: 'discount' }, ['required@percent_off']],
          [{ ...base(), type: 'discount', percent_off: 100 }, ['maximum@percent_off']],
          [{ ...base(), type: 'discount', percent_off: 0 }, ['minimum@percent_off']],
          [{ ...base(), type: 'gift' }, ['required@gift']],
          [{ ...base(), type: 'groupon' }, ['required@deal_detail']],
          [{ ...base(), type: 'general_coupon' }, ['required@default_detail']],
          [{ ...base(), type: 'member' }, ['anyOf@type']],
        ]
        for (const [body, expected] of cases) {
          const problem = expectProblem(await m.post('/v1/cards', body), 422, 'validation_failed')
          const got = fieldErrors(problem)
          for (const e of expected) {
            // A union's branches may add their own lines; the named field must be among them.
            const [code, field] = e.split('@')
            assert.ok(got.some((g) => g.endsWith(`@${field}`) && (code === 'anyOf' || g.startsWith(`${code}@`))), `${JSON.stringify(body)} → ${got}`)
          }
        }
      })

      it('limits the title to 27 characters, counting each Chinese character once', async () => {
        const title27 = '满'.repeat(27)
        assert.equal((await m.createCard(cashCard({ title: title27 }))).title, title27)
        const problem = expectProblem(await m.post('/v1/cards', cashCard({ title: '满'.repeat(28) })), 422, 'validation_failed')
        assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), ['title'])
        expectProblem(await m.post('/v1/cards', cashCard({ title: 'x'.repeat(28) })), 422, 'validation_failed')
      })
    })

    describe('status', () => {
      it('creates a draft that does not issue until activated; pause and end stop issuing', async () => {
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard({ draft: true, get_limit: 10 }))
        assert.equal(card.status, 'draft')
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: 'u1' }), 409, 'card_not_active')

        assert.equal(expectStatus(await m.post(`/v1/cards/${card.id}/activate`), 200).status, 'active')
        await m.issue(card.id, 'u1')
        const issued = await m.issue(card.id, 'u2')
        assert.equal(expectStatus(await m.post(`/v1/cards/${card.id}/pause`), 200).status, 'paused')
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: 'u1' }), 409, 'card_not_active')
        // Coupons already issued stay usable.
        expectStatus(await m.redeem({ code: issued.code, order_amount: 10000 }), 201)
        assert.equal(expectStatus(await m.post(`/v1/cards/${card.id}/activate`), 200).status, 'active')
        await m.issue(card.id, 'u1')
        assert.equal(expectStatus(await m.post(`/v1/cards/${card.id}/end`), 200).status, 'ended')
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: 'u1' }), 409, 'card_not_active')
        assert.equal(expectStatus(await m.get(`/v1/cards/${card.id}`), 200).status, 'ended')
      })

      it('refuses transitions that the state machine does not have', async () => {
        const m = await newMerchant(t)
        const draft = await m.createCard(cashCard({ draft: true }))
        expectProblem(await m.post(`/v1/cards/${draft.id}/pause`), 409, 'invalid_state')
        const ended = await m.createCard(cashCard())
        expectStatus(await m.post(`/v1/cards/${ended.id}/end`), 200)
        expectProblem(await m.post(`/v1/cards/${ended.id}/activate`), 409, 'invalid_state')
        expectProblem(await m.post(`/v1/cards/${ended.id}/pause`), 409, 'invalid_state')
        expectProblem(await m.patch(`/v1/cards/${ended.id}`, { reduce_cost: 100 }), 409, 'invalid_state')
        assert.equal(expectStatus(await m.get(`/v1/cards/${ended.id}`), 200).status, 'ended')
        expectProblem(await m.post('/v1/cards/crd_00000000000000000000000000/activate'), 404, 'card_not_found')
      })

      it('answers a move to the state a card is already in with the card, as a retry would want', async () => {
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard())
        assert.equal(expectStatus(await m.post(`/v1/cards/${card.id}/activate`), 200).status, 'active')
        assert.equal((await m.events('card.activated')).length, 0)
        expectStatus(await m.post(`/v1/cards/${card.id}/end`), 200)
        assert.equal(expectStatus(await m.post(`/v1/cards/${card.id}/end`), 200).status, 'ended')
        assert.equal((await m.events('card.ended')).length, 1)
      })
    })

    describe('stock', () => {
      it('shows stock_remaining and issued_count and changes the stock by a delta, never below zero', async () => {
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard({ stock: 10, get_limit: 5 }))
        await m.issue(card.id, 'u1')
        await m.issue(card.id, 'u2')
        let got = expectStatus(await m.get(`/v1/cards/${card.id}`), 200)
        assert.equal(got.stock_remaining, 8)
        assert.equal(got.issued_count, 2)

        got = expectStatus(await m.post(`/v1/cards/${card.id}/stock`, { delta: 5 }), 200)
        assert.equal(got.stock_remaining, 13)
        got = expectStatus(await m.post(`/v1/cards/${card.id}/stock`, { delta: -13 }), 200)
        assert.equal(got.stock_remaining, 0)
        assert.equal(got.issued_count, 2)
        const problem = expectProblem(await m.post(`/v1/cards/${card.id}/stock`, { delta: -1 }), 409, 'insufficient_stock')
        assert.match(problem.detail, /0/)
        assert.equal(expectStatus(await m.get(`/v1/cards/${card.id}`), 200).stock_remaining, 0)

        expectProblem(await m.post(`/v1/cards/${card.id}/stock`, { delta: '5' }), 422, 'validation_failed')
        expectProblem(await m.post(`/v1/cards/${card.id}/stock`, { delta: 1.5 }), 422, 'validation_failed')
        expectProblem(await m.post('/v1/cards/crd_00000000000000000000000000/stock', { delta: 1 }), 404, 'card_not_found')
      })
    })

    describe('compliance with the merchant’s policy', () => {
      const tieredBreakingThree = () =>
        cashCard({
          reduce_cost: undefined,
          least_cost: undefined,
          tiers: [
            { least_cost: 10000, reduce_cost: 5000 },
            { least_cost: 20000, reduce_cost: 10001 },
          ],
          validity: { type: 'fixed_term', days: 2 },
          notice: '',
        })
      const discountBreakingThree = () => ({ ...base(), type: 'discount', percent_off: 60, notice: '  ', validity: { type: 'fixed_term', days: 1 } })

      it('reports every rule a card breaks in one 422, by rule name', async () => {
        const m = await newMerchant(t)
        let problem = expectProblem(await m.post('/v1/cards', tieredBreakingThree()), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['max_reduce_ratio@tiers[1].reduce_cost', 'min_validity_days@validity.days', 'notice_required@notice'])

        problem = expectProblem(await m.post('/v1/cards', discountBreakingThree()), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['max_percent_off@percent_off', 'min_validity_days@validity.days', 'notice_required@notice'])

        // A missing notice is the same broken rule as an empty one, reported with the others.
        const { notice: _notice, ...withoutNotice } = cashCard({ reduce_cost: 6000, least_cost: 10000 })
        problem = expectProblem(await m.post('/v1/cards', withoutNotice), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['max_reduce_ratio@reduce_cost', 'notice_required@notice'])

        const shortRange = cashCard({ validity: { type: 'fixed_range', begin_at: '2026-03-10T00:00:00+08:00', end_at: '2026-03-11T23:59:59+08:00' } })
        problem = expectProblem(await m.post('/v1/cards', shortRange), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['min_validity_days@validity.end_at'])
      })

      it('accepts a card exactly at each limit', async () => {
        const m = await newMerchant(t)
        await m.createCard(cashCard({ reduce_cost: 5000, least_cost: 10000, validity: { type: 'fixed_term', days: 3 } }))
        await m.createCard({ ...base(), type: 'discount', percent_off: 50 })
        // Three days from now (10:00), the range having begun at midnight.
        await m.createCard(cashCard({ validity: { type: 'fixed_range', begin_at: '2026-03-10T00:00:00+08:00', end_at: '2026-03-13T09:59:59+08:00' } }))
        await m.createCard(cashCard({ validity: { type: 'fixed_range', begin_at: '2026-03-20T00:00:00+08:00', end_at: '2026-03-22T23:59:59+08:00' } }))
      })

      it('measures a fixed range from now: what began long ago and ends soon leaves too little', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const endsInAnHour = cashCard({ validity: { type: 'fixed_range', begin_at: '2026-02-28T10:00:00+08:00', end_at: '2026-03-10T10:59:59+08:00' } })
        let problem = expectProblem(await m.post('/v1/cards', endsInAnHour), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['min_validity_days@validity.end_at'])
        assert.match(problem.errors[0].message, /at least 3 days; this one is valid for 0.04 days from now/)
        const oneSecondShort = cashCard({ validity: { type: 'fixed_range', begin_at: '2026-03-01T00:00:00+08:00', end_at: '2026-03-13T09:59:58+08:00' } })
        assert.deepEqual(fieldErrors(expectProblem(await m.post('/v1/cards', oneSecondShort), 422, 'validation_failed')), ['min_validity_days@validity.end_at'])

        // A change of validity is measured the same way, and changes nothing when refused.
        const card = await m.createCard(cashCard({ validity: { type: 'fixed_range', begin_at: '2026-03-01T00:00:00+08:00', end_at: '2026-03-31T23:59:59+08:00' } }))
        problem = expectProblem(await m.patch(`/v1/cards/${card.id}`, { validity: { type: 'fixed_range', begin_at: '2026-03-01T00:00:00+08:00', end_at: '2026-03-11T23:59:59+08:00' } }), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['min_validity_days@validity.end_at'])
        assert.equal(expectStatus(await m.get(`/v1/cards/${card.id}`), 200).version, 1)

        // Near its end, a card whose validity is kept can still have its other terms changed.
        clock.set('2026-03-30T02:00:00Z')
        const renamed = expectStatus(await m.patch(`/v1/cards/${card.id}`, { title: 'Last days' }), 200)
        assert.equal(renamed.version, 2)
        clock.set(START)
      })

      it('refuses a cash coupon without a spend threshold unless the policy allows it', async () => {
        const m = await newMerchant(t)
        for (const least_cost of [undefined, null, 0]) {
          const problem = expectProblem(await m.post('/v1/cards', cashCard({ reduce_cost: 50000, least_cost })), 422, 'validation_failed')
          assert.deepEqual(fieldErrors(problem), ['threshold_required@least_cost'], String(least_cost))
          assert.match(problem.errors[0].message, /allow_no_threshold/)
        }
        const card = await m.createCard(cashCard({ reduce_cost: 500, least_cost: 1000 }))
        assert.deepEqual(fieldErrors(expectProblem(await m.patch(`/v1/cards/${card.id}`, { least_cost: null }), 422, 'validation_failed')), ['threshold_required@least_cost'])

        const policy = expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
        assert.equal(policy.allow_no_threshold, true)
        assert.equal(expectStatus(await m.get('/v1/merchant/policy'), 200).allow_no_threshold, true)
        const noThreshold = await m.createCard(cashCard({ reduce_cost: 50000, least_cost: undefined }))
        assert.equal(noThreshold.least_cost, null)
        assert.equal(expectStatus(await m.patch(`/v1/cards/${card.id}`, { least_cost: null }), 200).least_cost, null)
        // The ratio still holds for coupons with a threshold.
        assert.deepEqual(fieldErrors(expectProblem(await m.post('/v1/cards', cashCard({ reduce_cost: 6000, least_cost: 10000 })), 422, 'validation_failed')), ['max_reduce_ratio@reduce_cost'])
        // The policy is the merchant's own.
        const other = await newMerchant(t)
        expectProblem(await other.post('/v1/cards', cashCard({ reduce_cost: 500, least_cost: undefined })), 422, 'validation_failed')
      })

      it('lets such cards through once the merchant switches the rules off', async () => {
        const m = await newMerchant(t)
        const policy = expectStatus(await m.get('/v1/merchant/policy'), 200)
        assert.deepEqual(policy, { ...COMPLIANCE_DEFAULTS, ...LIMIT_DEFAULTS })

        // One rule off: only the others are still reported.
        expectStatus(await m.put('/v1/merchant/policy', { max_percent_off: null }), 200)
        const problem = expectProblem(await m.post('/v1/cards', discountBreakingThree()), 422, 'validation_failed')
        assert.deepEqual(fieldErrors(problem), ['min_validity_days@validity.days', 'notice_required@notice'])

        const off = expectStatus(
          await m.put('/v1/merchant/policy', { min_validity_days: null, max_reduce_ratio_percent: null, max_percent_off: null, require_notice: false }),
          200,
        )
        assert.deepEqual(off, { min_validity_days: null, max_reduce_ratio_percent: null, max_percent_off: null, require_notice: false, allow_no_threshold: false, ...LIMIT_DEFAULTS })
        assert.equal((await m.createCard(tieredBreakingThree())).tiers[1].reduce_cost, 10001)
        assert.equal((await m.createCard(discountBreakingThree())).percent_off, 60)

        // Another merchant still has the default policy.
        const other = await newMerchant(t)
        expectProblem(await other.post('/v1/cards', discountBreakingThree()), 422, 'validation_failed')
      })
    })

    describe('stores a card is limited to', () => {
      it('names each store_ids entry that is not one of the merchant’s stores', async () => {
        const m = await newMerchant(t)
        const other = await newMerchant(t)
        const mine = await m.createStore({ name: 'Mine' })
        const theirs = await other.createStore({ name: 'Theirs' })

        let problem = expectProblem(await m.post('/v1/cards', cashCard({ store_ids: [mine.id, 'sto_unknown'] })), 422, 'validation_failed')
        assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), ['store_ids[1]'])
        problem = expectProblem(await m.post('/v1/cards', cashCard({ store_ids: [theirs.id, mine.id] })), 422, 'validation_failed')
        assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), ['store_ids[0]'])

        const card = await m.createCard(cashCard({ store_ids: [mine.id] }))
        assert.deepEqual(card.store_ids, [mine.id])
        assert.deepEqual((await m.createCard(cashCard())).store_ids, [])
      })
    })

    describe('versions of the promised terms', () => {
      it('gives coupons issued before a change the old terms and those issued after the new ones', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard({ reduce_cost: 1000, least_cost: 5000, get_limit: 10, validity: { type: 'fixed_term', days: 30 } }))
        const before = await m.issue(card.id, 'u1')

        const v2 = expectStatus(await m.patch(`/v1/cards/${card.id}`, { reduce_cost: 2000 }), 200)
        assert.equal(v2.version, 2)
        assert.equal(v2.reduce_cost, 2000)
        const after = await m.issue(card.id, 'u1')
        assert.notEqual(after.card_version_id, before.card_version_id)

        const v3 = expectStatus(await m.patch(`/v1/cards/${card.id}`, { validity: { type: 'fixed_term', days: 10 } }), 200)
        assert.equal(v3.version, 3)
        const shorter = await m.issue(card.id, 'u1')
        assert.equal(shorter.valid_until, '2026-03-19T23:59:59+08:00')

        // Usable only on Sundays from now on (the clock reads a Tuesday).
        const v4 = expectStatus(await m.patch(`/v1/cards/${card.id}`, { usable_hours: [{ days: [7], start: '10:00', end: '22:00' }] }), 200)
        assert.equal(v4.version, 4)
        const sundaysOnly = await m.issue(card.id, 'u1')

        // Earlier coupons keep their validity and their amounts.
        const old = expectStatus(await m.coupon(before.code), 200)
        assert.equal(old.valid_until, before.valid_until)
        assert.equal(old.valid_until, '2026-04-08T23:59:59+08:00')
        assert.equal(old.card_version_id, before.card_version_id)
        const redeemed = expectStatus(await m.redeem({ code: before.code, order_amount: 10000 }), 201)
        assert.equal(redeemed.discount_amount, 1000)
        assert.equal(expectStatus(await m.redeem({ code: after.code, order_amount: 10000 }), 201).discount_amount, 2000)
        assert.equal(expectStatus(await m.redeem({ code: shorter.code, order_amount: 10000 }), 201).discount_amount, 2000)
        expectProblem(await m.redeem({ code: sundaysOnly.code, order_amount: 10000 }), 409, 'outside_usable_hours')
      })

      it('does not version a change of issuing settings or a change to the same terms', async () => {
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard({ reduce_cost: 1000, usable_hours: [{ days: [1, 2], start: '10:00', end: '22:00' }] }))
        let got = expectStatus(await m.patch(`/v1/cards/${card.id}`, { get_limit: 5 }), 200)
        assert.equal(got.version, 1)
        assert.equal(got.get_limit, 5)
        got = expectStatus(await m.patch(`/v1/cards/${card.id}`, { code_type: 'text' }), 200)
        assert.equal(got.version, 1)
        assert.equal(got.code_type, 'text')
        got = expectStatus(
          await m.patch(`/v1/cards/${card.id}`, { reduce_cost: 1000, validity: { type: 'fixed_term', days: 30 }, usable_hours: [{ days: [1, 2], start: '10:00', end: '22:00' }] }),
          200,
        )
        assert.equal(got.version, 1)
        // A change that breaks the policy is refused and changes nothing.
        expectProblem(await m.patch(`/v1/cards/${card.id}`, { least_cost: 1500 }), 422, 'validation_failed')
        got = expectStatus(await m.get(`/v1/cards/${card.id}`), 200)
        assert.equal(got.version, 1)
        assert.equal(got.least_cost, 10000)
      })
    })

    describe('listing and isolation', () => {
      it('pages through cards in creation order with limit and cursor', async () => {
        const m = await newMerchant(t)
        const ids: string[] = []
        for (let i = 0; i < 5; i++) ids.push((await m.createCard(cashCard({ title: `Card ${i}` }))).id)
        const seen: string[] = []
        let cursor: string | null = null
        let pages = 0
        do {
          const url: string = `/v1/cards?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
          const body = expectStatus(await m.get(url), 200)
          assert.ok(body.data.length <= 2)
          seen.push(...body.data.map((c: { id: string }) => c.id))
          cursor = body.next_cursor
          pages++
        } while (cursor !== null && pages < 10)
        assert.equal(pages, 3)
        assert.deepEqual(seen, ids)

        const all = expectStatus(await m.get('/v1/cards'), 200)
        assert.equal(all.data.length, 5)
        assert.equal(all.next_cursor, null)
        const exact = expectStatus(await m.get('/v1/cards?limit=5'), 200)
        assert.equal(exact.next_cursor, null)
        expectProblem(await m.get('/v1/cards?limit=0'), 422, 'validation_failed')
        expectProblem(await m.get('/v1/cards?limit=501'), 422, 'validation_failed')
        expectProblem(await m.get('/v1/cards?cursor=nonsense'), 422, 'validation_failed')
      })

      it('answers 404 for another merchant’s card', async () => {
        const m = await newMerchant(t)
        const other = await newMerchant(t)
        const card = await m.createCard(cashCard())
        expectProblem(await other.get(`/v1/cards/${card.id}`), 404, 'card_not_found')
        expectProblem(await other.patch(`/v1/cards/${card.id}`, { title: 'Mine now' }), 404, 'card_not_found')
        expectProblem(await other.post(`/v1/cards/${card.id}/stock`, { delta: 1 }), 404, 'card_not_found')
        expectProblem(await other.post(`/v1/cards/${card.id}/pause`), 404, 'card_not_found')
        expectProblem(await other.post(`/v1/cards/${card.id}/issue`, { user_id: 'u1' }), 404, 'card_not_found')
        assert.equal(expectStatus(await other.get('/v1/cards'), 200).data.length, 0)
      })
    })
  })
}

/** The fields every card type shares. */
function base(): Record<string, unknown> {
  return { title: 'Spring offer', notice: 'One per visit', stock: 100, validity: { type: 'fixed_term', days: 30 } }
}
