import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeCouponValidity, evaluateValidityWindow, usableValidityDays, validityLengthDays } from './validity.ts'
import { formatInstant, parseInstant } from './time.ts'
import type { Validity } from './types.ts'

const at = (iso: string): number => {
  const t = parseInstant(iso)
  assert.notEqual(t, null, iso)
  return t as number
}
const HOUR = 3_600_000

test('fixed_term: from the claim to the end of local day number `days`', () => {
  // [name, claimed at, merchant zone, days, start_after_days, valid_from, valid_until]
  const cases: [string, string, string, number, number, string, string][] = [
    ['1 day ends the same local day', '2026-11-23T10:00:00+08:00', 'Asia/Shanghai', 1, 0,
      '2026-11-23T10:00:00+08:00', '2026-11-23T23:59:59+08:00'],
    // 15:30Z is 23:30 on the 23rd in Shanghai: the coupon ends at Shanghai's midnight, not the server's (UTC).
    ['claim late evening in Shanghai counts as that day', '2026-11-23T15:30:00Z', 'Asia/Shanghai', 1, 0,
      '2026-11-23T23:30:00+08:00', '2026-11-23T23:59:59+08:00'],
    ['same instant, merchant in UTC', '2026-11-23T15:30:00Z', 'UTC', 1, 0,
      '2026-11-23T15:30:00+00:00', '2026-11-23T23:59:59+00:00'],
    ['claim just after local midnight (still the 23rd in UTC)', '2026-11-24T00:10:00+08:00', 'Asia/Shanghai', 1, 0,
      '2026-11-24T00:10:00+08:00', '2026-11-24T23:59:59+08:00'],
    ['3 days', '2026-11-23T23:30:00+08:00', 'Asia/Shanghai', 3, 0,
      '2026-11-23T23:30:00+08:00', '2026-11-25T23:59:59+08:00'],
    ['across a month end', '2026-01-30T10:00:00+08:00', 'Asia/Shanghai', 3, 0,
      '2026-01-30T10:00:00+08:00', '2026-02-01T23:59:59+08:00'],
    ['across a year end', '2026-12-30T12:00:00+08:00', 'Asia/Shanghai', 5, 0,
      '2026-12-30T12:00:00+08:00', '2027-01-03T23:59:59+08:00'],
    ['into a leap day', '2028-02-27T08:00:00+08:00', 'Asia/Shanghai', 3, 0,
      '2028-02-27T08:00:00+08:00', '2028-02-29T23:59:59+08:00'],
    ['over a leap day', '2028-02-28T08:00:00+08:00', 'Asia/Shanghai', 3, 0,
      '2028-02-28T08:00:00+08:00', '2028-03-01T23:59:59+08:00'],
    ['start_after_days 1 starts at the next local midnight', '2026-11-23T23:30:00+08:00', 'Asia/Shanghai', 1, 1,
      '2026-11-24T00:00:00+08:00', '2026-11-24T23:59:59+08:00'],
    ['start_after_days 2, 7 days, across a month', '2026-11-27T09:00:00+08:00', 'Asia/Shanghai', 7, 2,
      '2026-11-29T00:00:00+08:00', '2026-12-05T23:59:59+08:00'],
    ['start_after_days across a year', '2026-12-31T20:00:00+08:00', 'Asia/Shanghai', 1, 1,
      '2027-01-01T00:00:00+08:00', '2027-01-01T23:59:59+08:00'],
    // DST: a day is still a local calendar day, whatever its length.
    ['New York spring-forward day', '2026-03-08T00:30:00-05:00', 'America/New_York', 1, 0,
      '2026-03-08T00:30:00-05:00', '2026-03-08T23:59:59-04:00'],
    ['New York fall-back day', '2026-11-01T00:30:00-04:00', 'America/New_York', 1, 0,
      '2026-11-01T00:30:00-04:00', '2026-11-01T23:59:59-05:00'],
    ['New York, starting on the spring-forward day', '2026-03-07T15:00:00-05:00', 'America/New_York', 1, 1,
      '2026-03-08T00:00:00-05:00', '2026-03-08T23:59:59-04:00'],
    ['New York, starting on the fall-back day', '2026-10-31T15:00:00-04:00', 'America/New_York', 1, 1,
      '2026-11-01T00:00:00-04:00', '2026-11-01T23:59:59-05:00'],
    ['New York, 3 days over spring-forward', '2026-03-07T10:00:00-05:00', 'America/New_York', 3, 0,
      '2026-03-07T10:00:00-05:00', '2026-03-09T23:59:59-04:00'],
    ['London spring-forward', '2026-03-28T12:00:00+00:00', 'Europe/London', 2, 0,
      '2026-03-28T12:00:00+00:00', '2026-03-29T23:59:59+01:00'],
    ['London fall-back', '2026-10-24T12:00:00+01:00', 'Europe/London', 2, 0,
      '2026-10-24T12:00:00+01:00', '2026-10-25T23:59:59+00:00'],
    ['Santiago: the start day has no midnight', '2026-09-05T10:00:00-04:00', 'America/Santiago', 1, 1,
      '2026-09-06T01:00:00-03:00', '2026-09-06T23:59:59-03:00'],
    ['Santiago: the day after has no midnight', '2026-09-05T10:00:00-04:00', 'America/Santiago', 1, 0,
      '2026-09-05T10:00:00-04:00', '2026-09-05T23:59:59-04:00'],
  ]
  for (const [name, claimed, tz, days, after, from, until] of cases) {
    const v = computeCouponValidity({ type: 'fixed_term', days, start_after_days: after }, at(claimed), tz)
    assert.equal(formatInstant(v.valid_from, tz), from, `${name}: valid_from`)
    assert.equal(formatInstant(v.valid_until, tz), until, `${name}: valid_until`)
    assert.equal(v.valid_until % 1000, 0, `${name}: whole second`)
  }
})

test('fixed_term: DST days are 23 and 25 hours long', () => {
  const tz = 'America/New_York'
  const spring = computeCouponValidity({ type: 'fixed_term', days: 1, start_after_days: 1 }, at('2026-03-07T12:00:00-05:00'), tz)
  assert.equal(spring.valid_until + 1000 - spring.valid_from, 23 * HOUR)
  const fall = computeCouponValidity({ type: 'fixed_term', days: 1, start_after_days: 1 }, at('2026-10-31T12:00:00-04:00'), tz)
  assert.equal(fall.valid_until + 1000 - fall.valid_from, 25 * HOUR)
})

test('fixed_term: the claim instant is kept to the millisecond', () => {
  const claimed = at('2026-11-23T10:00:00.456+08:00')
  const v = computeCouponValidity({ type: 'fixed_term', days: 1, start_after_days: 0 }, claimed, 'Asia/Shanghai')
  assert.equal(v.valid_from, claimed)
})

test('fixed_range: begin_at to end_at truncated to the second, whatever the claim time', () => {
  const cases: [Validity, string, string][] = [
    [{ type: 'fixed_range', begin_at: '2026-11-01T00:00:00+08:00', end_at: '2026-11-30T23:59:59+08:00' },
      '2026-11-01T00:00:00+08:00', '2026-11-30T23:59:59+08:00'],
    [{ type: 'fixed_range', begin_at: '2026-11-01T00:00:00+08:00', end_at: '2026-11-30T23:59:59.999+08:00' },
      '2026-11-01T00:00:00+08:00', '2026-11-30T23:59:59+08:00'],
    [{ type: 'fixed_range', begin_at: '2026-10-31T16:00:00Z', end_at: '2026-11-30T15:59:59Z' },
      '2026-11-01T00:00:00+08:00', '2026-11-30T23:59:59+08:00'],
  ]
  for (const [validity, from, until] of cases) {
    const v = computeCouponValidity(validity, at('2026-11-15T12:00:00+08:00'), 'America/New_York')
    assert.equal(v.valid_from, at(from))
    assert.equal(v.valid_until, at(until))
  }
})

test('computeCouponValidity refuses terms validation rejects', () => {
  assert.throws(() => computeCouponValidity({ type: 'fixed_term', days: 0, start_after_days: 0 }, 0, 'UTC'), RangeError)
  assert.throws(() => computeCouponValidity({ type: 'fixed_range', begin_at: 'x', end_at: '2026-01-01T00:00:00Z' }, 0, 'UTC'), RangeError)
})

test('evaluateValidityWindow: valid through the whole last second', () => {
  const from = at('2026-11-23T10:00:00+08:00')
  const until = at('2026-11-23T23:59:59+08:00')
  const cases: [string, number, string][] = [
    ['1 ms before valid_from', from - 1, 'not_yet_valid'],
    ['at valid_from', from, 'valid'],
    ['in between', from + HOUR, 'valid'],
    ['at valid_until', until, 'valid'],
    ['valid_until + 999 ms', until + 999, 'valid'],
    ['valid_until + 1000 ms (local midnight)', until + 1000, 'expired'],
    ['a day later', until + 24 * HOUR, 'expired'],
  ]
  for (const [name, now, expected] of cases) assert.equal(evaluateValidityWindow(now, from, until), expected, name)
})

test('validityLengthDays counts fixed_range inclusively, fractions allowed', () => {
  const range = (begin_at: string, end_at: string): Validity => ({ type: 'fixed_range', begin_at, end_at })
  const cases: [Validity, number][] = [
    [{ type: 'fixed_term', days: 3, start_after_days: 5 }, 3],
    [range('2026-11-01T00:00:00+08:00', '2026-11-03T23:59:59+08:00'), 3],
    [range('2026-11-01T00:00:00+08:00', '2026-11-03T23:59:59.999+08:00'), 3],
    [range('2026-11-01T00:00:00+08:00', '2026-11-03T23:59:58+08:00'), 3 - 1 / 86400],
    [range('2026-11-01T00:00:00+08:00', '2026-11-01T11:59:59+08:00'), 0.5],
    [range('nope', '2026-11-01T11:59:59+08:00'), Number.NaN],
  ]
  for (const [validity, expected] of cases) assert.equal(validityLengthDays(validity), expected, JSON.stringify(validity))
})

test('usableValidityDays counts a fixed_range from now once it has begun', () => {
  const range = (begin_at: string, end_at: string): Validity => ({ type: 'fixed_range', begin_at, end_at })
  const now = Date.parse('2026-11-23T10:00:00+08:00')
  const cases: [string, Validity, number][] = [
    ['began ten days ago, ends in an hour', range('2026-11-13T00:00:00+08:00', '2026-11-23T10:59:59+08:00'), 1 / 24],
    ['began, three days left', range('2026-11-01T00:00:00+08:00', '2026-11-26T09:59:59+08:00'), 3],
    ['not begun: its whole length', range('2026-12-01T00:00:00+08:00', '2026-12-03T23:59:59+08:00'), 3],
    ['begins right now', range('2026-11-23T10:00:00+08:00', '2026-11-24T09:59:59+08:00'), 1],
    ['ended a day ago', range('2026-11-01T00:00:00+08:00', '2026-11-22T09:59:59+08:00'), -1],
    ['fixed_term: the term, each coupon from its claim', { type: 'fixed_term', days: 3, start_after_days: 0 }, 3],
    ['fixed_term starting later: still the term', { type: 'fixed_term', days: 3, start_after_days: 7 }, 3],
    ['unparseable', range('nope', '2026-11-23T10:59:59+08:00'), Number.NaN],
  ]
  for (const [name, validity, expected] of cases) assert.equal(usableValidityDays(validity, now), expected, name)
  // Without a "now", the whole range.
  assert.equal(usableValidityDays(range('2026-11-13T00:00:00+08:00', '2026-11-15T23:59:59+08:00'), null), 3)
})
