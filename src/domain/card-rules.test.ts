import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateCardTerms } from './card-rules.ts'
import { cashTerms, termsOfType } from './fixtures.ts'
import { parseInstant } from './time.ts'
import type { CardTerms } from './types.ts'

const NOW = parseInstant('2026-11-23T10:00:00+08:00') as number
const errorsOf = (terms: CardTerms): [string, string][] => validateCardTerms(terms, NOW).map((e) => [e.field, e.code])

test('a valid card of every type passes', () => {
  for (const type of ['cash', 'discount', 'gift', 'groupon', 'general_coupon'] as const) {
    assert.deepEqual(errorsOf(termsOfType(type)), [], type)
  }
  assert.deepEqual(errorsOf(cashTerms({ reduce_cost: null, tiers: [{ least_cost: 10000, reduce_cost: 1000 }, { least_cost: 20000, reduce_cost: 3000 }] })), [])
  assert.deepEqual(errorsOf(termsOfType('discount', { least_cost: 5000, max_discount: 2000 })), [])
})

test('type-specific fields', () => {
  const cases: [string, CardTerms, [string, string][]][] = [
    ['cash without value', cashTerms({ reduce_cost: null }), [['reduce_cost', 'required']]],
    ['cash with tiers []', cashTerms({ reduce_cost: null, tiers: [] }), [['reduce_cost', 'required']]],
    ['cash reduce_cost 0', cashTerms({ reduce_cost: 0 }), [['reduce_cost', 'invalid']]],
    ['cash reduce_cost 1', cashTerms({ reduce_cost: 1 }), []],
    ['cash reduce_cost fractional', cashTerms({ reduce_cost: 10.5 }), [['reduce_cost', 'invalid']]],
    ['cash reduce_cost negative', cashTerms({ reduce_cost: -1 }), [['reduce_cost', 'invalid']]],
    ['cash reduce_cost unsafe', cashTerms({ reduce_cost: 2 ** 53 }), [['reduce_cost', 'invalid']]],
    ['cash with both', cashTerms({ tiers: [{ least_cost: 10000, reduce_cost: 1000 }] }), [['tiers', 'invalid']]],
    ['cash with percent_off', cashTerms({ percent_off: 10 }), [['percent_off', 'not_allowed']]],
    ['cash with max_discount and gift', cashTerms({ max_discount: 10, gift: 'x' }), [['max_discount', 'not_allowed'], ['gift', 'not_allowed']]],
    ['least_cost 0', cashTerms({ least_cost: 0 }), []],
    ['least_cost negative', cashTerms({ least_cost: -5 }), [['least_cost', 'invalid']]],
    ['discount without percent', termsOfType('discount', { percent_off: null }), [['percent_off', 'required']]],
    ['discount 0%', termsOfType('discount', { percent_off: 0 }), [['percent_off', 'invalid']]],
    ['discount 1%', termsOfType('discount', { percent_off: 1 }), []],
    ['discount 99%', termsOfType('discount', { percent_off: 99 }), []],
    ['discount 100%', termsOfType('discount', { percent_off: 100 }), [['percent_off', 'invalid']]],
    ['discount 12.5%', termsOfType('discount', { percent_off: 12.5 }), [['percent_off', 'invalid']]],
    ['discount max_discount 0', termsOfType('discount', { max_discount: 0 }), [['max_discount', 'invalid']]],
    ['discount max_discount 1', termsOfType('discount', { max_discount: 1 }), []],
    ['discount with reduce_cost', termsOfType('discount', { reduce_cost: 100 }), [['reduce_cost', 'not_allowed']]],
    ['discount with tiers', termsOfType('discount', { tiers: [{ least_cost: 100, reduce_cost: 10 }] }), [['tiers', 'not_allowed']]],
    ['gift without text', termsOfType('gift', { gift: null }), [['gift', 'required']]],
    ['gift blank', termsOfType('gift', { gift: '  ' }), [['gift', 'required']]],
    ['gift with threshold', termsOfType('gift', { least_cost: 5000 }), []],
    ['gift with percent_off', termsOfType('gift', { percent_off: 10 }), [['percent_off', 'not_allowed']]],
    ['groupon without detail', termsOfType('groupon', { deal_detail: null }), [['deal_detail', 'required']]],
    ['groupon with default_detail', termsOfType('groupon', { default_detail: 'x' }), [['default_detail', 'not_allowed']]],
    ['general coupon without detail', termsOfType('general_coupon', { default_detail: '' }), [['default_detail', 'required']]],
    ['unknown type', cashTerms({ type: 'member' as CardTerms['type'] }), [['type', 'invalid']]],
  ]
  for (const [name, terms, expected] of cases) assert.deepEqual(errorsOf(terms), expected, name)
})

test('tiers: ascending, each reduce_cost > 0 and below its least_cost', () => {
  const tiers = (...t: [number, number][]): CardTerms =>
    cashTerms({ reduce_cost: null, tiers: t.map(([least_cost, reduce_cost]) => ({ least_cost, reduce_cost })) })
  const cases: [string, CardTerms, [string, string][]][] = [
    ['one tier', tiers([10000, 1000]), []],
    ['reduce_cost 0', tiers([10000, 0]), [['tiers[0].reduce_cost', 'invalid']]],
    ['reduce_cost = least_cost', tiers([10000, 10000]), [['tiers[0].reduce_cost', 'invalid']]],
    ['reduce_cost just below least_cost', tiers([10000, 9999]), []],
    ['equal least_cost', tiers([10000, 1000], [10000, 2000]), [['tiers[1].least_cost', 'invalid']]],
    ['descending', tiers([20000, 3000], [10000, 1000]), [['tiers[1].least_cost', 'invalid']]],
    ['higher tier, same reduction', tiers([10000, 1000], [20000, 1000]), [['tiers[1].reduce_cost', 'invalid']]],
    ['fractional money', tiers([10000.5, 1000]), [['tiers[0].least_cost', 'invalid']]],
    ['tiers and a card-wide least_cost', { ...tiers([10000, 1000]), least_cost: 5000 }, [['least_cost', 'not_allowed']]],
    ['three tiers, third broken', tiers([10000, 1000], [20000, 3000], [15000, 5000]), [['tiers[2].least_cost', 'invalid']]],
  ]
  for (const [name, terms, expected] of cases) assert.deepEqual(errorsOf(terms), expected, name)
})

test('face fields', () => {
  const cases: [string, Partial<CardTerms>, [string, string][]][] = [
    ['title 27 chars', { title: 'x'.repeat(27) }, []],
    ['title 28 chars', { title: 'x'.repeat(28) }, [['title', 'too_long']]],
    ['title 27 Chinese characters', { title: '满'.repeat(27) }, []],
    ['title 27 emoji (astral)', { title: '🎁'.repeat(27) }, []],
    ['title empty', { title: '' }, [['title', 'required']]],
    ['title blank', { title: '   ' }, [['title', 'required']]],
    ['color ok', { color: '#A0b1C2' }, []],
    ['color null', { color: null }, []],
    ['color short', { color: '#fff' }, [['color', 'invalid']]],
    ['color without #', { color: 'ff6600' }, [['color', 'invalid']]],
    ['color not hex', { color: '#gg6600' }, [['color', 'invalid']]],
    ['logo https', { logo_url: 'https://cdn.example.com/logo.png' }, []],
    ['logo javascript:', { logo_url: 'javascript:alert(1)' }, [['logo_url', 'invalid']]],
    ['logo not a URL', { logo_url: 'logo.png' }, [['logo_url', 'invalid']]],
    ['empty notice is compliance business', { notice: '' }, []],
    ['store_ids ok', { store_ids: ['sto_1', 'sto_2'] }, []],
    ['store_ids repeated', { store_ids: ['sto_1', 'sto_1'] }, [['store_ids', 'invalid']]],
    ['store_ids with blank', { store_ids: ['sto_1', ''] }, [['store_ids', 'invalid']]],
  ]
  for (const [name, overrides, expected] of cases) assert.deepEqual(errorsOf(cashTerms(overrides)), expected, name)
})

test('validity and usable hours', () => {
  const range = (begin_at: string, end_at: string): Partial<CardTerms> => ({ validity: { type: 'fixed_range', begin_at, end_at } })
  const term = (days: number, start_after_days = 0): Partial<CardTerms> => ({ validity: { type: 'fixed_term', days, start_after_days } })
  const cases: [string, Partial<CardTerms>, [string, string][]][] = [
    ['range ok', range('2026-11-01T00:00:00+08:00', '2026-12-31T23:59:59+08:00'), []],
    ['range begin = end', range('2026-12-01T00:00:00+08:00', '2026-12-01T00:00:00+08:00'), [['validity.end_at', 'invalid']]],
    ['range begin > end', range('2026-12-02T00:00:00+08:00', '2026-12-01T00:00:00+08:00'), [['validity.end_at', 'invalid']]],
    ['range end exactly now', range('2026-11-01T00:00:00+08:00', '2026-11-23T10:00:00+08:00'), [['validity.end_at', 'invalid']]],
    ['range end 1 s after now', range('2026-11-01T00:00:00+08:00', '2026-11-23T10:00:01+08:00'), []],
    ['range without offset', range('2026-11-01T00:00:00', '2026-12-31T23:59:59+08:00'), [['validity.begin_at', 'invalid']]],
    ['range garbage end', range('2026-11-01T00:00:00+08:00', 'soon'), [['validity.end_at', 'invalid']]],
    ['term 1 day', term(1), []],
    ['term 0 days', term(0), [['validity.days', 'invalid']]],
    ['term 1.5 days', term(1.5), [['validity.days', 'invalid']]],
    ['term starts later', term(3, 2), []],
    ['term negative start', term(3, -1), [['validity.start_after_days', 'invalid']]],
    ['unknown validity type', { validity: { type: 'forever' } as unknown as CardTerms['validity'] }, [['validity.type', 'invalid']]],
    ['usable hours ok', { usable_hours: [{ days: [1, 2], start: '10:00', end: '22:00' }] }, []],
    ['usable hours bad', { usable_hours: [{ days: [1, 2], start: '10:00', end: '10:00' }] }, [['usable_hours[0].end', 'invalid']]],
  ]
  for (const [name, overrides, expected] of cases) assert.deepEqual(errorsOf(cashTerms(overrides)), expected, name)
})

test('every problem is reported at once', () => {
  const terms = cashTerms({
    title: '', color: 'red', reduce_cost: null, percent_off: 10,
    validity: { type: 'fixed_term', days: 0, start_after_days: 0 },
    usable_hours: [{ days: [9], start: '10:00', end: '22:00' }],
  })
  assert.deepEqual(errorsOf(terms), [
    ['title', 'required'], ['color', 'invalid'], ['percent_off', 'not_allowed'], ['reduce_cost', 'required'],
    ['validity.days', 'invalid'], ['usable_hours[0].days', 'invalid'],
  ])
})

test('a group option is checked with the rest of the terms', () => {
  assert.deepEqual(errorsOf(cashTerms({ group: { size: 3, hours: 24 } })), [])
  assert.deepEqual(errorsOf(cashTerms({ group: null })), [])
  assert.deepEqual(errorsOf(cashTerms({ group: { size: 1, hours: 0 } })), [['group.size', 'invalid'], ['group.hours', 'invalid']])
})
