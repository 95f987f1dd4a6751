// Usable hours: the times of the week a coupon may be redeemed, read on the store's wall clock.

import type { FieldError, UsableWindow } from './types.ts'
import { zonedParts } from './time.ts'

const START_RE = /^([01]\d|2[0-3]):([0-5]\d)$/
const END_RE = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/
const MINUTES_PER_DAY = 1440
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** Minutes since midnight of "HH:MM" ("24:00" → 1440 for an end), or null when malformed. */
function minutesOf(hhmm: string, isEnd: boolean): number | null {
  const m = (isEnd ? END_RE : START_RE).exec(hhmm)
  if (m === null) return null
  const h = m[1] ?? m[3], mm = m[2] ?? m[4]
  return Number(h) * 60 + Number(mm)
}

/**
 * Whether an instant falls inside any window, on the wall clock of tz. null or [] = always usable.
 * Start is inclusive, end exclusive (minute resolution: 21:59:59 is before a 22:00 end). A window
 * whose end is earlier than its start crosses midnight and belongs to the day it starts: Friday
 * 22:00–02:00 covers Friday 22:00 through Saturday 01:59:59.
 */
export function isWithinUsableHours(windows: UsableWindow[] | null, instantMs: number, tz: string): boolean {
  if (windows === null || windows.length === 0) return true
  const p = zonedParts(instantMs, tz)
  const minute = p.hour * 60 + p.minute
  const yesterday = p.weekday === 1 ? 7 : p.weekday - 1
  for (const w of windows) {
    const start = minutesOf(w.start, false)
    const end = minutesOf(w.end, true)
    if (start === null || end === null) continue // never stored: validateUsableHours rejects it
    if (start < end) {
      if (w.days.includes(p.weekday) && minute >= start && minute < end) return true
    } else {
      // Crosses midnight: the evening part today, the early-morning part of a window begun yesterday.
      if (w.days.includes(p.weekday) && minute >= start) return true
      if (w.days.includes(yesterday) && minute < end) return true
    }
  }
  return false
}

export function validateUsableHours(windows: UsableWindow[] | null): FieldError[] {
  const errors: FieldError[] = []
  if (windows === null) return errors
  if (!Array.isArray(windows)) {
    return [{ field: 'usable_hours', code: 'invalid', message: 'usable_hours must be a list of windows' }]
  }
  windows.forEach((w, i) => {
    const at = `usable_hours[${i}]`
    const days: unknown = w?.days
    if (!Array.isArray(days) || days.length === 0) {
      errors.push({ field: `${at}.days`, code: 'required', message: 'days must list at least one weekday (1 = Monday … 7 = Sunday)' })
    } else if (!days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
      errors.push({ field: `${at}.days`, code: 'invalid', message: 'days must be weekdays from 1 (Monday) to 7 (Sunday)' })
    } else if (new Set(days).size !== days.length) {
      errors.push({ field: `${at}.days`, code: 'invalid', message: 'days must not repeat a weekday' })
    }
    const start = typeof w?.start === 'string' ? minutesOf(w.start, false) : null
    const end = typeof w?.end === 'string' ? minutesOf(w.end, true) : null
    if (start === null) {
      errors.push({ field: `${at}.start`, code: 'invalid', message: 'start must be a time "HH:MM" from 00:00 to 23:59' })
    }
    if (end === null) {
      errors.push({ field: `${at}.end`, code: 'invalid', message: 'end must be a time "HH:MM" from 00:00 to 24:00' })
    }
    if (start !== null && end !== null && start % MINUTES_PER_DAY === end % MINUTES_PER_DAY) {
      // 00:00–24:00 is a whole day and allowed; 10:00–10:00 would be empty or ambiguous.
      if (!(start === 0 && end === MINUTES_PER_DAY)) {
        errors.push({ field: `${at}.end`, code: 'invalid', message: 'end must differ from start' })
      }
    }
  })
  return errors
}

/** 'Mon-Fri 10:00-22:00; Sat,Sun 09:00-23:00' for messages a till can show. */
export function describeUsableHours(windows: UsableWindow[]): string {
  return windows.map((w) => `${describeDays(w.days)} ${w.start}-${w.end}`).join('; ')
}

function describeDays(days: number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b)
  const runs: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    const name = (d: number): string => DAY_NAMES[d - 1] ?? String(d)
    if (j - i >= 2) runs.push(`${name(sorted[i])}-${name(sorted[j])}`)
    else for (let k = i; k <= j; k++) runs.push(name(sorted[k]))
    i = j + 1
  }
  return runs.join(',')
}

export function weekdayName(weekday: number): string {
  return DAY_NAMES[weekday - 1] ?? String(weekday)
}
