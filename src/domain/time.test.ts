import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  addCalendarDays, addLocalDays, canonicalTimeZone, formatInstant, isValidTimeZone, parseInstant,
  zonedParts, zonedStartOfDay,
} from './time.ts'

const at = (iso: string): number => {
  const t = parseInstant(iso)
  assert.notEqual(t, null, iso)
  return t as number
}

test('isValidTimeZone', () => {
  const cases: [string, boolean][] = [
    ['Asia/Shanghai', true], ['UTC', true], ['America/New_York', true], ['asia/shanghai', true],
    ['Mars/Olympus', false], ['', false], ['+08:00', false], ['-05:00', false], ['Asia/Shanghai ', false],
  ]
  for (const [tz, expected] of cases) assert.equal(isValidTimeZone(tz), expected, tz)
  assert.equal(canonicalTimeZone('asia/shanghai'), 'Asia/Shanghai')
})

test('zonedParts reads the local calendar, weekday 1=Mon..7=Sun', () => {
  const cases: [string, string, Partial<ReturnType<typeof zonedParts>>][] = [
    // Sunday evening in UTC is already Monday morning in Shanghai.
    ['2026-11-22T20:00:00Z', 'UTC', { year: 2026, month: 11, day: 22, hour: 20, weekday: 7 }],
    ['2026-11-22T20:00:00Z', 'Asia/Shanghai', { year: 2026, month: 11, day: 23, hour: 4, weekday: 1 }],
    ['2026-11-23T15:30:00Z', 'Asia/Shanghai', { day: 23, hour: 23, minute: 30, weekday: 1 }],
    ['2026-12-31T16:00:00Z', 'Asia/Shanghai', { year: 2027, month: 1, day: 1, hour: 0, weekday: 5 }],
    ['2026-01-01T00:00:00Z', 'America/New_York', { year: 2025, month: 12, day: 31, hour: 19, weekday: 3 }],
    ['2026-03-08T07:00:00Z', 'America/New_York', { hour: 3, minute: 0, second: 0 }], // just after spring-forward
    ['2026-11-01T06:30:45Z', 'America/New_York', { hour: 1, minute: 30, second: 45 }], // second 01:30
  ]
  for (const [iso, tz, expected] of cases) {
    const p = zonedParts(at(iso), tz)
    for (const [k, v] of Object.entries(expected)) assert.equal(p[k as keyof typeof p], v, `${iso} ${tz} ${k}`)
  }
})

test('zonedStartOfDay is the first instant of the local date, DST included', () => {
  const cases: [number, number, number, string, string][] = [
    [2026, 11, 23, 'Asia/Shanghai', '2026-11-23T00:00:00+08:00'],
    [2026, 11, 23, 'UTC', '2026-11-23T00:00:00+00:00'],
    [2026, 3, 8, 'America/New_York', '2026-03-08T00:00:00-05:00'], // spring-forward day (gap at 02:00)
    [2026, 3, 9, 'America/New_York', '2026-03-09T00:00:00-04:00'],
    [2026, 11, 1, 'America/New_York', '2026-11-01T00:00:00-04:00'], // fall-back day (01:00 twice)
    [2026, 11, 2, 'America/New_York', '2026-11-02T00:00:00-05:00'],
    [2026, 3, 29, 'Europe/London', '2026-03-29T00:00:00+00:00'],
    [2026, 10, 25, 'Europe/London', '2026-10-25T00:00:00+01:00'],
    // Midnight does not exist: the clocks jump from 00:00 to 01:00.
    [2026, 9, 6, 'America/Santiago', '2026-09-06T01:00:00-03:00'],
    [2026, 3, 8, 'America/Havana', '2026-03-08T01:00:00-04:00'],
    // Midnight happens twice (01:00 falls back to 00:00): the earlier one.
    [2026, 11, 1, 'America/Havana', '2026-11-01T00:00:00-04:00'],
    // 23:00 is repeated the evening before: midnight is unique.
    [2026, 4, 5, 'America/Santiago', '2026-04-05T00:00:00-04:00'],
    [2026, 5, 1, 'Asia/Kathmandu', '2026-05-01T00:00:00+05:45'],
  ]
  for (const [y, m, d, tz, expected] of cases) {
    const start = zonedStartOfDay(y, m, d, tz)
    assert.equal(formatInstant(start, tz), expected, `${y}-${m}-${d} ${tz}`)
    // The second before belongs to the previous local date.
    const before = zonedParts(start - 1000, tz)
    assert.notEqual(`${before.year}-${before.month}-${before.day}`, `${y}-${m}-${d}`, `${y}-${m}-${d} ${tz} previous second`)
  }
})

test('addLocalDays and addCalendarDays cross months, years and leap days', () => {
  const cases: [string, string, number, [number, number, number]][] = [
    ['2026-01-31T12:00:00+08:00', 'Asia/Shanghai', 1, [2026, 2, 1]],
    ['2026-12-31T12:00:00+08:00', 'Asia/Shanghai', 1, [2027, 1, 1]],
    ['2028-02-28T12:00:00+08:00', 'Asia/Shanghai', 1, [2028, 2, 29]],
    ['2027-02-28T12:00:00+08:00', 'Asia/Shanghai', 1, [2027, 3, 1]],
    ['2026-11-23T23:30:00+08:00', 'Asia/Shanghai', 0, [2026, 11, 23]],
    ['2026-11-23T23:30:00+08:00', 'UTC', 0, [2026, 11, 23]],
    ['2026-11-24T01:00:00+08:00', 'UTC', 0, [2026, 11, 23]], // still the 23rd in UTC
    ['2026-03-01T00:00:00+08:00', 'Asia/Shanghai', -1, [2026, 2, 28]],
    ['2026-03-07T12:00:00-05:00', 'America/New_York', 365, [2027, 3, 7]],
  ]
  for (const [iso, tz, days, [year, month, day]] of cases) {
    assert.deepEqual(addLocalDays(at(iso), days, tz), { year, month, day }, `${iso} ${tz} +${days}`)
  }
  assert.deepEqual(addCalendarDays({ year: 2026, month: 12, day: 25 }, 10), { year: 2027, month: 1, day: 4 })
})

test('formatInstant writes the zone offset at that instant, never Z', () => {
  const cases: [string, string, string][] = [
    ['2026-11-23T02:00:00Z', 'Asia/Shanghai', '2026-11-23T10:00:00+08:00'],
    ['2026-11-23T02:00:00Z', 'UTC', '2026-11-23T02:00:00+00:00'],
    ['2026-11-23T02:00:00.999Z', 'UTC', '2026-11-23T02:00:00+00:00'], // seconds precision, truncated
    ['2026-07-01T12:00:00Z', 'America/New_York', '2026-07-01T08:00:00-04:00'],
    ['2026-01-01T12:00:00Z', 'America/New_York', '2026-01-01T07:00:00-05:00'],
    ['2026-01-01T12:00:00Z', 'Asia/Kolkata', '2026-01-01T17:30:00+05:30'],
    ['2026-07-01T12:00:00Z', 'Europe/London', '2026-07-01T13:00:00+01:00'],
    ['2026-07-01T12:00:00Z', 'America/St_Johns', '2026-07-01T09:30:00-02:30'],
  ]
  for (const [iso, tz, expected] of cases) {
    assert.equal(formatInstant(at(iso), tz), expected)
    assert.equal(parseInstant(expected), Math.floor(at(iso) / 1000) * 1000, `round trip ${expected}`)
  }
})

test('parseInstant needs an explicit offset and a real date', () => {
  const cases: [string, number | null][] = [
    ['2026-11-23T10:00:00+08:00', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-23T02:00:00Z', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-23T02:00:00z', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-23T02:00Z', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-23T10:00:00.123+08:00', Date.UTC(2026, 10, 23, 2, 0, 0, 123)],
    ['2026-11-23T10:00:00.123456789+08:00', Date.UTC(2026, 10, 23, 2, 0, 0, 123)],
    ['2026-11-23T10:00:00.5+08:00', Date.UTC(2026, 10, 23, 2, 0, 0, 500)],
    ['2026-11-23T10:00:00+0800', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-23T10:00:00+08', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-22T21:00:00-05:00', Date.UTC(2026, 10, 23, 2)],
    ['2026-11-23 10:00:00+08:00', Date.UTC(2026, 10, 23, 2)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2026-11-23T10:00:00', null], // no offset: ambiguous
    ['2026-11-23', null],
    ['2027-02-29T00:00:00Z', null],
    ['2026-13-01T00:00:00Z', null],
    ['2026-04-31T00:00:00Z', null],
    ['2026-11-23T24:00:00Z', null],
    ['2026-11-23T23:60:00Z', null],
    ['2026-11-23T23:59:60Z', null],
    ['2026-11-23T10:00:00+24:00', null],
    ['not a date', null],
    ['', null],
  ]
  for (const [iso, expected] of cases) assert.equal(parseInstant(iso), expected, iso)
})

test('zonedParts (offsets remembered per quarter hour) agrees with Intl, transitions included', () => {
  const zones = ['Asia/Shanghai', 'Europe/London', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia', 'Africa/Casablanca', 'America/Havana', 'Europe/Dublin', 'Europe/Amsterdam']
  const formats = new Map(zones.map((tz) => [tz, new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })]))
  const oracle = (t: number, tz: string) => {
    const parts = Object.fromEntries(formats.get(tz)!.formatToParts(t).map((p) => [p.type, Number(p.value)]))
    return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second }
  }
  const check = (t: number, tz: string) => {
    const { weekday, ...got } = zonedParts(t, tz)
    assert.deepEqual(got, oracle(t, tz), `${tz} at ${new Date(t).toISOString()}`)
    assert.equal(weekday, ((new Date(Date.UTC(got.year, got.month - 1, got.day)).getUTCDay() + 6) % 7) + 1)
  }
  // Changes that fall inside a quarter hour (local mean time ending; Amsterdam's +00:19:32 becoming +00:20).
  for (const [tz, iso] of [['Asia/Shanghai', '1900-12-31T15:54:17Z'], ['Europe/Amsterdam', '1937-06-30T23:40:28Z']] as const) {
    for (let t = Date.parse(iso) - 10 * 60_000; t < Date.parse(iso) + 10 * 60_000; t += 1000) check(t, tz)
  }
  // Through 2026 every 37 minutes and 13 seconds (so every quarter hour’s position is met), every 7 s
  // around each of the year's transitions, and a random sample from 1950 to 2060; each zone.
  const minute = 60_000
  for (const tz of zones) {
    let previous = zonedParts(Date.UTC(2026, 0, 1), tz)
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 37 * minute + 13_000) {
      check(t, tz)
      const now = zonedParts(t, tz)
      const jumped = Math.abs((now.hour * 60 + now.minute) - (previous.hour * 60 + previous.minute) - 37) % 1440 > 1
      if (jumped) for (let s = t - 40 * minute; s <= t; s += 7000) check(s, tz)
      previous = now
    }
    for (let i = 0; i < 500; i++) check(Date.UTC(1950, 0, 1) + Math.floor(Math.random() * 110 * 365.25 * 86_400_000), tz)
  }
})
