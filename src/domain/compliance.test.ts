import { test } from 'node:test'
import assert from 'node:assert/strict'
import { evaluateCompliance } from './compliance.ts'
import { cashTerms, termsOfType } from './fixtures.ts'
import { DEFAULT_POLICY } from './types.ts'
import type { CardTerms, CompliancePolicy } from './types.ts'

const fields = (terms: CardTerms, policy: CompliancePolicy = DEFAULT_POLICY, validityFrom: number | null = null): [string, string][] =>
  evaluateCompliance(terms, policy, validityFrom).map((e) => [e.code, e.field])
/** A compliant cash card: 10 yuan off a spend of 50. */
const cash = (overrides: Partial<CardTerms> = {}): CardTerms => cashTerms({ least_cost: 5000, ...overrides })

const range = (begin_at: string, end_at: string): CardTerms['validity'] => ({ type: 'fixed_range', begin_at, end_at })
const term = (days: number): CardTerms['validity'] => ({ type: 'fixed_term', days, start_after_days: 0 })

test('the default policy is the one in the API contract', () => {
  assert.deepEqual(DEFAULT_POLICY, { min_validity_days: 3, max_reduce_ratio_percent: 50, max_percent_off: 50, require_notice: true, allow_no_threshold: false })
})

test('each rule at its boundary under the default policy', () => {
  const cases: [string, CardTerms, [string, string][]][] = [
    ['a compliant cash card', cash(), []],
    ['fixed_term 3 days', cash({ validity: term(3) }), []],
    ['fixed_term 2 days', cash({ validity: term(2) }), [['min_validity_days', 'validity.days']]],
    ['fixed_range exactly 3 days', cash({ validity: range('2026-11-01T00:00:00+08:00', '2026-11-03T23:59:59+08:00') }), []],
    ['fixed_range 1 s short of 3 days', cash({ validity: range('2026-11-01T00:00:00+08:00', '2026-11-03T23:59:58+08:00') }),
      [['min_validity_days', 'validity.end_at']]],
    ['reduce exactly 50% of least_cost', cashTerms({ reduce_cost: 5000, least_cost: 10000 }), []],
    ['reduce one fen over 50%', cashTerms({ reduce_cost: 5001, least_cost: 10000 }), [['max_reduce_ratio', 'reduce_cost']]],
    ['ratio on odd amounts: 50 of 99 is over half', cashTerms({ reduce_cost: 50, least_cost: 99 }), [['max_reduce_ratio', 'reduce_cost']]],
    ['ratio on odd amounts: 49 of 99 is fine', cashTerms({ reduce_cost: 49, least_cost: 99 }), []],
    ['no least_cost: refused, no ratio to keep', cashTerms({ reduce_cost: 100_000, least_cost: null }), [['threshold_required', 'least_cost']]],
    ['least_cost 0 is no threshold', cashTerms({ reduce_cost: 1000, least_cost: 0 }), [['threshold_required', 'least_cost']]],
    ['least_cost 1 is a threshold', cashTerms({ reduce_cost: 1, least_cost: 2 }), []],
    ['a discount needs no threshold', termsOfType('discount', { percent_off: 20, least_cost: null }), []],
    ['tiers: each checked', cashTerms({
      reduce_cost: null,
      tiers: [{ least_cost: 10000, reduce_cost: 5000 }, { least_cost: 20000, reduce_cost: 10001 }, { least_cost: 30000, reduce_cost: 20000 }],
    }), [['max_reduce_ratio', 'tiers[1].reduce_cost'], ['max_reduce_ratio', 'tiers[2].reduce_cost']]],
    ['percent_off 50', termsOfType('discount', { percent_off: 50 }), []],
    ['percent_off 51', termsOfType('discount', { percent_off: 51 }), [['max_percent_off', 'percent_off']]],
    ['notice present', cash({ notice: 'x' }), []],
    ['notice empty', cash({ notice: '' }), [['notice_required', 'notice']]],
    ['notice whitespace only', cash({ notice: ' \t\n　' }), [['notice_required', 'notice']]],
  ]
  for (const [name, terms, expected] of cases) assert.deepEqual(fields(terms), expected, name)
})

test('every broken rule is reported at once', () => {
  const terms = termsOfType('discount', { percent_off: 90, validity: term(1), notice: '  ' })
  assert.deepEqual(fields(terms), [
    ['min_validity_days', 'validity.days'],
    ['max_percent_off', 'percent_off'],
    ['notice_required', 'notice'],
  ])
  const badCash = cashTerms({ reduce_cost: 9000, least_cost: 10000, validity: term(1), notice: '' })
  assert.deepEqual(fields(badCash), [
    ['min_validity_days', 'validity.days'],
    ['max_reduce_ratio', 'reduce_cost'],
    ['notice_required', 'notice'],
  ])
})

test('each rule can be switched off on its own', () => {
  const bad = termsOfType('discount', { percent_off: 90, validity: term(1), notice: '' })
  const badCash = cashTerms({ reduce_cost: 9000, least_cost: 10000 })
  const cases: [string, Partial<CompliancePolicy>, CardTerms, string[]][] = [
    ['min_validity_days off', { min_validity_days: null }, bad, ['max_percent_off', 'notice_required']],
    ['max_percent_off off', { max_percent_off: null }, bad, ['min_validity_days', 'notice_required']],
    ['require_notice off', { require_notice: false }, bad, ['min_validity_days', 'max_percent_off']],
    ['max_reduce_ratio off', { max_reduce_ratio_percent: null }, badCash, []],
    ['max_reduce_ratio on', {}, badCash, ['max_reduce_ratio']],
    ['all off', { min_validity_days: null, max_reduce_ratio_percent: null, max_percent_off: null, require_notice: false }, bad, []],
  ]
  for (const [name, overrides, terms, expected] of cases) {
    assert.deepEqual(evaluateCompliance(terms, { ...DEFAULT_POLICY, ...overrides }).map((e) => e.code), expected, name)
  }
})

test('a merchant policy with other limits', () => {
  const policy: CompliancePolicy = { min_validity_days: 7, max_reduce_ratio_percent: 20, max_percent_off: 30, require_notice: true, allow_no_threshold: false }
  const cases: [string, CardTerms, string[]][] = [
    ['7 days ok', cash({ validity: term(7) }), []],
    ['6 days too short', cash({ validity: term(6) }), ['min_validity_days']],
    ['20% ok', cashTerms({ reduce_cost: 2000, least_cost: 10000 }), []],
    ['21% too much', cashTerms({ reduce_cost: 2100, least_cost: 10000 }), ['max_reduce_ratio']],
    ['30% off ok', termsOfType('discount', { percent_off: 30 }), []],
    ['31% off too much', termsOfType('discount', { percent_off: 31 }), ['max_percent_off']],
  ]
  for (const [name, terms, expected] of cases) assert.deepEqual(evaluateCompliance(terms, policy).map((e) => e.code), expected, name)
})

test('a cash coupon without a threshold only where the policy allows it', () => {
  const noThreshold = cashTerms({ reduce_cost: 50_000, least_cost: null })
  const cases: [string, Partial<CompliancePolicy>, string[]][] = [
    ['default policy', {}, ['threshold_required']],
    ['allowed', { allow_no_threshold: true }, []],
    ['ratio rule off', { max_reduce_ratio_percent: null }, []],
  ]
  for (const [name, overrides, expected] of cases) {
    assert.deepEqual(evaluateCompliance(noThreshold, { ...DEFAULT_POLICY, ...overrides }).map((e) => e.code), expected, name)
  }
  // Allowing coupons without a threshold does not lift the ratio on those that have one.
  assert.deepEqual(fields(cashTerms({ reduce_cost: 6000, least_cost: 10000 }), { ...DEFAULT_POLICY, allow_no_threshold: true }), [['max_reduce_ratio', 'reduce_cost']])
  const [error] = evaluateCompliance(noThreshold, DEFAULT_POLICY)
  assert.equal(error.field, 'least_cost')
  assert.match(error.message, /allow_no_threshold/)
})

test('a fixed range is measured from now when it is new or changed', () => {
  const NOW = Date.parse('2026-11-23T10:00:00+08:00')
  const mostlyOver = cash({ validity: range('2026-11-13T10:00:00+08:00', '2026-11-23T10:59:59+08:00') })
  assert.deepEqual(fields(mostlyOver), [], 'ten days long in all')
  assert.deepEqual(fields(mostlyOver, DEFAULT_POLICY, NOW), [['min_validity_days', 'validity.end_at']], 'an hour left')
  const [error] = evaluateCompliance(mostlyOver, DEFAULT_POLICY, NOW)
  assert.match(error.message, /at least 3 days; this one is valid for 0.04 days from now/)
  const cases: [string, CardTerms['validity'], [string, string][]][] = [
    ['began, exactly 3 days left', range('2026-11-01T00:00:00+08:00', '2026-11-26T09:59:59+08:00'), []],
    ['began, 1 s short of 3 days left', range('2026-11-01T00:00:00+08:00', '2026-11-26T09:59:58+08:00'), [['min_validity_days', 'validity.end_at']]],
    ['begins later: its own length counts', range('2026-12-01T00:00:00+08:00', '2026-12-03T23:59:59+08:00'), []],
    ['begins later, too short', range('2026-12-01T00:00:00+08:00', '2026-12-02T23:59:59+08:00'), [['min_validity_days', 'validity.end_at']]],
    ['ended', range('2026-11-01T00:00:00+08:00', '2026-11-20T00:00:00+08:00'), [['min_validity_days', 'validity.end_at']]],
    ['fixed_term: each coupon has the whole term', term(3), []],
    ['fixed_term starting later', { type: 'fixed_term', days: 3, start_after_days: 10 }, []],
  ]
  for (const [name, validity, expected] of cases) assert.deepEqual(fields(cash({ validity }), DEFAULT_POLICY, NOW), expected, name)
})

test('messages state the limit', () => {
  const errors = evaluateCompliance(termsOfType('discount', { percent_off: 90, validity: term(1) }), DEFAULT_POLICY)
  assert.match(errors[0].message, /at least 3 days/)
  assert.match(errors[1].message, /at most 50% off/)
  const ratio = evaluateCompliance(cashTerms({ reduce_cost: 9000, least_cost: 10000 }), DEFAULT_POLICY)
  assert.match(ratio[0].message, /at most 50% of the required spend/)
})
