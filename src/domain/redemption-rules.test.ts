import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideRedemption, effectiveCouponState } from './redemption-rules.ts'
import type { CouponState, RedeemError, RedemptionInput } from './redemption-rules.ts'
import { cashTerms, termsOfType } from './fixtures.ts'
import { parseInstant } from './time.ts'

const at = (iso: string): number => {
  const t = parseInstant(iso)
  assert.notEqual(t, null, iso)
  return t as number
}

const FROM = at('2026-11-23T10:00:00+08:00')
const UNTIL = at('2026-11-30T23:59:59+08:00')
const NOW = at('2026-11-25T12:00:00+08:00') // a Wednesday

function input(overrides: Partial<RedemptionInput> = {}, coupon: Partial<RedemptionInput['coupon']> = {}): RedemptionInput {
  return {
    coupon: { state: 'available', valid_from: FROM, valid_until: UNTIL, redeemed_at: null, redeemed_store_id: null, ...coupon },
    terms: cashTerms({ reduce_cost: 1000 }),
    store: { id: 'sto_1', timezone: 'Asia/Shanghai' },
    merchantTz: 'Asia/Shanghai',
    orderAmount: 5000,
    now: NOW,
    ...overrides,
  }
}

test('effectiveCouponState: available reads as expired after the last valid second', () => {
  const cases: [CouponState, number, CouponState][] = [
    ['available', UNTIL, 'available'],
    ['available', UNTIL + 999, 'available'],
    ['available', UNTIL + 1000, 'expired'],
    ['redeemed', UNTIL + 1000, 'redeemed'],
    ['voided', UNTIL + 1000, 'voided'],
    ['expired', FROM, 'expired'],
    ['locked', UNTIL, 'locked'],
    ['locked', UNTIL + 1000, 'expired'],
  ]
  for (const [state, now, expected] of cases) {
    assert.equal(effectiveCouponState({ state, valid_until: UNTIL }, now), expected, `${state} at ${now - UNTIL}`)
  }
})

test('decideRedemption: each outcome, and the order of checks', () => {
  const limited = cashTerms({ store_ids: ['sto_1', 'sto_2'] })
  const weekdayLunch = cashTerms({ usable_hours: [{ days: [1, 2, 3, 4, 5], start: '11:00', end: '14:00' }] })
  const cases: [string, RedemptionInput, number | RedeemError][] = [
    ['redeemable', input(), 1000],
    ['voided', input({}, { state: 'voided' }), 'voided'],
    ['voided wins over expired', input({ now: UNTIL + 1000 }, { state: 'voided' }), 'voided'],
    ['already redeemed', input({}, { state: 'redeemed', redeemed_at: FROM, redeemed_store_id: 'sto_2' }), 'already_redeemed'],
    ['already redeemed wins over expired', input({ now: UNTIL + 5000 }, { state: 'redeemed' }), 'already_redeemed'],
    ['stored as expired', input({}, { state: 'expired' }), 'expired'],
    ['locked', input({}, { state: 'locked' }), 'coupon_locked'],
    ['expired wins over locked', input({ now: UNTIL + 1000 }, { state: 'locked' }), 'expired'],
    ['locked wins over not yet valid', input({ now: FROM - 1 }, { state: 'locked' }), 'coupon_locked'],
    ['at valid_until', input({ now: UNTIL }), 1000],
    ['valid_until + 999 ms', input({ now: UNTIL + 999 }), 1000],
    ['valid_until + 1000 ms', input({ now: UNTIL + 1000 }), 'expired'],
    ['expired wins over store', input({ now: UNTIL + 1000, terms: limited, store: null }), 'expired'],
    ['1 ms before valid_from', input({ now: FROM - 1 }), 'not_yet_valid'],
    ['at valid_from', input({ now: FROM }), 1000],
    ['not yet valid wins over store', input({ now: FROM - 1, terms: limited, store: { id: 'sto_9', timezone: 'UTC' } }), 'not_yet_valid'],
    ['limited stores: allowed store', input({ terms: limited }), 1000],
    ['limited stores: other store', input({ terms: limited, store: { id: 'sto_9', timezone: 'Asia/Shanghai' } }), 'store_not_allowed'],
    ['limited stores: no store', input({ terms: limited, store: null }), 'store_not_allowed'],
    ['any store: no store given', input({ store: null }), 1000],
    ['store wins over hours', input({ terms: { ...weekdayLunch, store_ids: ['sto_2'] }, now: at('2026-11-25T20:00:00+08:00') }), 'store_not_allowed'],
    ['inside usable hours', input({ terms: weekdayLunch, now: at('2026-11-25T11:00:00+08:00') }), 1000],
    ['outside usable hours', input({ terms: weekdayLunch, now: at('2026-11-25T14:00:00+08:00') }), 'outside_usable_hours'],
    // 03:30Z is 11:30 in Shanghai but 03:30 in UTC (and 22:30 the day before in New York).
    ['hours in the store zone', input({ terms: weekdayLunch, now: at('2026-11-25T03:30:00Z') }), 1000],
    ['hours in another store zone', input({ terms: weekdayLunch, store: { id: 'sto_1', timezone: 'America/New_York' }, now: at('2026-11-25T03:30:00Z') }), 'outside_usable_hours'],
    ['hours in the merchant zone without a store', input({ terms: weekdayLunch, store: null, merchantTz: 'UTC', now: at('2026-11-25T03:30:00Z') }), 'outside_usable_hours'],
    ['hours wins over threshold', input({ terms: { ...weekdayLunch, least_cost: 100000 }, now: at('2026-11-25T15:00:00+08:00') }), 'outside_usable_hours'],
    ['threshold one fen below', input({ terms: cashTerms({ least_cost: 5001 }) }), 'below_threshold'],
    ['threshold exactly', input({ terms: cashTerms({ least_cost: 5000 }) }), 1000],
    ['needs the order amount', input({ terms: termsOfType('discount'), orderAmount: null }), 'order_amount_required'],
    ['discount amount', input({ terms: termsOfType('discount', { percent_off: 15 }), orderAmount: 999 }), 149],
  ]
  for (const [name, inp, expected] of cases) {
    const r = decideRedemption(inp)
    if (typeof expected === 'number') {
      assert.ok(r.ok, `${name}: ${r.ok ? '' : r.error}`)
      assert.equal(r.discount_amount, expected, name)
    } else {
      assert.equal(r.ok ? 'ok' : r.error, expected, name)
    }
  }
})

test('details a till can show', () => {
  const detail = (inp: RedemptionInput): string => {
    const r = decideRedemption(inp)
    assert.equal(r.ok, false)
    return r.ok ? '' : r.detail
  }
  const redeemedAt = at('2026-11-24T18:05:00+08:00')
  assert.equal(
    detail(input({}, { state: 'redeemed', redeemed_at: redeemedAt, redeemed_store_id: 'sto_2' })),
    'This coupon was already redeemed at 2026-11-24T18:05:00+08:00 in store sto_2.',
  )
  // Without a store, the time is shown in the merchant's zone.
  assert.match(
    detail(input({ store: null, merchantTz: 'America/New_York' }, { state: 'redeemed', redeemed_at: redeemedAt, redeemed_store_id: 'sto_2' })),
    /at 2026-11-24T05:05:00-05:00 in store sto_2/,
  )
  assert.match(detail(input({ now: UNTIL + 1000 })), /valid until 2026-11-30T23:59:59\+08:00/)
  assert.match(detail(input({ now: FROM - 1 })), /from 2026-11-23T10:00:00\+08:00/)
  assert.match(detail(input({ terms: cashTerms({ store_ids: ['sto_2'] }) })), /store sto_1/)
  assert.equal(
    detail(input({ terms: cashTerms({ usable_hours: [{ days: [1, 2, 3, 4, 5], start: '11:00', end: '14:00' }] }), now: at('2026-11-28T15:00:00+08:00') })),
    'This coupon cannot be used now (Sat 15:00); it can be used Mon-Fri 11:00-14:00.',
  )
  assert.match(detail(input({ terms: cashTerms({ least_cost: 10000 }), orderAmount: 9999 })), /order amount 9999 is below the threshold 10000/)
})
