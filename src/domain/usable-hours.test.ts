import { test } from 'node:test'
import assert from 'node:assert/strict'
import { describeUsableHours, isWithinUsableHours, validateUsableHours } from './usable-hours.ts'
import { parseInstant } from './time.ts'
import type { UsableWindow } from './types.ts'

const at = (iso: string): number => {
  const t = parseInstant(iso)
  assert.notEqual(t, null, iso)
  return t as number
}
const SH = 'Asia/Shanghai'
// 2026-11-23 is a Monday; 2026-11-27 a Friday.
const weekdays10to22: UsableWindow[] = [{ days: [1, 2, 3, 4, 5], start: '10:00', end: '22:00' }]
const fridayNight: UsableWindow[] = [{ days: [5], start: '22:00', end: '02:00' }]
const sundayNight: UsableWindow[] = [{ days: [7], start: '22:00', end: '02:00' }]
const mondayAllDay: UsableWindow[] = [{ days: [1], start: '00:00', end: '24:00' }]
const mondayToMidnight: UsableWindow[] = [{ days: [1], start: '18:00', end: '24:00' }]
const lunchAndDinner: UsableWindow[] = [
  { days: [1, 2, 3, 4, 5, 6, 7], start: '11:00', end: '14:00' },
  { days: [6, 7], start: '17:00', end: '21:00' },
]

test('isWithinUsableHours: start inclusive, end exclusive, midnight crossing, store zone', () => {
  const cases: [string, UsableWindow[] | null, string, string, boolean][] = [
    ['no windows = always', null, '2026-11-23T03:00:00+08:00', SH, true],
    ['empty list = always', [], '2026-11-23T03:00:00+08:00', SH, true],
    ['1 s before start', weekdays10to22, '2026-11-23T09:59:59+08:00', SH, false],
    ['at start', weekdays10to22, '2026-11-23T10:00:00+08:00', SH, true],
    ['last second before end', weekdays10to22, '2026-11-23T21:59:59+08:00', SH, true],
    ['at end', weekdays10to22, '2026-11-23T22:00:00+08:00', SH, false],
    ['Saturday noon not a listed day', weekdays10to22, '2026-11-28T12:00:00+08:00', SH, false],
    ['Friday before a midnight-crossing window', fridayNight, '2026-11-27T21:59:59+08:00', SH, false],
    ['Friday at its start', fridayNight, '2026-11-27T22:00:00+08:00', SH, true],
    ['Friday 23:59:59', fridayNight, '2026-11-27T23:59:59+08:00', SH, true],
    ['Saturday 00:00 belongs to Friday', fridayNight, '2026-11-28T00:00:00+08:00', SH, true],
    ['Saturday 01:59:59 belongs to Friday', fridayNight, '2026-11-28T01:59:59+08:00', SH, true],
    ['Saturday 02:00 is its end', fridayNight, '2026-11-28T02:00:00+08:00', SH, false],
    ['Friday 01:00 would belong to Thursday', fridayNight, '2026-11-27T01:00:00+08:00', SH, false],
    ['Saturday 22:30: Saturday not listed', fridayNight, '2026-11-28T22:30:00+08:00', SH, false],
    ['Sunday night runs into Monday', sundayNight, '2026-11-23T01:00:00+08:00', SH, true],
    ['Monday night is not Sunday night', sundayNight, '2026-11-23T23:00:00+08:00', SH, false],
    ['24:00 end: 23:59:59 inside', mondayToMidnight, '2026-11-23T23:59:59+08:00', SH, true],
    ['24:00 end: next midnight outside', mondayToMidnight, '2026-11-24T00:00:00+08:00', SH, false],
    ['all day Monday: 00:00', mondayAllDay, '2026-11-23T00:00:00+08:00', SH, true],
    // 2026-11-22T20:00Z is Sunday in UTC but Monday 04:00 in Shanghai.
    ['weekday read in the store zone (Shanghai: Monday)', mondayAllDay, '2026-11-22T20:00:00Z', SH, true],
    ['same instant in UTC is Sunday', mondayAllDay, '2026-11-22T20:00:00Z', 'UTC', false],
    ['hours read in the store zone (New York 09:30)', weekdays10to22, '2026-11-23T14:30:00Z', 'America/New_York', false],
    ['hours read in the store zone (New York 10:30)', weekdays10to22, '2026-11-23T15:30:00Z', 'America/New_York', true],
    ['second window only on weekends: Saturday 18:00', lunchAndDinner, '2026-11-28T18:00:00+08:00', SH, true],
    ['second window only on weekends: Monday 18:00', lunchAndDinner, '2026-11-23T18:00:00+08:00', SH, false],
    ['first window every day: Monday 12:00', lunchAndDinner, '2026-11-23T12:00:00+08:00', SH, true],
    ['New York spring-forward day 03:00 is wall-clock', [{ days: [7], start: '03:00', end: '04:00' }], '2026-03-08T03:00:00-04:00', 'America/New_York', true],
  ]
  for (const [name, windows, iso, tz, expected] of cases) {
    assert.equal(isWithinUsableHours(windows, at(iso), tz), expected, name)
  }
})

test('validateUsableHours names each bad field', () => {
  const cases: [string, UsableWindow[] | null, [string, string][]][] = [
    ['null is fine', null, []],
    ['empty is fine', [], []],
    ['valid windows', [...weekdays10to22, ...fridayNight, ...mondayAllDay, { days: [1], start: '23:59', end: '24:00' }], []],
    ['crossing to 00:00 is fine', [{ days: [1], start: '22:00', end: '00:00' }], []],
    ['no days', [{ days: [], start: '10:00', end: '12:00' }], [['usable_hours[0].days', 'required']]],
    ['day 0', [{ days: [0, 1], start: '10:00', end: '12:00' }], [['usable_hours[0].days', 'invalid']]],
    ['day 8', [{ days: [8], start: '10:00', end: '12:00' }], [['usable_hours[0].days', 'invalid']]],
    ['fractional day', [{ days: [1.5], start: '10:00', end: '12:00' }], [['usable_hours[0].days', 'invalid']]],
    ['repeated day', [{ days: [1, 1], start: '10:00', end: '12:00' }], [['usable_hours[0].days', 'invalid']]],
    ['start 24:00', [{ days: [1], start: '24:00', end: '12:00' }], [['usable_hours[0].start', 'invalid']]],
    ['start without leading zero', [{ days: [1], start: '9:00', end: '12:00' }], [['usable_hours[0].start', 'invalid']]],
    ['start minute 60', [{ days: [1], start: '09:60', end: '12:00' }], [['usable_hours[0].start', 'invalid']]],
    ['end 24:01', [{ days: [1], start: '10:00', end: '24:01' }], [['usable_hours[0].end', 'invalid']]],
    ['end 25:00', [{ days: [1], start: '10:00', end: '25:00' }], [['usable_hours[0].end', 'invalid']]],
    ['start = end', [{ days: [1], start: '10:00', end: '10:00' }], [['usable_hours[0].end', 'invalid']]],
    ['00:00 to 00:00', [{ days: [1], start: '00:00', end: '00:00' }], [['usable_hours[0].end', 'invalid']]],
    ['several at once, second window', [...weekdays10to22, { days: [], start: 'x', end: '10:00 ' }], [
      ['usable_hours[1].days', 'required'], ['usable_hours[1].start', 'invalid'], ['usable_hours[1].end', 'invalid'],
    ]],
  ]
  for (const [name, windows, expected] of cases) {
    assert.deepEqual(validateUsableHours(windows).map((e) => [e.field, e.code]), expected, name)
  }
})

test('describeUsableHours shortens runs of days', () => {
  assert.equal(describeUsableHours([...weekdays10to22, { days: [6, 7], start: '22:00', end: '02:00' }]),
    'Mon-Fri 10:00-22:00; Sat,Sun 22:00-02:00')
  assert.equal(describeUsableHours([{ days: [7, 1, 3, 4, 5], start: '10:00', end: '11:00' }]), 'Mon,Wed-Fri,Sun 10:00-11:00')
})
