import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeDiscount, percentOfFloor } from './pricing.ts'
import { cashTerms, termsOfType } from './fixtures.ts'
import type { CardTerms } from './types.ts'

type Expected = number | 'below_threshold' | 'order_amount_required'

function check(name: string, terms: CardTerms, order: number | null, expected: Expected): void {
  const r = computeDiscount(terms, order)
  if (typeof expected === 'number') {
    assert.ok(r.ok, `${name}: expected ok, got ${r.ok ? '' : r.detail}`)
    assert.equal(r.discount_amount, expected, name)
  } else {
    assert.equal(r.ok, false, name)
    if (!r.ok) assert.equal(r.error, expected, name)
  }
}

test('cash: reduce_cost, never more than the order, threshold at exactly least_cost', () => {
  const plain = cashTerms({ reduce_cost: 1000 })
  const threshold = cashTerms({ reduce_cost: 1000, least_cost: 10000 })
  const cases: [string, CardTerms, number | null, Expected][] = [
    ['plain, big order', plain, 5000, 1000],
    ['plain, order equal to the value', plain, 1000, 1000],
    ['plain, order smaller than the value', plain, 600, 600],
    ['plain, order 0', plain, 0, 0],
    ['plain, no order amount', plain, null, 1000],
    ['threshold: exactly least_cost', threshold, 10000, 1000],
    ['threshold: one fen below', threshold, 9999, 'below_threshold'],
    ['threshold: above', threshold, 25000, 1000],
    ['threshold: no order amount', threshold, null, 'order_amount_required'],
    ['least_cost 0 is no threshold', cashTerms({ reduce_cost: 1000, least_cost: 0 }), null, 1000],
  ]
  for (const [name, terms, order, expected] of cases) check(name, terms, order, expected)
})

test('below_threshold detail names the amounts', () => {
  const r = computeDiscount(cashTerms({ reduce_cost: 1000, least_cost: 10000 }), 9999)
  assert.equal(r.ok, false)
  if (!r.ok) assert.match(r.detail, /order amount 9999 is below the threshold 10000/)
})

test('tiered cash: the highest tier reached applies, at each boundary', () => {
  // 满100减10, 满200减30, 满500减100
  const tiered = cashTerms({
    reduce_cost: null,
    tiers: [{ least_cost: 10000, reduce_cost: 1000 }, { least_cost: 20000, reduce_cost: 3000 }, { least_cost: 50000, reduce_cost: 10000 }],
  })
  const unsorted = cashTerms({
    reduce_cost: null,
    tiers: [{ least_cost: 20000, reduce_cost: 3000 }, { least_cost: 10000, reduce_cost: 1000 }],
  })
  const cases: [string, CardTerms, number | null, Expected][] = [
    ['below the first tier', tiered, 9999, 'below_threshold'],
    ['at the first tier', tiered, 10000, 1000],
    ['just below the second', tiered, 19999, 1000],
    ['at the second', tiered, 20000, 3000],
    ['just below the third', tiered, 49999, 3000],
    ['at the third', tiered, 50000, 10000],
    ['far above the last', tiered, 1_000_000, 10000],
    ['no order amount', tiered, null, 'order_amount_required'],
    ['order of tiers does not matter', unsorted, 25000, 3000],
    ['order of tiers does not matter, lowest', unsorted, 15000, 1000],
  ]
  for (const [name, terms, order, expected] of cases) check(name, terms, order, expected)
  const r = computeDiscount(tiered, 9999)
  if (!r.ok) assert.match(r.detail, /9999 is below the threshold 10000/)
})

test('discount: percent rounded down to the fen, capped, threshold', () => {
  const pct = (percent_off: number, extra: Partial<CardTerms> = {}): CardTerms => termsOfType('discount', { percent_off, ...extra })
  const cases: [string, CardTerms, number | null, Expected][] = [
    ['15% of 999 = 149.85 → 149', pct(15), 999, 149],
    ['33% of 999 = 329.67 → 329', pct(33), 999, 329],
    ['29% of 100 = 29 exactly (0.29 * 100 in floats is 28.999…)', pct(29), 100, 29],
    ['57% of 100 = 57 exactly', pct(57), 100, 57],
    ['1% of 99 → 0', pct(1), 99, 0],
    ['99% of 1 → 0', pct(99), 1, 0],
    ['20% of 0', pct(20), 0, 0],
    ['cap below the percentage', pct(20, { max_discount: 500 }), 10000, 500],
    ['cap exactly the percentage', pct(20, { max_discount: 2000 }), 10000, 2000],
    ['cap above the percentage', pct(20, { max_discount: 5000 }), 10000, 2000],
    ['threshold exactly', pct(20, { least_cost: 5000 }), 5000, 1000],
    ['threshold one fen below', pct(20, { least_cost: 5000 }), 4999, 'below_threshold'],
    ['needs the amount', pct(20), null, 'order_amount_required'],
    ['large order stays exact', pct(33), 9_000_000_000_001, 2_970_000_000_000],
  ]
  for (const [name, terms, order, expected] of cases) check(name, terms, order, expected)
})

test('gift, groupon, general_coupon: no amount off, threshold still applies', () => {
  const cases: [string, CardTerms, number | null, Expected][] = []
  for (const type of ['gift', 'groupon', 'general_coupon'] as const) {
    cases.push(
      [`${type} without amount`, termsOfType(type), null, 0],
      [`${type} with amount`, termsOfType(type), 5000, 0],
      [`${type} threshold exactly`, termsOfType(type, { least_cost: 5000 }), 5000, 0],
      [`${type} threshold one fen below`, termsOfType(type, { least_cost: 5000 }), 4999, 'below_threshold'],
      [`${type} threshold, no amount`, termsOfType(type, { least_cost: 5000 }), null, 'order_amount_required'],
    )
  }
  for (const [name, terms, order, expected] of cases) check(name, terms, order, expected)
})

test('a discount never exceeds the order amount', () => {
  const cards: CardTerms[] = [
    cashTerms({ reduce_cost: 5000 }),
    cashTerms({ reduce_cost: null, tiers: [{ least_cost: 100, reduce_cost: 99 }] }),
    termsOfType('discount', { percent_off: 99 }),
    termsOfType('discount', { percent_off: 99, max_discount: 1_000_000 }),
    // Not a valid card (percent_off <= 99), but stored terms must still never pay out more than the order.
    termsOfType('discount', { percent_off: 150 }),
  ]
  for (const terms of cards) {
    for (let order = 0; order <= 6000; order += 37) {
      const r = computeDiscount(terms, order)
      if (r.ok) {
        assert.ok(r.discount_amount <= order, `${terms.type} ${order}`)
        assert.ok(Number.isInteger(r.discount_amount) && r.discount_amount >= 0)
      }
    }
  }
})

test('percentOfFloor matches exact rational floor', () => {
  for (let amount = 0; amount < 2000; amount += 7) {
    for (let p = 1; p < 100; p++) {
      assert.equal(BigInt(percentOfFloor(amount, p)), (BigInt(amount) * BigInt(p)) / 100n, `${p}% of ${amount}`)
    }
  }
})

test('computeDiscount refuses a negative or fractional order amount', () => {
  assert.throws(() => computeDiscount(cashTerms(), -1), RangeError)
  assert.throws(() => computeDiscount(cashTerms(), 10.5), RangeError)
})
