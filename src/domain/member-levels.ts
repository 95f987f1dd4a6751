// Member levels by growth value. A member moves up as soon as their growth reaches a higher level;
// on a review (at the end of each configured period) the level is set afresh from the growth earned in
// the period just ended, which may move them down, and the growth count starts again from zero.

import type { FieldError } from './types.ts'
import { addCalendarDays, localDate, zonedStartOfDay, type LocalDate } from './time.ts'

export const MAX_LEVELS = 5

export interface LevelThreshold {
  name: string
  min_growth: number
}

/**
 * Levels must start at growth 0 (every member has a level), rise strictly and have distinct names
 * (a member's level is shown by name).
 */
export function validateLevels(levels: LevelThreshold[]): FieldError[] {
  const errors: FieldError[] = []
  if (levels.length < 1 || levels.length > MAX_LEVELS) {
    errors.push({ field: 'levels', code: 'count', message: `must have 1 to ${MAX_LEVELS} levels` })
  }
  if (levels.length > 0 && levels[0].min_growth !== 0) {
    errors.push({ field: 'levels[0].min_growth', code: 'first_level_growth', message: 'must be 0: the first level is where every member starts' })
  }
  const seen = new Set<string>()
  levels.forEach((level, i) => {
    if (i > 0 && level.min_growth <= levels[i - 1].min_growth) {
      errors.push({ field: `levels[${i}].min_growth`, code: 'not_increasing', message: `must be above the previous level's ${levels[i - 1].min_growth}` })
    }
    const key = level.name.trim().toLowerCase()
    if (seen.has(key)) errors.push({ field: `levels[${i}].name`, code: 'duplicate', message: `"${level.name}" names another level too` })
    seen.add(key)
  })
  return errors
}

/** The index of the highest level whose threshold the growth reaches (levels are valid: the first is 0). */
export function levelForGrowth(levels: LevelThreshold[], growth: number): number {
  let index = 0
  for (let i = 0; i < levels.length; i++) if (growth >= levels[i].min_growth) index = i
  return index
}

/** Between reviews levels only go up: the new level index, or null when the growth reaches no higher level. */
export function decideUpgrade(levels: LevelThreshold[], current: number, growth: number): number | null {
  const reached = levelForGrowth(levels, growth)
  return reached > current ? reached : null
}

export type LevelChange = 'up' | 'down' | 'same'

/** At a review the level is what the period's growth reaches, up or down. */
export function evaluateLevelReview(levels: LevelThreshold[], current: number, periodGrowth: number): { level: number; change: LevelChange } {
  const level = levelForGrowth(levels, periodGrowth)
  return { level, change: level > current ? 'up' : level < current ? 'down' : 'same' }
}

export type ReviewPeriod = 'none' | 'monthly' | 'quarterly' | 'half_yearly' | 'yearly'

const PERIOD_MONTHS: Record<Exclude<ReviewPeriod, 'none'>, number> = { monthly: 1, quarterly: 3, half_yearly: 6, yearly: 12 }

/**
 * When the period containing `now` ends: the start of the next calendar period in the merchant's zone
 * (yearly: next 1 January 00:00; quarterly: next 1 January, April, July or October). Null when levels
 * are never reviewed.
 */
export function nextReviewAt(period: ReviewPeriod, now: number, tz: string): number | null {
  if (period === 'none') return null
  const months = PERIOD_MONTHS[period]
  const today = localDate(now, tz)
  const nextStart = (Math.floor((today.month - 1) / months) + 1) * months
  const year = today.year + Math.floor(nextStart / 12)
  return zonedStartOfDay(year, (nextStart % 12) + 1, 1, tz)
}

/** A birthday's date in a given year: 29 February falls on 28 February when the year has none. */
export function birthdayIn(year: number, month: number, day: number): LocalDate {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 2 && day === 29 && !leap ? { year, month: 2, day: 28 } : { year, month, day }
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day
}

/** The start (in the merchant's zone) of the first birthday falling on or after the date `from`. */
export function nextBirthdayStart(month: number, day: number, from: LocalDate, tz: string): number {
  let date = birthdayIn(from.year, month, day)
  if (compareDates(date, from) < 0) date = birthdayIn(from.year + 1, month, day)
  return zonedStartOfDay(date.year, date.month, date.day, tz)
}

/** The birthday after the one that started at `birthdayStart`. */
export function followingBirthdayStart(month: number, day: number, birthdayStart: number, tz: string): number {
  return nextBirthdayStart(month, day, addCalendarDays(localDate(birthdayStart, tz), 1), tz)
}

/** 'YYYY-MM-DD' of a real calendar date, or null. */
export function parseBirthday(text: string): LocalDate | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!match) return null
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  return { year, month, day }
}

function daysInMonth(year: number, month: number): number {
  const firstOfNext = month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 }
  return addCalendarDays(firstOfNext, -1).day
}
