// RFM (recency, frequency, monetary) scoring of members against a member card's thresholds, the segments
// the scores fall in, and the age bands redeemers are grouped by.

import type { FieldError } from './types.ts'
import { parseBirthday } from './member-levels.ts'
import type { LocalDate } from './time.ts'

const DAY = 86_400_000

/**
 * When a member scores high on each measure. Recency: the last order at most `recency_days` ago.
 * Frequency: at least `frequency` orders in the last `window_days`. Monetary: at least `monetary` fen
 * spent (net of refunds) in the last `window_days`.
 */
export interface RfmThresholds {
  window_days: number
  recency_days: number
  frequency: number
  monetary: number
}

/** The defaults of the seed table: bought within 30 days, 3 orders and ¥500 within a year. */
export const DEFAULT_RFM_THRESHOLDS: RfmThresholds = Object.freeze({ window_days: 365, recency_days: 30, frequency: 3, monetary: 50_000 })

export type Score = 'high' | 'low'

/** The eight classic RFM segments (重要价值客户 …) and members who have not bought yet. */
export const RFM_SEGMENTS = [
  { segment: 'high_value', r: 'high', f: 'high', m: 'high', name: '重要价值客户', description: 'Recent, frequent and big spenders' },
  { segment: 'potential', r: 'high', f: 'low', m: 'high', name: '重要发展客户', description: 'Recent big spenders who come seldom: make them come back more often' },
  { segment: 'at_risk', r: 'low', f: 'high', m: 'high', name: '重要保持客户', description: 'Frequent big spenders who have not come lately' },
  { segment: 'win_back', r: 'low', f: 'low', m: 'high', name: '重要挽留客户', description: 'Big spenders who came seldom and not lately' },
  { segment: 'loyal', r: 'high', f: 'high', m: 'low', name: '一般价值客户', description: 'Recent and frequent, small baskets' },
  { segment: 'promising', r: 'high', f: 'low', m: 'low', name: '一般发展客户', description: 'Recent, seldom, small baskets' },
  { segment: 'needs_attention', r: 'low', f: 'high', m: 'low', name: '一般保持客户', description: 'Frequent once, not lately, small baskets' },
  { segment: 'hibernating', r: 'low', f: 'low', m: 'low', name: '一般挽留客户', description: 'Not lately, seldom, small baskets' },
  { segment: 'no_orders', r: null, f: null, m: null, name: '未消费会员', description: 'Members without an order yet' },
] as const

export type RfmSegment = (typeof RFM_SEGMENTS)[number]['segment']
export const SEGMENT_NAMES = RFM_SEGMENTS.map((s) => s.segment) as RfmSegment[]

export function isRfmSegment(value: string): value is RfmSegment {
  return (SEGMENT_NAMES as string[]).includes(value)
}

/** What the scoring reads of a member: their last order ever, and orders and spend within the window. */
export interface RfmInputs {
  last_order_at: number | null
  orders: number
  spend: number
}

export interface RfmScore {
  /** Whole days since the last order; null without one. */
  recency_days: number | null
  frequency: number
  monetary: number
  r: Score | null
  f: Score | null
  m: Score | null
  segment: RfmSegment
}

/** The instant from which orders count towards frequency and monetary. */
export function rfmWindowStart(thresholds: RfmThresholds, now: number): number {
  return now - thresholds.window_days * DAY
}

/** Scores one member at `now`. A member who never ordered is `no_orders`, whatever the thresholds. */
export function scoreRfm(inputs: RfmInputs, thresholds: RfmThresholds, now: number): RfmScore {
  if (inputs.last_order_at === null) return { recency_days: null, frequency: 0, monetary: 0, r: null, f: null, m: null, segment: 'no_orders' }
  const recencyDays = Math.max(0, Math.floor((now - inputs.last_order_at) / DAY))
  const r: Score = recencyDays <= thresholds.recency_days ? 'high' : 'low'
  const f: Score = inputs.orders >= thresholds.frequency ? 'high' : 'low'
  const m: Score = inputs.spend >= thresholds.monetary ? 'high' : 'low'
  const found = RFM_SEGMENTS.find((s) => s.r === r && s.f === f && s.m === m)
  return { recency_days: recencyDays, frequency: inputs.orders, monetary: inputs.spend, r, f, m, segment: (found as (typeof RFM_SEGMENTS)[number]).segment }
}

/** Everything wrong with thresholds a merchant sends (the schema has checked they are integers). */
export function validateRfmThresholds(t: RfmThresholds): FieldError[] {
  const errors: FieldError[] = []
  if (t.window_days < 1 || t.window_days > 3660) errors.push({ field: 'window_days', code: 'out_of_range', message: 'must be 1 to 3660 days' })
  if (t.recency_days < 0 || t.recency_days > t.window_days) errors.push({ field: 'recency_days', code: 'out_of_range', message: 'must be 0 to window_days' })
  if (t.frequency < 1) errors.push({ field: 'frequency', code: 'out_of_range', message: 'must be at least 1 order' })
  if (t.monetary < 1) errors.push({ field: 'monetary', code: 'out_of_range', message: 'must be at least 1 fen' })
  return errors
}

export const AGE_BANDS = ['under_18', '18_24', '25_34', '35_44', '45_54', '55_plus', 'unknown'] as const
export type AgeBand = (typeof AGE_BANDS)[number]

/** Whole years from a birthday 'YYYY-MM-DD' to `today`; null for no or an impossible birthday (or one after today). */
export function ageOn(birthday: string | null | undefined, today: LocalDate): number | null {
  const born = birthday ? parseBirthday(birthday) : null
  if (!born) return null
  const hadBirthday = today.month > born.month || (today.month === born.month && today.day >= born.day)
  const age = today.year - born.year - (hadBirthday ? 0 : 1)
  return age < 0 ? null : age
}

/** The age band of a birthday on `today`; `unknown` when none was given. */
export function ageBand(birthday: string | null | undefined, today: LocalDate): AgeBand {
  const age = ageOn(birthday, today)
  if (age === null) return 'unknown'
  if (age < 18) return 'under_18'
  if (age < 25) return '18_24'
  if (age < 35) return '25_34'
  if (age < 45) return '35_44'
  if (age < 55) return '45_54'
  return '55_plus'
}

export const GENDERS = ['female', 'male', 'other'] as const
export type Gender = (typeof GENDERS)[number]

/** A profile's gender as the statistics group it: one of GENDERS, else `unknown`. */
export function genderOf(value: unknown): Gender | 'unknown' {
  return typeof value === 'string' && (GENDERS as readonly string[]).includes(value) ? (value as Gender) : 'unknown'
}
