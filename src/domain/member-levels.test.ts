import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  birthdayIn, decideUpgrade, evaluateLevelReview, followingBirthdayStart, levelForGrowth, nextBirthdayStart, nextReviewAt, parseBirthday, validateLevels,
  type LevelThreshold, type ReviewPeriod,
} from './member-levels.ts'
import { formatInstant } from './time.ts'

const LEVELS: LevelThreshold[] = [
  { name: 'Member', min_growth: 0 },
  { name: 'Silver', min_growth: 1000 },
  { name: 'Gold', min_growth: 5000 },
]
const SH = 'Asia/Shanghai'

test('levelForGrowth: the highest level whose threshold is reached, at each boundary', () => {
  const cases: [number, number][] = [[0, 0], [999, 0], [1000, 1], [1001, 1], [4999, 1], [5000, 2], [10 ** 12, 2]]
  for (const [growth, level] of cases) assert.equal(levelForGrowth(LEVELS, growth), level, `growth ${growth}`)
})

test('decideUpgrade: only up, several levels at once, never down between reviews', () => {
  const cases: [number, number, number | null][] = [
    [0, 999, null],
    [0, 1000, 1],
    [0, 5000, 2],
    [1, 5000, 2],
    [2, 0, null],
    [2, 1200, null],
    [1, 1000, null],
  ]
  for (const [current, growth, expected] of cases) assert.equal(decideUpgrade(LEVELS, current, growth), expected, `${current} at ${growth}`)
})

test('evaluateLevelReview: the period growth sets the level, up or down', () => {
  const cases: [number, number, number, string][] = [
    [2, 4999, 1, 'down'],
    [2, 999, 0, 'down'],
    [2, 5000, 2, 'same'],
    [0, 0, 0, 'same'],
    [0, 1000, 1, 'up'],
  ]
  for (const [current, growth, level, change] of cases) assert.deepEqual(evaluateLevelReview(LEVELS, current, growth), { level, change }, `${current} with ${growth}`)
})

test('validateLevels: first at 0, strictly rising, distinct names, at most 5', () => {
  const codes = (levels: LevelThreshold[]) => validateLevels(levels).map((e) => `${e.code}@${e.field}`)
  assert.deepEqual(codes(LEVELS), [])
  assert.deepEqual(codes([{ name: 'Only', min_growth: 0 }]), [])
  assert.deepEqual(codes([{ name: 'A', min_growth: 1 }]), ['first_level_growth@levels[0].min_growth'])
  assert.deepEqual(codes([{ name: 'A', min_growth: 0 }, { name: 'B', min_growth: 0 }]), ['not_increasing@levels[1].min_growth'])
  assert.deepEqual(codes([{ name: 'A', min_growth: 0 }, { name: 'B', min_growth: 10 }, { name: 'C', min_growth: 9 }]), ['not_increasing@levels[2].min_growth'])
  assert.deepEqual(codes([{ name: 'Gold', min_growth: 0 }, { name: ' gold ', min_growth: 10 }]), ['duplicate@levels[1].name'])
  const six = Array.from({ length: 6 }, (_, i) => ({ name: `L${i}`, min_growth: i * 10 }))
  assert.deepEqual(codes(six), ['count@levels'])
  assert.deepEqual(codes(six.slice(0, 5)), [])
  assert.deepEqual(codes([]), ['count@levels'])
})

test('nextReviewAt: the start of the next calendar period in the merchant zone', () => {
  const at = (iso: string, period: ReviewPeriod, tz = SH) => {
    const next = nextReviewAt(period, Date.parse(iso), tz)
    return next === null ? null : formatInstant(next, tz)
  }
  assert.equal(at('2026-06-15T12:00:00+08:00', 'none'), null)
  assert.equal(at('2026-06-15T12:00:00+08:00', 'yearly'), '2027-01-01T00:00:00+08:00')
  assert.equal(at('2026-01-01T00:00:00+08:00', 'yearly'), '2027-01-01T00:00:00+08:00', 'the first instant of a year belongs to that year')
  assert.equal(at('2026-12-31T23:59:59+08:00', 'yearly'), '2027-01-01T00:00:00+08:00')
  // 2026-12-31 16:00 UTC is already 2027 in Shanghai.
  assert.equal(at('2026-12-31T16:00:00Z', 'yearly'), '2028-01-01T00:00:00+08:00')
  assert.equal(at('2026-03-31T23:59:59+08:00', 'quarterly'), '2026-04-01T00:00:00+08:00')
  assert.equal(at('2026-04-01T00:00:00+08:00', 'quarterly'), '2026-07-01T00:00:00+08:00')
  assert.equal(at('2026-11-05T00:00:00+08:00', 'quarterly'), '2027-01-01T00:00:00+08:00')
  assert.equal(at('2026-06-30T10:00:00+08:00', 'half_yearly'), '2026-07-01T00:00:00+08:00')
  assert.equal(at('2026-07-01T10:00:00+08:00', 'half_yearly'), '2027-01-01T00:00:00+08:00')
  assert.equal(at('2026-12-15T10:00:00+08:00', 'monthly'), '2027-01-01T00:00:00+08:00')
  assert.equal(at('2026-02-15T10:00:00+08:00', 'monthly'), '2026-03-01T00:00:00+08:00')
  assert.equal(at('2026-06-15T12:00:00-04:00', 'yearly', 'America/New_York'), '2027-01-01T00:00:00-05:00')
})

test('birthdays: 29 February falls on the 28th in common years; the next one on or after a date', () => {
  assert.deepEqual(birthdayIn(2027, 2, 29), { year: 2027, month: 2, day: 28 })
  assert.deepEqual(birthdayIn(2028, 2, 29), { year: 2028, month: 2, day: 29 })
  assert.deepEqual(birthdayIn(2100, 2, 29), { year: 2100, month: 2, day: 28 })
  assert.deepEqual(birthdayIn(2000, 2, 29), { year: 2000, month: 2, day: 29 })
  const next = (month: number, day: number, from: [number, number, number]) =>
    formatInstant(nextBirthdayStart(month, day, { year: from[0], month: from[1], day: from[2] }, SH), SH)
  assert.equal(next(5, 20, [2026, 5, 20]), '2026-05-20T00:00:00+08:00', 'on the birthday itself')
  assert.equal(next(5, 20, [2026, 5, 21]), '2027-05-20T00:00:00+08:00', 'the day after')
  assert.equal(next(5, 20, [2026, 5, 19]), '2026-05-20T00:00:00+08:00')
  assert.equal(next(2, 29, [2027, 1, 1]), '2027-02-28T00:00:00+08:00')
  assert.equal(next(2, 29, [2027, 3, 1]), '2028-02-29T00:00:00+08:00')
  assert.equal(next(1, 1, [2026, 12, 31]), '2027-01-01T00:00:00+08:00')
  const given = Date.parse('2027-02-28T00:00:00+08:00')
  assert.equal(formatInstant(followingBirthdayStart(2, 29, given, SH), SH), '2028-02-29T00:00:00+08:00')
  assert.equal(formatInstant(followingBirthdayStart(12, 31, Date.parse('2026-12-31T00:00:00+08:00'), SH), SH), '2027-12-31T00:00:00+08:00')
})

test('parseBirthday: real calendar dates only', () => {
  assert.deepEqual(parseBirthday('1990-05-20'), { year: 1990, month: 5, day: 20 })
  assert.deepEqual(parseBirthday('2000-02-29'), { year: 2000, month: 2, day: 29 })
  for (const bad of ['1999-02-29', '1990-13-01', '1990-00-10', '1990-04-31', '1990-4-1', '19900501', '', '1990-05-20T00:00:00Z']) {
    assert.equal(parseBirthday(bad), null, bad)
  }
})
