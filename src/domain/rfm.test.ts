import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ageBand, ageOn, DEFAULT_RFM_THRESHOLDS, genderOf, rfmWindowStart, scoreRfm, validateRfmThresholds, type RfmSegment } from './rfm.ts'

const DAY = 86_400_000
const NOW = Date.UTC(2030, 5, 15, 12)
const T = DEFAULT_RFM_THRESHOLDS

test('the defaults follow the seed table: 30 days, 3 orders, ¥500 within a year', () => {
  assert.deepEqual({ ...T }, { window_days: 365, recency_days: 30, frequency: 3, monetary: 50_000 })
  assert.equal(rfmWindowStart(T, NOW), NOW - 365 * DAY)
})

test('each combination of high and low recency, frequency and monetary falls in its segment', () => {
  const cases: [string, { daysAgo: number; orders: number; spend: number }, RfmSegment][] = [
    ['recent, frequent, big', { daysAgo: 1, orders: 5, spend: 80_000 }, 'high_value'],
    ['recent, seldom, big', { daysAgo: 1, orders: 1, spend: 80_000 }, 'potential'],
    ['lapsed, frequent, big', { daysAgo: 90, orders: 5, spend: 80_000 }, 'at_risk'],
    ['lapsed, seldom, big', { daysAgo: 90, orders: 2, spend: 80_000 }, 'win_back'],
    ['recent, frequent, small', { daysAgo: 3, orders: 4, spend: 9_000 }, 'loyal'],
    ['recent, seldom, small', { daysAgo: 3, orders: 1, spend: 9_000 }, 'promising'],
    ['lapsed, frequent, small', { daysAgo: 200, orders: 3, spend: 9_000 }, 'needs_attention'],
    ['lapsed, seldom, small', { daysAgo: 200, orders: 1, spend: 100 }, 'hibernating'],
  ]
  for (const [label, input, segment] of cases) {
    const score = scoreRfm({ last_order_at: NOW - input.daysAgo * DAY, orders: input.orders, spend: input.spend }, T, NOW)
    assert.equal(score.segment, segment, label)
    assert.equal(score.recency_days, input.daysAgo, label)
  }
})

test('the thresholds are inclusive: exactly 30 days, 3 orders and 50000 fen score high', () => {
  const edge = scoreRfm({ last_order_at: NOW - 30 * DAY, orders: 3, spend: 50_000 }, T, NOW)
  assert.deepEqual([edge.r, edge.f, edge.m, edge.segment], ['high', 'high', 'high', 'high_value'])
  const below = scoreRfm({ last_order_at: NOW - 31 * DAY, orders: 2, spend: 49_999 }, T, NOW)
  assert.deepEqual([below.r, below.f, below.m, below.segment], ['low', 'low', 'low', 'hibernating'])
  // 30 days and 23 hours ago is still 30 whole days.
  assert.equal(scoreRfm({ last_order_at: NOW - 30 * DAY - 23 * 3_600_000, orders: 0, spend: 0 }, T, NOW).r, 'high')
})

test('a member without orders is no_orders; changed thresholds move members', () => {
  assert.equal(scoreRfm({ last_order_at: null, orders: 0, spend: 0 }, T, NOW).segment, 'no_orders')
  const member = { last_order_at: NOW - 10 * DAY, orders: 1, spend: 20_000 }
  assert.equal(scoreRfm(member, T, NOW).segment, 'promising')
  assert.equal(scoreRfm(member, { ...T, frequency: 1, monetary: 10_000 }, NOW).segment, 'high_value')
  assert.equal(scoreRfm(member, { ...T, recency_days: 7 }, NOW).segment, 'hibernating')
})

test('thresholds are checked field by field', () => {
  assert.deepEqual(validateRfmThresholds(T), [])
  const fields = (t: typeof T) => validateRfmThresholds(t).map((e) => e.field)
  assert.deepEqual(fields({ window_days: 0, recency_days: 0, frequency: 1, monetary: 1 }), ['window_days'])
  assert.deepEqual(fields({ window_days: 30, recency_days: 31, frequency: 0, monetary: 0 }), ['recency_days', 'frequency', 'monetary'])
})

test('age bands by whole years on the day, unknown without a birthday', () => {
  const today = { year: 2030, month: 6, day: 15 }
  const cases: [string | null, number | null, string][] = [
    [null, null, 'unknown'],
    ['not a date', null, 'unknown'],
    ['2012-06-16', 17, 'under_18'],
    ['2012-06-15', 18, '18_24'],
    ['2005-06-16', 24, '18_24'],
    ['2005-06-15', 25, '25_34'],
    ['1996-01-01', 34, '25_34'],
    ['1990-12-31', 39, '35_44'],
    ['1980-06-15', 50, '45_54'],
    ['1975-06-15', 55, '55_plus'],
    ['2031-01-01', null, 'unknown'],
  ]
  for (const [birthday, age, band] of cases) {
    assert.equal(ageOn(birthday, today), age, String(birthday))
    assert.equal(ageBand(birthday, today), band, String(birthday))
  }
})

test('genders the statistics know, anything else unknown', () => {
  assert.equal(genderOf('female'), 'female')
  assert.equal(genderOf('male'), 'male')
  assert.equal(genderOf('other'), 'other')
  assert.equal(genderOf('F'), 'unknown')
  assert.equal(genderOf(undefined), 'unknown')
})
