// A/B tests of cards: which variant a visitor gets, and whether one variant's redemptions per claim
// differ from another's by more than chance (a two-proportion z-test).

import type { FieldError } from './types.ts'
import { ratio } from './analytics.ts'

export const MIN_VARIANTS = 2
export const MAX_VARIANTS = 10
/** Significance level: a leader is named when the p-value is below it (95 % confidence). */
export const SIGNIFICANCE = 0.05

export interface VariantWeight {
  card_id: string
  weight: number
}

/** Everything wrong with an experiment's variants: 2 to 10, distinct cards, positive whole weights. */
export function validateVariants(variants: VariantWeight[]): FieldError[] {
  const errors: FieldError[] = []
  if (variants.length < MIN_VARIANTS || variants.length > MAX_VARIANTS) {
    errors.push({ field: 'variants', code: 'count', message: `must have ${MIN_VARIANTS} to ${MAX_VARIANTS} variants` })
  }
  const seen = new Set<string>()
  variants.forEach((v, i) => {
    if (seen.has(v.card_id)) errors.push({ field: `variants[${i}].card_id`, code: 'duplicate', message: 'each variant must be a different card' })
    seen.add(v.card_id)
    if (!Number.isInteger(v.weight) || v.weight < 1 || v.weight > 1000) errors.push({ field: `variants[${i}].weight`, code: 'out_of_range', message: 'must be a whole number from 1 to 1000' })
  })
  return errors
}

/**
 * The variant a visitor gets: `bucket` is a stable number for (experiment, visitor) in [0, 2^32) (a hash,
 * computed by the caller), spread over the variants in proportion to their weights.
 */
export function pickVariant<T extends VariantWeight>(variants: readonly T[], bucket: number): T {
  const total = variants.reduce((sum, v) => sum + v.weight, 0)
  let point = Math.floor((bucket / 2 ** 32) * total)
  for (const v of variants) {
    if (point < v.weight) return v
    point -= v.weight
  }
  return variants[variants.length - 1]
}

/** The standard normal distribution function Φ. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2)
}

function erfc(x: number): number {
  // Numerical Recipes' Chebyshev fit of erfc: fractional error below 1.2e-7, enough for a p-value.
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  return x >= 0 ? r : 2 - r
}

/**
 * Two-sided two-proportion z-test with the pooled proportion: successes x of trials n in each group.
 * Null when either group has no trials or the pooled proportion is 0 or 1 (no variance to test).
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): { z: number; p_value: number } | null {
  if (n1 <= 0 || n2 <= 0) return null
  const pooled = (x1 + x2) / (n1 + n2)
  if (pooled <= 0 || pooled >= 1) return null
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
  const z = (x1 / n1 - x2 / n2) / se
  return { z, p_value: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) }
}

export interface VariantOutcome {
  card_id: string
  claims: number
  redemptions: number
}

/**
 * The test of an experiment: the variant with the most redemptions per claim against the runner-up.
 * `p_value` is null until both have claims (and the test has variance); `leader` is the best variant's
 * card once p < 0.05, else null.
 */
export function decideLeader(variants: readonly VariantOutcome[]): { p_value: number | null; leader: string | null } {
  const ranked = variants
    .filter((v) => v.claims > 0)
    .map((v) => ({ ...v, rate: Math.max(0, v.redemptions) / v.claims }))
    .sort((a, b) => b.rate - a.rate || b.claims - a.claims)
  if (ranked.length < 2) return { p_value: null, leader: null }
  const [best, second] = ranked
  const test = twoProportionZTest(Math.max(0, best.redemptions), best.claims, Math.max(0, second.redemptions), second.claims)
  if (!test) return { p_value: null, leader: null }
  const p = Math.round(test.p_value * 1e6) / 1e6
  return { p_value: p, leader: test.p_value < SIGNIFICANCE && best.rate > second.rate ? best.card_id : null }
}

/** Claims ÷ views and redemptions ÷ claims of a variant, four places, null when there is nothing to divide by. */
export function variantRates(v: { views: number; claims: number; redemptions: number }) {
  return { claim_rate: ratio(Math.max(0, v.claims), v.views), redemption_rate: ratio(Math.max(0, v.redemptions), Math.max(0, v.claims)) }
}
