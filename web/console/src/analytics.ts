import { query } from '../../shared/api.ts'
import { price, toFen, yuan } from '../../shared/money.ts'
import { validateRfmThresholds } from '../../../src/domain/rfm.ts'

/** A rate of the API (four decimals, null when what it divides by is zero) as people read it: 12.5%. */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`
}

/** A ratio such as the ROI, two decimals: 6.25. */
export function ratio(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toFixed(2)
}

/** Fen as ¥12.50, or a dash when there is no figure (a cost per redemption without redemptions). */
export function money(fen: number | null | undefined): string {
  return fen === null || fen === undefined ? '—' : price(fen)
}

/** The same list as CSV: the API answers `text/csv` for `format=csv`, the columns in the JSON's order. */
export function csvUrl(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  return `${path}${query({ ...params, format: 'csv' })}`
}

/** The sum of one column of a list (a trend's total over the days shown). */
export function total<T>(rows: readonly T[], pick: (row: T) => number): number {
  return rows.reduce((sum, row) => sum + pick(row), 0)
}

/** The share of one step of a funnel in the one before it; null when the one before is empty. */
export function stepRate(users: number, before: number | undefined): number | null {
  return before === undefined || before <= 0 ? null : users / before
}

export type Score = 'high' | 'low' | null

/**
 * Where each RFM segment sits in the grid: columns by recency and frequency (high–high first), rows by
 * monetary (high first). The segment without orders is shown beside the grid.
 */
export const RFM_COLUMNS: readonly { recency: 'high' | 'low'; frequency: 'high' | 'low' }[] = [
  { recency: 'high', frequency: 'high' },
  { recency: 'high', frequency: 'low' },
  { recency: 'low', frequency: 'high' },
  { recency: 'low', frequency: 'low' },
]
export const RFM_ROWS: readonly ('high' | 'low')[] = ['high', 'low']

/** The segment of a grid cell, from the segments the API answers (each with its scores). */
export function segmentAt<S extends { recency: Score; frequency: Score; monetary: Score }>(segments: readonly S[], recency: 'high' | 'low', frequency: 'high' | 'low', monetary: 'high' | 'low'): S | undefined {
  return segments.find((s) => s.recency === recency && s.frequency === frequency && s.monetary === monetary)
}

/** A label of an open list (issue channels, tags): its translation when there is one, else the value as it is. */
export function labelOf(t: (key: string) => string, prefix: string, value: string | null, none: string): string {
  if (value === null) return none
  const key = `${prefix}${value}`
  const text = t(key)
  return text === key ? value : text
}

/** The RFM thresholds as the dialog holds them: whole numbers (null once cleared), the monetary one in yuan as typed. */
export interface ThresholdsForm {
  window_days: number | null
  recency_days: number | null
  frequency: number | null
  monetary: string
}
export type ThresholdField = keyof ThresholdsForm
export type Thresholds = { window_days: number; recency_days: number; frequency: number; monetary: number }

export function thresholdsForm(t: Thresholds): ThresholdsForm {
  return { window_days: t.window_days, recency_days: t.recency_days, frequency: t.frequency, monetary: yuan(t.monetary) }
}

/**
 * The request body of the thresholds, and the fields the server would refuse (its own rules,
 * src/domain/rfm.ts, and a number left empty or an amount that is not money), each field once.
 */
export function buildThresholds(form: ThresholdsForm): { body: Thresholds; problems: ThresholdField[] } {
  const monetary = form.monetary.trim() === '' ? null : toFen(form.monetary)
  const body = { window_days: form.window_days ?? Number.NaN, recency_days: form.recency_days ?? Number.NaN, frequency: form.frequency ?? Number.NaN, monetary: monetary ?? Number.NaN }
  const problems = new Set<ThresholdField>()
  for (const field of ['window_days', 'recency_days', 'frequency', 'monetary'] as const) if (!Number.isInteger(body[field])) problems.add(field)
  for (const error of validateRfmThresholds(body)) problems.add(error.field as ThresholdField)
  return { body, problems: [...problems] }
}
