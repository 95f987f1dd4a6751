import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  allocateBurn, compareLots, computeExpiry, computeLotExpiry, computeOrderRefund, computePaidAtTill, computeSpendGrowth, computeSpendPoints, multiplierPercent,
  type OrderAccount, type PointsExpiryRule, type PointsLot,
} from './points-rules.ts'
import { formatInstant } from './time.ts'

const SH = 'Asia/Shanghai'

test('multiplierPercent: up to two decimals, exactly', () => {
  const cases: [number, number | null][] = [[1, 100], [1.5, 150], [1.15, 115], [2.01, 201], [0, 0], [10, 1000], [1.005, null], [1.333, null], [-1, null], [Number.NaN, null]]
  for (const [multiplier, percent] of cases) assert.equal(multiplierPercent(multiplier), percent, String(multiplier))
})

test('computePaidAtTill: the order less the coupon, less the level’s percent off what is left, rounded down', () => {
  const cases: [string, number, number, number, number, number][] = [
    ['满100减20 on ¥128, no level discount', 12_800, 2_000, 0, 0, 10_800],
    ['满100减20 on ¥128 at 5% off: 108 − 5.40', 12_800, 2_000, 5, 540, 10_260],
    ['no coupon at 10% off', 10_000, 0, 10, 1_000, 9_000],
    ['the level discount rounds down: 5% of ¥0.99', 99, 0, 5, 4, 95],
    ['a coupon worth the whole order leaves nothing', 1_000, 1_000, 5, 0, 0],
    ['nothing ordered', 0, 0, 5, 0, 0],
  ]
  for (const [name, order, coupon, percent, level, paid] of cases) assert.deepEqual(computePaidAtTill(order, coupon, percent), { level_discount: level, paid }, name)
  assert.throws(() => computePaidAtTill(-1, 0, 0), RangeError)
})

test('computeSpendPoints: per ¥1 times the multiplier, rounded down, at the boundaries', () => {
  const cases: [string, number, number, number, number][] = [
    ['¥1 at 1 per ¥1', 100, 1, 100, 1],
    ['99 fen earns nothing', 99, 1, 100, 0],
    ['¥9.99 earns 9', 999, 1, 100, 9],
    ['0 fen', 0, 1, 100, 0],
    ['1.5x of ¥99.99 = 149.985 → 149', 9999, 1, 150, 149],
    ['1.5x of ¥100 = 150', 10000, 1, 150, 150],
    ['1.15x of ¥100 = 115 (floats say 114.99…)', 10000, 1, 115, 115],
    ['2 per ¥1 at 1.5x of ¥0.67 = 2.01 → 2', 67, 2, 150, 2],
    ['no points per yuan', 10000, 0, 200, 0],
    ['0x multiplier', 10000, 1, 0, 0],
    ['huge orders stay exact', 9_007_199_254_740_991, 3, 115, 310_748_374_288_564],
  ]
  for (const [name, amount, perYuan, percent, expected] of cases) assert.equal(computeSpendPoints(amount, perYuan, percent), expected, name)
  assert.equal(computeSpendGrowth(12345, 2), 246)
  assert.throws(() => computeSpendPoints(-1, 1), RangeError)
  assert.throws(() => computeSpendPoints(1.5, 1), RangeError)
})

test('computeLotExpiry: end of year (+N), N days, never; in the merchant zone', () => {
  const at = (rule: PointsExpiryRule, iso: string, tz = SH) => {
    const expiry = computeLotExpiry(rule, Date.parse(iso), tz)
    return expiry === null ? null : formatInstant(expiry, tz)
  }
  assert.equal(at({ type: 'never' }, '2026-06-01T10:00:00+08:00'), null)
  assert.equal(at({ type: 'end_of_year', years_after: 0 }, '2026-06-01T10:00:00+08:00'), '2027-01-01T00:00:00+08:00')
  assert.equal(at({ type: 'end_of_year', years_after: 1 }, '2026-06-01T10:00:00+08:00'), '2028-01-01T00:00:00+08:00')
  assert.equal(at({ type: 'end_of_year', years_after: 1 }, '2026-01-01T00:00:00+08:00'), '2028-01-01T00:00:00+08:00', 'first instant of the year')
  assert.equal(at({ type: 'end_of_year', years_after: 1 }, '2026-12-31T23:59:59+08:00'), '2028-01-01T00:00:00+08:00', 'last second of the year')
  // 2026-12-31 16:00 UTC is 2027-01-01 in Shanghai: the points belong to 2027.
  assert.equal(at({ type: 'end_of_year', years_after: 1 }, '2026-12-31T16:00:00Z'), '2029-01-01T00:00:00+08:00')
  assert.equal(at({ type: 'days', days: 1 }, '2026-06-01T23:30:00+08:00'), '2026-06-02T00:00:00+08:00', 'day 1 is the day earned')
  assert.equal(at({ type: 'days', days: 365 }, '2026-06-01T10:00:00+08:00'), '2027-06-01T00:00:00+08:00')
  assert.equal(at({ type: 'days', days: 30 }, '2026-03-01T12:00:00-05:00', 'America/New_York'), '2026-03-31T00:00:00-04:00', 'across the DST change')
})

const lot = (id: string, remaining: number, expires_at: number | null): PointsLot => ({ id, remaining, expires_at })

test('compareLots: soonest-expiring first, never-expiring last, then the oldest', () => {
  const lots = [lot('e', 1, null), lot('d', 1, null), lot('c', 1, 300), lot('b', 1, 100), lot('a', 1, 300)]
  assert.deepEqual([...lots].sort(compareLots).map((l) => l.id), ['b', 'a', 'c', 'd', 'e'])
})

test('allocateBurn: oldest lots first, exactly to the balance, refusing one point more', () => {
  const lots = [lot('l3', 30, 3000), lot('l1', 10, 1000), lot('l2', 20, 2000), lot('empty', 0, 500), lot('forever', 5, null)]
  const takes = (amount: number, first?: string) => {
    const r = allocateBurn(lots, amount, first)
    return r.ok ? r.takes.map((t) => `${t.id}:${t.take}`) : r.error
  }
  assert.deepEqual(takes(0), [])
  assert.deepEqual(takes(1), ['l1:1'])
  assert.deepEqual(takes(10), ['l1:10'])
  assert.deepEqual(takes(11), ['l1:10', 'l2:1'])
  assert.deepEqual(takes(60), ['l1:10', 'l2:20', 'l3:30'])
  assert.deepEqual(takes(65), ['l1:10', 'l2:20', 'l3:30', 'forever:5'])
  assert.equal(takes(66), 'insufficient_points')
  assert.deepEqual(takes(25, 'l3'), ['l3:25'], 'a refund takes its own lot first')
  assert.deepEqual(takes(35, 'l3'), ['l3:30', 'l1:5'])
  assert.deepEqual(takes(5, 'gone'), ['l1:5'], 'an unknown or empty first lot changes nothing')
  assert.deepEqual(takes(5, 'empty'), ['l1:5'])
  const failed = allocateBurn(lots, 66)
  assert.ok(!failed.ok && /has 65 points; 66 are needed/.test(failed.detail))
})

test('computeExpiry: lots expired by now that still hold points, at the exact instant', () => {
  const lots = [lot('a', 10, 1000), lot('b', 0, 1000), lot('c', 7, 1001), lot('d', 3, null), lot('e', 4, 999)]
  assert.deepEqual(computeExpiry(lots, 998), { lots: [], points: 0 })
  assert.deepEqual(computeExpiry(lots, 1000).lots.map((l) => l.id), ['e', 'a'])
  assert.equal(computeExpiry(lots, 1000).points, 14)
  assert.equal(computeExpiry(lots, 1001).points, 21)
  assert.equal(computeExpiry(lots, Number.MAX_SAFE_INTEGER).points, 21, 'never-expiring points never expire')
})

const order = (overrides: Partial<OrderAccount> = {}): OrderAccount => ({
  order_amount: 10000, refunded_amount: 0, points_earned: 150, points_reversed: 0, growth_earned: 100, growth_reversed: 0, stored_value_paid: 0, stored_value_returned: 0, ...overrides,
})
const rich = { points_balance: 1_000_000, growth: 1_000_000 }

test('computeOrderRefund: a full refund takes back exactly what the order earned', () => {
  const r = computeOrderRefund(order({ stored_value_paid: 6000 }), 10000, rich)
  assert.ok(r.ok)
  assert.deepEqual(r.refund, { points: 150, points_unrecovered: 0, growth: 100, growth_unrecovered: 0, stored_value: 6000 })
})

test('computeOrderRefund: partial refunds in proportion, rounded down, adding up to the whole', () => {
  // 150 points over ¥100: refunding ¥33.33 three times then the last cent.
  let account = order({ stored_value_paid: 3333 })
  const taken: number[] = []
  const returned: number[] = []
  for (const amount of [3333, 3333, 3333, 1]) {
    const r = computeOrderRefund(account, amount, rich)
    assert.ok(r.ok)
    taken.push(r.refund.points)
    returned.push(r.refund.stored_value)
    account = {
      ...account,
      refunded_amount: account.refunded_amount + amount,
      points_reversed: account.points_reversed + r.refund.points + r.refund.points_unrecovered,
      growth_reversed: account.growth_reversed + r.refund.growth + r.refund.growth_unrecovered,
      stored_value_returned: account.stored_value_returned + r.refund.stored_value,
    }
  }
  assert.deepEqual(taken, [49, 50, 50, 1])
  assert.equal(taken.reduce((a, b) => a + b), 150)
  assert.equal(returned.reduce((a, b) => a + b), 3333)
  assert.equal(account.growth_reversed, 100)
})

test('computeOrderRefund: spent points are not recovered below zero; growth not below zero', () => {
  const r = computeOrderRefund(order(), 10000, { points_balance: 40, growth: 30 })
  assert.ok(r.ok)
  assert.deepEqual(r.refund, { points: 40, points_unrecovered: 110, growth: 30, growth_unrecovered: 70, stored_value: 0 })
  const none = computeOrderRefund(order(), 10000, { points_balance: 0, growth: 0 })
  assert.ok(none.ok)
  assert.equal(none.refund.points, 0)
  assert.equal(none.refund.points_unrecovered, 150)
})

test('computeOrderRefund: never more than what is left of the order', () => {
  const cases: [Partial<OrderAccount>, number, boolean][] = [
    [{}, 10000, true],
    [{}, 10001, false],
    [{ refunded_amount: 9999 }, 1, true],
    [{ refunded_amount: 9999 }, 2, false],
    [{ refunded_amount: 10000 }, 1, false],
    [{}, 0, false],
    [{ order_amount: 0, points_earned: 0 }, 1, false],
  ]
  for (const [overrides, amount, ok] of cases) {
    const r = computeOrderRefund(order(overrides), amount, rich)
    assert.equal(r.ok, ok, `${JSON.stringify(overrides)} refund ${amount}`)
    if (!r.ok) assert.equal(r.error, 'refund_exceeds_order')
  }
})
