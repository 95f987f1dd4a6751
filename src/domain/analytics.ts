// Pure arithmetic of the statistics: rates, cost and return, and which local day an instant falls in.
import { addCalendarDays, zonedStartOfDay, type LocalDate } from './time.ts'
import type { FieldError } from './types.ts'

/** 'YYYY-MM-DD' of a calendar date. */
export function dayKey(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`
}

/** The calendar date of 'YYYY-MM-DD', or null when it is no real date ('2030-02-30'). */
export function parseDayKey(key: string): LocalDate | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key)
  if (!match) return null
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) }
  const round = addCalendarDays(date, 0)
  return round.year === date.year && round.month === date.month && round.day === date.day ? date : null
}

/** Days from `from` to `to`, both included (empty when `to` is before `from`). */
export function daysBetween(from: LocalDate, to: LocalDate): LocalDate[] {
  const days: LocalDate[] = []
  for (let day = from; dayKey(day) <= dayKey(to); day = addCalendarDays(day, 1)) days.push(day)
  return days
}

/** At most a year and a day per question, so one answer stays small. */
export const MAX_RANGE_DAYS = 366

/** A statistics question's days, as asked ('YYYY-MM-DD', both optional). */
export interface DayRange {
  from?: string
  to?: string
}

/**
 * The local days a question asks for: `to` defaults to today, `from` to 29 days before `to`; at most
 * MAX_RANGE_DAYS. Answers the days, or what is wrong with the range.
 */
export function daysAskedOrErrors(today: LocalDate, range: DayRange): { days: LocalDate[]; errors: null } | { days: null; errors: FieldError[] } {
  const to = range.to === undefined ? today : parseDayKey(range.to)
  const from = range.from === undefined ? to && addCalendarDays(to, -29) : parseDayKey(range.from)
  const bad = [...(from === null ? ['from'] : []), ...(to === null ? ['to'] : [])]
  if (bad.length > 0) return { days: null, errors: bad.map((field) => ({ field, code: 'invalid_date', message: 'Not a calendar date (YYYY-MM-DD).' })) }
  const days = daysBetween(from as LocalDate, to as LocalDate)
  if (days.length === 0) return { days: null, errors: [{ field: 'from', code: 'after_to', message: '`from` must not be after `to`.' }] }
  if (days.length > MAX_RANGE_DAYS) return { days: null, errors: [{ field: 'from', code: 'range_too_long', message: `At most ${MAX_RANGE_DAYS} days at once.` }] }
  return { days, errors: null }
}

/** A local day as the instants [start, end) it covers in a zone: 23 or 25 hours on a daylight-saving change. */
export function dayBounds(date: LocalDate, tz: string): { start: number; end: number } {
  const next = addCalendarDays(date, 1)
  return { start: zonedStartOfDay(date.year, date.month, date.day, tz), end: zonedStartOfDay(next.year, next.month, next.day, tz) }
}

/** part ÷ whole to four places, null when there is no whole to divide by. */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000
}

export interface CardFigures {
  viewers: number
  claims: number
  claimers: number
  sharers: number
  redemptions: number
  discount_amount: number
  order_amount: number
}

/**
 * The derived figures of a card: claim rate = claimers ÷ viewers, redemption rate = redemptions ÷ claims,
 * share rate = sharers ÷ claimers, cost per redemption = discount ÷ redemptions (whole fen, rounded),
 * ROI = order amount ÷ discount. Each is null when what it divides by is zero (or less, after reversals).
 */
export function cardRates(f: CardFigures) {
  const positive = (n: number) => Math.max(0, n)
  return {
    claim_rate: ratio(positive(f.claimers), positive(f.viewers)),
    redemption_rate: ratio(positive(f.redemptions), positive(f.claims)),
    share_rate: ratio(positive(f.sharers), positive(f.claimers)),
    cost_per_redemption: f.redemptions <= 0 ? null : Math.round(f.discount_amount / f.redemptions),
    roi: f.discount_amount <= 0 ? null : ratio(f.order_amount, f.discount_amount),
  }
}
