import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cardRates, dayBounds, dayKey, daysBetween, parseDayKey, ratio } from './analytics.ts'
import { parseInstant } from './time.ts'

const HOUR = 3_600_000
const at = (iso: string) => parseInstant(iso) as number

test('ratio: four places, null without a whole', () => {
  assert.equal(ratio(1, 3), 0.3333)
  assert.equal(ratio(2, 3), 0.6667)
  assert.equal(ratio(5, 5), 1)
  assert.equal(ratio(0, 7), 0)
  assert.equal(ratio(3, 0), null)
})

test('cardRates follows the contract’s definitions', () => {
  const rates = cardRates({ viewers: 8, claims: 6, claimers: 4, sharers: 1, redemptions: 3, discount_amount: 6000, order_amount: 45000 })
  assert.deepEqual(rates, { claim_rate: 0.5, redemption_rate: 0.5, share_rate: 0.25, cost_per_redemption: 2000, roi: 7.5 })
  assert.equal(cardRates({ viewers: 0, claims: 0, claimers: 0, sharers: 0, redemptions: 0, discount_amount: 0, order_amount: 0 }).roi, null)
  const none = cardRates({ viewers: 0, claims: 0, claimers: 0, sharers: 0, redemptions: 0, discount_amount: 0, order_amount: 0 })
  assert.deepEqual(none, { claim_rate: null, redemption_rate: null, share_rate: null, cost_per_redemption: null, roi: null })
  // Cost per redemption is whole fen: 1000 ÷ 3 rounds to 333.
  assert.equal(cardRates({ viewers: 1, claims: 3, claimers: 3, sharers: 0, redemptions: 3, discount_amount: 1000, order_amount: 0 }).cost_per_redemption, 333)
  // A range whose reversals outnumber its redemptions has no rate rather than a negative one.
  assert.equal(cardRates({ viewers: 1, claims: 1, claimers: 1, sharers: 0, redemptions: -1, discount_amount: -500, order_amount: -900 }).redemption_rate, 0)
  assert.equal(cardRates({ viewers: 1, claims: 1, claimers: 1, sharers: 0, redemptions: -1, discount_amount: -500, order_amount: -900 }).roi, null)
})

test('day keys: written and read back, impossible dates refused', () => {
  assert.equal(dayKey({ year: 2030, month: 3, day: 9 }), '2030-03-09')
  assert.deepEqual(parseDayKey('2030-03-09'), { year: 2030, month: 3, day: 9 })
  assert.deepEqual(parseDayKey('2028-02-29'), { year: 2028, month: 2, day: 29 })
  for (const bad of ['2030-02-29', '2030-13-01', '2030-3-9', '20300309', '']) assert.equal(parseDayKey(bad), null, bad)
})

test('daysBetween includes both ends and crosses months and years', () => {
  assert.deepEqual(daysBetween({ year: 2029, month: 12, day: 30 }, { year: 2030, month: 1, day: 2 }).map(dayKey), ['2029-12-30', '2029-12-31', '2030-01-01', '2030-01-02'])
  assert.deepEqual(daysBetween({ year: 2030, month: 1, day: 2 }, { year: 2030, month: 1, day: 2 }).map(dayKey), ['2030-01-02'])
  assert.deepEqual(daysBetween({ year: 2030, month: 1, day: 3 }, { year: 2030, month: 1, day: 2 }), [])
})

test('dayBounds: local midnights, 23 and 25 hours across daylight saving', () => {
  assert.deepEqual(dayBounds({ year: 2030, month: 3, day: 1 }, 'Asia/Shanghai'), { start: at('2030-02-28T16:00:00Z'), end: at('2030-03-01T16:00:00Z') })
  const spring = dayBounds({ year: 2030, month: 3, day: 10 }, 'America/New_York')
  assert.equal(spring.start, at('2030-03-10T05:00:00Z'))
  assert.equal(spring.end - spring.start, 23 * HOUR)
  const autumn = dayBounds({ year: 2030, month: 10, day: 27 }, 'Europe/Berlin')
  assert.equal(autumn.start, at('2030-10-26T22:00:00Z'))
  assert.equal(autumn.end - autumn.start, 25 * HOUR)
})

test('daysAskedOrErrors defaults to the 30 days ending today and refuses bad ranges', async () => {
  const { daysAskedOrErrors, MAX_RANGE_DAYS } = await import('./analytics.ts')
  const today = { year: 2030, month: 3, day: 10 }
  const month = daysAskedOrErrors(today, {})
  assert.deepEqual([month.days?.length, month.days && dayKey(month.days[0]), month.days && dayKey(month.days[29])], [30, '2030-02-09', '2030-03-10'])
  assert.deepEqual(daysAskedOrErrors(today, { to: '2030-01-05' }).days?.map(dayKey).slice(0, 1), ['2029-12-07'])
  assert.deepEqual(daysAskedOrErrors(today, { from: '2030-02-30', to: 'x' }).errors?.map((e) => [e.field, e.code]), [['from', 'invalid_date'], ['to', 'invalid_date']])
  assert.deepEqual(daysAskedOrErrors(today, { from: '2030-03-11' }).errors?.map((e) => e.code), ['after_to'])
  assert.equal(daysAskedOrErrors(today, { from: '2029-03-10' }).days?.length, MAX_RANGE_DAYS)
  assert.deepEqual(daysAskedOrErrors(today, { from: '2029-03-09' }).errors?.map((e) => e.code), ['range_too_long'])
})
