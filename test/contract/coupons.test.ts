import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { randomBytes } from 'node:crypto'
import { CODE_ALPHABET, CODE_LENGTH, CODE_RANDOM_CHARS, LEGACY_CODE_RANDOM_CHARS, codeFormat, formatCodeForDisplay, isWellFormedCode, legacyCheck } from '../../src/domain/codes.ts'
import { expectProblem, expectStatus, ms, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'

const START = '2026-03-10T02:00:00Z' // Tuesday 10:00 in Shanghai
const DAY = 86_400_000
const SHANGHAI_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/

const fixedTerm = (days: number, start_after_days?: number) => cashCard({ get_limit: 100, validity: { type: 'fixed_term', days, start_after_days } })

for (const engine of ENGINES) {
  describe(`coupons on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    /** The validity of a coupon of `card` claimed at `at`. */
    async function claimAt(m: MerchantApi, card: Record<string, unknown>, at: string) {
      clock.set(at)
      const created = await m.createCard(card)
      const coupon = await m.issue(created.id, 'u1')
      return { valid_from: coupon.valid_from, valid_until: coupon.valid_until }
    }

    describe('issuing', () => {
      it('answers 201 with the coupon, its timestamps in the merchant’s zone', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard({ stock: 3 }))
        const res = await m.post(`/v1/cards/${card.id}/issue`, { user_id: 'openid-1' })
        const coupon = expectStatus(res, 201)
        assert.equal(coupon.card_id, card.id)
        assert.equal(coupon.user_id, 'openid-1')
        assert.equal(coupon.state, 'available')
        assert.ok(isWellFormedCode(coupon.code), coupon.code)
        assert.match(coupon.valid_from, SHANGHAI_TIMESTAMP)
        assert.match(coupon.valid_until, SHANGHAI_TIMESTAMP)
        assert.equal(coupon.valid_from, '2026-03-10T10:00:00+08:00')
        assert.equal(coupon.valid_until, '2026-04-08T23:59:59+08:00')
        assert.equal(coupon.redeemed_at, null)
        assert.equal(coupon.redemption_id, null)
        // A lookup by code also says who holds it (null: a user id of the merchant’s own system).
        assert.deepEqual(expectStatus(await m.coupon(coupon.code), 200), { ...coupon, customer_contact: null })
      })

      it('refuses a missing or malformed user_id', async () => {
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard())
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, {}), 422, 'validation_failed')
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: 42 }), 422, 'validation_failed')
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: '' }), 422, 'validation_failed')
      })

      it('counts fixed_term days from the claim day in Shanghai, also late in the evening', async () => {
        const m = await newMerchant(t)
        expectStatus(await m.put('/v1/merchant/policy', { min_validity_days: null }), 200)
        // 23:30 in Shanghai: day 1 is the claim day, though only half an hour of it is left.
        assert.deepEqual(await claimAt(m, fixedTerm(3), '2026-03-10T15:30:00Z'), {
          valid_from: '2026-03-10T23:30:00+08:00',
          valid_until: '2026-03-12T23:59:59+08:00',
        })
        assert.deepEqual(await claimAt(m, fixedTerm(1), '2026-03-10T15:30:00Z'), {
          valid_from: '2026-03-10T23:30:00+08:00',
          valid_until: '2026-03-10T23:59:59+08:00',
        })
        // 01:30 on the 11th in Shanghai is still the 10th in UTC: the days are Shanghai's.
        assert.deepEqual(await claimAt(m, fixedTerm(3), '2026-03-10T17:30:00Z'), {
          valid_from: '2026-03-11T01:30:00+08:00',
          valid_until: '2026-03-13T23:59:59+08:00',
        })
      })

      it('starts a fixed_term with start_after_days at the start of that day', async () => {
        const m = await newMerchant(t)
        assert.deepEqual(await claimAt(m, fixedTerm(3, 1), '2026-03-10T15:30:00Z'), {
          valid_from: '2026-03-11T00:00:00+08:00',
          valid_until: '2026-03-13T23:59:59+08:00',
        })
        assert.deepEqual(await claimAt(m, fixedTerm(7, 2), '2026-03-10T17:30:00Z'), {
          valid_from: '2026-03-13T00:00:00+08:00',
          valid_until: '2026-03-19T23:59:59+08:00',
        })
        // start_after_days: 0 is the same as none.
        assert.deepEqual(await claimAt(m, fixedTerm(3, 0), '2026-03-10T15:30:00Z'), {
          valid_from: '2026-03-10T23:30:00+08:00',
          valid_until: '2026-03-12T23:59:59+08:00',
        })
      })

      it('counts days in New York across both DST changes', async () => {
        const m = await newMerchant(t, 'America/New_York')
        expectStatus(await m.put('/v1/merchant/policy', { min_validity_days: null }), 200)
        // Clocks spring forward on Sunday 8 March 2026.
        assert.deepEqual(await claimAt(m, fixedTerm(5), '2026-03-07T03:00:00Z'), {
          valid_from: '2026-03-06T22:00:00-05:00',
          valid_until: '2026-03-10T23:59:59-04:00',
        })
        assert.deepEqual(await claimAt(m, fixedTerm(1, 2), '2026-03-07T03:00:00Z'), {
          valid_from: '2026-03-08T00:00:00-05:00',
          valid_until: '2026-03-08T23:59:59-04:00',
        })
        // And fall back on Sunday 1 November 2026.
        assert.deepEqual(await claimAt(m, fixedTerm(3), '2026-10-30T16:00:00Z'), {
          valid_from: '2026-10-30T12:00:00-04:00',
          valid_until: '2026-11-01T23:59:59-05:00',
        })
        const fallBackDay = await claimAt(m, fixedTerm(1, 2), '2026-10-30T16:00:00Z')
        assert.deepEqual(fallBackDay, { valid_from: '2026-11-01T00:00:00-04:00', valid_until: '2026-11-01T23:59:59-05:00' })
        // That Sunday lasts 25 hours.
        assert.equal(ms(fallBackDay.valid_until) + 1000 - ms(fallBackDay.valid_from), 25 * 3_600_000)
      })

      it('gives a fixed_range coupon the card’s range, shown in the merchant’s zone', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const range = { type: 'fixed_range', begin_at: '2026-03-01T00:00:00+08:00', end_at: '2026-03-31T23:59:59+08:00' }
        const card = await m.createCard(cashCard({ validity: range }))
        const coupon = await m.issue(card.id, 'u1')
        assert.equal(coupon.valid_from, '2026-03-01T00:00:00+08:00')
        assert.equal(coupon.valid_until, '2026-03-31T23:59:59+08:00')

        const ny = await newMerchant(t, 'America/New_York')
        const utcRange = { type: 'fixed_range', begin_at: '2026-03-01T05:00:00Z', end_at: '2026-04-01T03:59:59Z' }
        const nyCoupon = await ny.issue((await ny.createCard(cashCard({ validity: utcRange }))).id, 'u1')
        assert.equal(nyCoupon.valid_from, '2026-03-01T00:00:00-05:00')
        assert.equal(nyCoupon.valid_until, '2026-03-31T23:59:59-04:00')

        // Once the range is over the card issues no more.
        clock.set('2026-03-31T16:00:00Z')
        expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: 'u2' }), 409, 'card_not_active')
      })

      it('limits coupons per user to get_limit, 1 by default', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const one = await m.createCard(cashCard())
        await m.issue(one.id, 'u1')
        expectProblem(await m.post(`/v1/cards/${one.id}/issue`, { user_id: 'u1' }), 409, 'get_limit_reached')
        await m.issue(one.id, 'u2')

        const two = await m.createCard(cashCard({ get_limit: 2 }))
        await m.issue(two.id, 'u1')
        await m.issue(two.id, 'u1')
        expectProblem(await m.post(`/v1/cards/${two.id}/issue`, { user_id: 'u1' }), 409, 'get_limit_reached')
        const card = expectStatus(await m.get(`/v1/cards/${two.id}`), 200)
        assert.equal(card.issued_count, 2)
        assert.equal(card.stock_remaining, 98)
      })

      it('answers out_of_stock when the stock is gone, without using up the user’s allowance', async () => {
        const m = await newMerchant(t)
        const empty = await m.createCard(cashCard({ stock: 0 }))
        expectProblem(await m.post(`/v1/cards/${empty.id}/issue`, { user_id: 'u1' }), 409, 'out_of_stock')
        expectStatus(await m.post(`/v1/cards/${empty.id}/stock`, { delta: 1 }), 200)
        await m.issue(empty.id, 'u1')
        expectProblem(await m.post(`/v1/cards/${empty.id}/issue`, { user_id: 'u2' }), 409, 'out_of_stock')
        const card = expectStatus(await m.get(`/v1/cards/${empty.id}`), 200)
        assert.equal(card.stock_remaining, 0)
        assert.equal(card.issued_count, 1)
      })

      it('answers card_not_found for an unknown card or another merchant’s', async () => {
        const m = await newMerchant(t)
        const other = await newMerchant(t)
        const theirs = await other.createCard(cashCard())
        expectProblem(await m.post('/v1/cards/crd_00000000000000000000000000/issue', { user_id: 'u1' }), 404, 'card_not_found')
        expectProblem(await m.post(`/v1/cards/${theirs.id}/issue`, { user_id: 'u1' }), 404, 'card_not_found')
        assert.equal(expectStatus(await other.get(`/v1/cards/${theirs.id}`), 200).issued_count, 0)
      })
    })

    describe('codes', () => {
      let m: MerchantApi
      let cardId: string
      before(async () => {
        clock.set(START)
        m = await newMerchant(t)
        cardId = (await m.createCard(cashCard({ stock: 2000, get_limit: 2000 }))).id
      })

      it('issues unique, well-formed codes of 14 random characters and a check character from the same alphabet', async () => {
        const codes: string[] = []
        for (let i = 0; i < 200; i++) codes.push((await m.issue(cardId, `user-${i % 7}`)).code)
        assert.equal(new Set(codes).size, codes.length)
        for (const code of codes) {
          assert.equal(code.length, CODE_LENGTH)
          assert.equal(codeFormat(code), 'current', code)
          for (const ch of code) assert.ok(CODE_ALPHABET.includes(ch), `${code} has ${ch}, which cannot be typed at a till`)
        }
        // Every random position varies (a fixed or counter-like position would show few symbols): with
        // 5 random bits each, 200 codes showing fewer than 8 symbols somewhere is practically impossible.
        for (let position = 0; position < CODE_RANDOM_CHARS; position++) {
          const symbols = new Set(codes.map((c) => c[position]))
          assert.ok(symbols.size >= 8, `position ${position} shows only ${[...symbols].join('')}`)
        }
      })

      it('never stores a code in plain text', async () => {
        const issued = [await m.issue(cardId, 'plain-1'), await m.issue(cardId, 'plain-2')]
        const rows = await t.ctx.database.db.selectFrom('coupons').selectAll().execute()
        const dump = JSON.stringify(rows).toUpperCase()
        for (const { code } of issued) {
          assert.ok(!dump.includes(code.toUpperCase()), 'the coupons table holds a plaintext code')
          assert.ok(!dump.includes(code.slice(0, CODE_RANDOM_CHARS).toUpperCase()), 'the coupons table holds a code without its check character')
        }
      })

      it('finds a coupon by its code in any case, grouped by hyphens or spaces', async () => {
        for (let i = 0; i < 4; i++) {
          const { code } = await m.issue(cardId, `forms-${i}`)
          for (const form of [code, code.toLowerCase(), formatCodeForDisplay(code), formatCodeForDisplay(code).replace(/-/g, ' '), ` ${code.toLowerCase()} `]) {
            const got = expectStatus(await m.coupon(form), 200)
            assert.equal(got.code, code, `looked up as ${JSON.stringify(form)}`)
          }
          // Unencoded in the path, as a hand-written URL has it.
          assert.equal(expectStatus(await m.get(`/v1/coupons/${code}`), 200).code, code)
        }
      })

      it('still finds, redeems and voids coupons issued with the legacy code format, whatever their check symbol', async () => {
        // Legacy codes: 13 random characters and Crockford's mod-37 check symbol, one of each that only
        // that format has, stored the way coupons were issued before (keyed hash and ciphertext).
        const legacy = new Map<string, string>()
        while (legacy.size < 5) {
          const body = Array.from(randomBytes(LEGACY_CODE_RANDOM_CHARS), (b) => CODE_ALPHABET[b & 31]).join('')
          const check = legacyCheck(body)
          if ('*~$=U'.includes(check) && !legacy.has(check)) legacy.set(check, body + check)
        }
        const stored: { id: string; code: string }[] = []
        for (const code of legacy.values()) {
          assert.equal(codeFormat(code), 'legacy', code)
          const issued = await m.issue(cardId, 'legacy-holder')
          await t.ctx.database.db
            .updateTable('coupons')
            .set({ code_hash: t.ctx.secrets.codeLookupHash(code), code_enc: t.ctx.secrets.encryptCode(code) })
            .where('id', '=', issued.id)
            .execute()
          stored.push({ id: issued.id, code })
        }
        for (const { id, code } of stored) {
          for (const form of [code, code.toLowerCase(), formatCodeForDisplay(code), ` ${formatCodeForDisplay(code).toLowerCase().replace(/-/g, ' ')} `]) {
            const got = expectStatus(await m.coupon(form), 200)
            assert.equal(got.id, id, `looked up as ${JSON.stringify(form)}`)
            assert.equal(got.code, code)
          }
          assert.equal(expectStatus(await m.get(`/v1/coupons/${code}`), 200).code, code)
          // A mistyped legacy code is still caught by its check symbol.
          const typo = (code[0] === 'A' ? 'B' : 'A') + code.slice(1)
          expectProblem(await m.coupon(typo), 404, 'code_not_found')
        }
        const [redeemed, voided, ...rest] = stored
        const redemption = expectStatus(await m.redeem({ code: redeemed.code.toLowerCase(), order_amount: 20_000 }), 201)
        assert.equal(redemption.coupon_id, redeemed.id)
        assert.equal(expectStatus(await m.coupon(redeemed.code), 200).state, 'redeemed')
        expectProblem(await m.redeem({ code: redeemed.code, order_amount: 20_000 }), 409, 'already_redeemed')
        assert.equal(expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(voided.code)}/void`), 200).state, 'voided')
        for (const { code } of rest) assert.equal(expectStatus(await m.coupon(code), 200).state, 'available')
        const listed = expectStatus(await m.get('/v1/users/legacy-holder/coupons'), 200).data.map((c: { code: string }) => c.code)
        assert.deepEqual(listed.sort(), stored.map((s) => s.code).sort())
      })

      it('answers code_not_found for a mistyped, unknown or another merchant’s code', async () => {
        const { code } = await m.issue(cardId, 'typo')
        const check = code[CODE_RANDOM_CHARS]
        const wrongCheck = code.slice(0, CODE_RANDOM_CHARS) + (check === '0' ? '1' : '0')
        expectProblem(await m.coupon(wrongCheck), 404, 'code_not_found')
        expectProblem(await m.coupon(code.slice(0, CODE_RANDOM_CHARS)), 404, 'code_not_found')
        expectProblem(await m.coupon(`${code}0`), 404, 'code_not_found')
        expectProblem(await m.coupon('not a code'), 404, 'code_not_found')
        const swapped = code[1] + code[0] + code.slice(2)
        if (swapped !== code) expectProblem(await m.coupon(swapped), 404, 'code_not_found')
        const other = await newMerchant(t)
        expectProblem(await other.coupon(code), 404, 'code_not_found')
      })
    })

    describe('taking from stock', () => {
      const take = (merchantId: string, cardId: string, eventId: string) =>
        t.ctx.database.db.transaction().execute((tx) =>
          t.ctx.database.takeOneFromStock(tx, { merchantId, cardId, now: clock.now(), event: { id: eventId, type: 'coupon.issued', data: { coupon_id: 'cpn_x', card_id: cardId } } }),
        )
      const eventsWith = (id: string) => t.ctx.database.db.selectFrom('events').select(['id', 'merchant_id', 'type', 'data', 'created_at']).where('id', '=', id).execute()

      it('takes one from an active card’s stock and records the event with the stock left, in one go', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const card = await m.createCard(cashCard({ stock: 2 }))
        assert.equal(await take(m.merchantId, card.id, 'evt_take_1_' + engine), true)
        const [event] = await eventsWith('evt_take_1_' + engine)
        assert.equal(event.merchant_id, m.merchantId)
        assert.equal(event.type, 'coupon.issued')
        assert.equal(event.created_at, ms(START))
        assert.deepEqual(typeof event.data === 'string' ? JSON.parse(event.data) : event.data, { coupon_id: 'cpn_x', card_id: card.id, stock_remaining: 1 })
        const after = expectStatus(await m.get(`/v1/cards/${card.id}`), 200)
        assert.equal(after.stock_remaining, 1)
        assert.equal(after.issued_count, 1)
      })

      it('writes nothing when the stock is gone or the card does not issue', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        const empty = await m.createCard(cashCard({ stock: 0 }))
        const draft = await m.createCard(cashCard({ stock: 5, draft: true }))
        const other = await newMerchant(t)
        for (const [merchantId, cardId, id] of [[m.merchantId, empty.id, 'evt_take_2'], [m.merchantId, draft.id, 'evt_take_3'], [other.merchantId, draft.id, 'evt_take_4']]) {
          assert.equal(await take(merchantId, cardId, id + engine), false, id)
          assert.deepEqual(await eventsWith(id + engine), [], id)
        }
        assert.equal(expectStatus(await m.get(`/v1/cards/${empty.id}`), 200).issued_count, 0)
        const untouched = expectStatus(await m.get(`/v1/cards/${draft.id}`), 200)
        assert.equal(untouched.stock_remaining, 5)
        assert.equal(untouched.issued_count, 0)
      })
    })

    describe('voiding', () => {
      it('voids an available coupon once; a retry answers the same; a voided coupon cannot be redeemed', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
        const card = await m.createCard(cashCard({ least_cost: undefined, get_limit: 5 }))
        const coupon = await m.issue(card.id, 'u1')
        const voided = expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(coupon.code)}/void`, { reason: 'customer complaint' }), 200)
        assert.equal(voided.state, 'voided')
        assert.equal(voided.code, coupon.code)
        assert.equal(voided.voided_at, '2026-03-10T10:00:00+08:00')

        clock.advance(60_000)
        const again = expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(coupon.code)}/void`), 200)
        assert.equal(again.state, 'voided')
        assert.equal(again.voided_at, voided.voided_at)
        assert.equal((await m.events('coupon.voided')).length, 1)

        assert.equal(expectStatus(await m.coupon(coupon.code), 200).state, 'voided')
        expectProblem(await m.redeem({ code: coupon.code }), 409, 'voided')
      })

      it('refuses to void a redeemed or an expired coupon', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
        const card = await m.createCard(cashCard({ least_cost: undefined, get_limit: 5, validity: { type: 'fixed_term', days: 3 } }))
        const redeemed = await m.issue(card.id, 'u1')
        expectStatus(await m.redeem({ code: redeemed.code }), 201)
        expectProblem(await m.post(`/v1/coupons/${encodeURIComponent(redeemed.code)}/void`), 409, 'already_redeemed')
        assert.equal(expectStatus(await m.coupon(redeemed.code), 200).state, 'redeemed')

        const expiring = await m.issue(card.id, 'u1')
        clock.set(ms(expiring.valid_until) + 1000)
        expectProblem(await m.post(`/v1/coupons/${encodeURIComponent(expiring.code)}/void`), 409, 'expired')
        expectProblem(await m.post('/v1/coupons/0000000000000X/void'), 404, 'code_not_found')
      })
    })

    describe('a user’s coupons', () => {
      it('lists them newest first, filtered by the state they read as now', async () => {
        clock.set(START)
        const m = await newMerchant(t)
        expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
        const short = await m.createCard(cashCard({ least_cost: undefined, validity: { type: 'fixed_term', days: 3 } }))
        const long = await m.createCard(cashCard({ least_cost: undefined, get_limit: 5 }))
        const expired = await m.issue(short.id, 'alice')
        const available = await m.issue(long.id, 'alice')
        const redeemed = await m.issue(long.id, 'alice')
        const voided = await m.issue(long.id, 'alice')
        await m.issue(long.id, 'bob')

        // Five days on: the short coupon is past its validity, and no job has written that down yet.
        clock.set(ms(START) + 5 * DAY)
        expectStatus(await m.redeem({ code: redeemed.code }), 201)
        expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(voided.code)}/void`), 200)

        const list = async (query: string) => expectStatus(await m.get(`/v1/users/alice/coupons${query}`), 200)
        const codes = (body: { data: { code: string }[] }) => body.data.map((c) => c.code)
        const all = await list('')
        assert.deepEqual(codes(all), [voided.code, redeemed.code, available.code, expired.code])
        assert.equal(all.next_cursor, null)
        assert.deepEqual(all.data.map((c: { state: string }) => c.state), ['voided', 'redeemed', 'available', 'expired'])
        assert.deepEqual(codes(await list('?state=available')), [available.code])
        assert.deepEqual(codes(await list('?state=redeemed')), [redeemed.code])
        assert.deepEqual(codes(await list('?state=voided')), [voided.code])
        assert.deepEqual(codes(await list('?state=expired')), [expired.code])
        expectProblem(await m.get('/v1/users/alice/coupons?state=lost'), 422, 'validation_failed')

        // It reads as expired everywhere at once.
        assert.equal(expectStatus(await m.coupon(expired.code), 200).state, 'expired')
        expectProblem(await m.redeem({ code: expired.code }), 409, 'expired')
        const stored = await t.ctx.database.db.selectFrom('coupons').select('state').where('user_id', '=', 'alice').where('card_id', '=', short.id).executeTakeFirstOrThrow()
        assert.equal(stored.state, 'available')

        const first = await list('?limit=3')
        assert.deepEqual(codes(first), [voided.code, redeemed.code, available.code])
        assert.notEqual(first.next_cursor, null)
        const second = await list(`?limit=3&cursor=${encodeURIComponent(first.next_cursor)}`)
        assert.deepEqual(codes(second), [expired.code])
        assert.equal(second.next_cursor, null)

        assert.deepEqual(codes(expectStatus(await m.get('/v1/users/bob/coupons?state=available'), 200)).length, 1)
        const other = await newMerchant(t)
        assert.deepEqual(expectStatus(await other.get('/v1/users/alice/coupons'), 200).data, [])
      })
    })
  })
}
