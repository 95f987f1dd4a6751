// When an issued coupon may be used. Instants are epoch ms; valid_until is INCLUSIVE at second
// resolution: it is the last valid second (e.g. 23:59:59.000 local), so the coupon is still valid
// during the whole of that second and expired from valid_until + 1000 on.

import type { Validity } from './types.ts'
import { addCalendarDays, localDate, parseInstant, zonedStartOfDay } from './time.ts'

const SECOND = 1000
const DAY = 86_400_000

export interface CouponValidity { valid_from: number; valid_until: number }

export type ValidityWindowState = 'not_yet_valid' | 'valid' | 'expired'

/**
 * The validity of a coupon claimed at claimedAtMs.
 * - fixed_range: begin_at .. end_at (end_at truncated to the second).
 * - fixed_term: starts at the claim, or with start_after_days N > 0 at the start of the local day N
 *   days after the claim day; ends at the end of day number `days`, the start day being day 1, all in
 *   the merchant's zone. A coupon claimed at 23:30 with days = 1 is valid for 30 minutes: that is
 *   the promise WeChat-style "valid N days from claim" makes, counted in calendar days.
 * Throws on terms that validateCardTerms rejects (they are never stored).
 */
export function computeCouponValidity(validity: Validity, claimedAtMs: number, merchantTz: string): CouponValidity {
  if (validity.type === 'fixed_range') {
    const from = parseInstant(validity.begin_at)
    const until = parseInstant(validity.end_at)
    if (from === null || until === null) throw new RangeError('fixed_range validity has an invalid timestamp')
    return { valid_from: from, valid_until: Math.floor(until / SECOND) * SECOND }
  }
  const { days, start_after_days: after } = validity
  if (!Number.isInteger(days) || days < 1 || !Number.isInteger(after) || after < 0) {
    throw new RangeError('fixed_term validity needs integer days >= 1 and start_after_days >= 0')
  }
  const claimDay = localDate(claimedAtMs, merchantTz)
  const startDay = addCalendarDays(claimDay, after)
  const validFrom = after === 0 ? claimedAtMs : zonedStartOfDay(startDay.year, startDay.month, startDay.day, merchantTz)
  const dayAfterLast = addCalendarDays(startDay, days)
  const validUntil = zonedStartOfDay(dayAfterLast.year, dayAfterLast.month, dayAfterLast.day, merchantTz) - SECOND
  return { valid_from: validFrom, valid_until: validUntil }
}

export function evaluateValidityWindow(now: number, validFrom: number, validUntil: number): ValidityWindowState {
  if (now < validFrom) return 'not_yet_valid'
  if (now >= validUntil + SECOND) return 'expired'
  return 'valid'
}

/**
 * How long a card's validity lasts, in days, for the compliance minimum. fixed_term → days;
 * fixed_range → (end_at − begin_at + 1 s) / 1 day, fractional (so 00:00:00 .. 23:59:59 two days
 * later is exactly 3). Elapsed time, not calendar days: a range over a spring-forward night is an
 * hour short. NaN when a timestamp is invalid (structural validation reports that).
 */
export function validityLengthDays(validity: Validity): number {
  return usableValidityDays(validity, null)
}

/**
 * The days a coupon of this card can still be used, counted from `from` (epoch ms; null = the whole
 * validity). fixed_range → from max(begin_at, from) to end_at inclusive, as validityLengthDays: a range
 * that began ten days ago and ends in an hour gives its coupons an hour. fixed_term → days, whenever
 * it is asked: each coupon's term starts at its own claim, and start_after_days only moves it later.
 */
export function usableValidityDays(validity: Validity, from: number | null): number {
  if (validity.type === 'fixed_term') return validity.days
  const begin = parseInstant(validity.begin_at)
  const until = parseInstant(validity.end_at)
  if (begin === null || until === null) return Number.NaN
  const start = from === null ? begin : Math.max(begin, from)
  return (Math.floor(until / SECOND) * SECOND - start + SECOND) / DAY
}
