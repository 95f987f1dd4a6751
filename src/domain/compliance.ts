// A merchant's compliance policy: promises a card must keep so users are not misled. Every broken
// rule is reported at once, each under its rule name as the error code.

import type { CardTerms, CompliancePolicy, FieldError } from './types.ts'
import { usableValidityDays } from './validity.ts'

export type ComplianceRule = 'min_validity_days' | 'max_reduce_ratio' | 'threshold_required' | 'max_percent_off' | 'notice_required'

export const COMPLIANCE_RULES: readonly ComplianceRule[] = ['min_validity_days', 'max_reduce_ratio', 'threshold_required', 'max_percent_off', 'notice_required']

const trimNumber = (n: number): string => String(Math.round(n * 100) / 100)

/**
 * Every rule of `policy` the terms break. `validityFrom` is the instant the validity is measured from:
 * now for a new or changed validity, so a range that is mostly over counts only what is left of it;
 * null measures the whole validity (one already accepted, kept by a change of other terms).
 */
export function evaluateCompliance(terms: CardTerms, policy: CompliancePolicy, validityFrom: number | null = null): FieldError[] {
  const errors: FieldError[] = []

  if (policy.min_validity_days !== null) {
    const min = policy.min_validity_days
    const length = usableValidityDays(terms.validity, validityFrom)
    // NaN (an unparseable range) is left to structural validation.
    if (length < min) {
      const fromNow = terms.validity.type === 'fixed_range' && validityFrom !== null
      errors.push({
        field: terms.validity.type === 'fixed_term' ? 'validity.days' : 'validity.end_at',
        code: 'min_validity_days',
        message: fromNow
          ? `A coupon must be valid for at least ${min} days; this one is valid for ${trimNumber(Math.max(length, 0))} days from now.`
          : `A coupon must be valid for at least ${min} days; this one is valid for ${trimNumber(length)}.`,
      })
    }
  }

  if (policy.max_reduce_ratio_percent !== null) {
    const ratio = policy.max_reduce_ratio_percent
    // Only a coupon with a spend threshold has a ratio; a least_cost of 0 is no threshold.
    const tooBig = (reduce: number, least: number): boolean => least > 0 && reduce * 100 > least * ratio
    const message = (reduce: number, least: number): string =>
      `A coupon may take off at most ${ratio}% of the required spend: ${reduce} off a spend of ${least} is ${trimNumber((reduce * 100) / least)}%.`
    if (terms.reduce_cost !== null && terms.least_cost !== null && tooBig(terms.reduce_cost, terms.least_cost)) {
      errors.push({ field: 'reduce_cost', code: 'max_reduce_ratio', message: message(terms.reduce_cost, terms.least_cost) })
    }
    // Without a threshold there is no spend to take a share of: the whole value comes off any order.
    const noThreshold = terms.type === 'cash' && terms.reduce_cost !== null && !(terms.least_cost !== null && terms.least_cost > 0)
    if (noThreshold && !policy.allow_no_threshold) {
      errors.push({
        field: 'least_cost',
        code: 'threshold_required',
        message: `A cash coupon needs a spend threshold (least_cost) so it takes off at most ${ratio}% of it; the compliance policy allows coupons without one only with allow_no_threshold.`,
      })
    }
    terms.tiers?.forEach((t, i) => {
      if (tooBig(t.reduce_cost, t.least_cost)) {
        errors.push({ field: `tiers[${i}].reduce_cost`, code: 'max_reduce_ratio', message: message(t.reduce_cost, t.least_cost) })
      }
    })
  }

  if (policy.max_percent_off !== null && terms.percent_off !== null && terms.percent_off > policy.max_percent_off) {
    errors.push({
      field: 'percent_off',
      code: 'max_percent_off',
      message: `A discount may be at most ${policy.max_percent_off}% off; this one is ${terms.percent_off}% off.`,
    })
  }

  if (policy.require_notice && (typeof terms.notice !== 'string' || terms.notice.trim() === '')) {
    errors.push({ field: 'notice', code: 'notice_required', message: 'A usage notice (the one-line rule shown to the user) is required.' })
  }

  return errors
}
