import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { hasActivity } from '../../web/console/src/dashboard.ts'
import { buildThresholds, thresholdsForm } from '../../web/console/src/analytics.ts'

describe('the dashboard trend', () => {
  it('is drawn once a day counts a claim or a redemption, and is an empty state before', () => {
    const quiet = Array.from({ length: 30 }, () => ({ claims: 0, redemptions: 0 }))
    assert.equal(hasActivity([]), false)
    assert.equal(hasActivity(quiet), false)
    assert.equal(hasActivity([...quiet, { claims: 0, redemptions: 1 }]), true)
    assert.equal(hasActivity([{ claims: 2, redemptions: 0 }, ...quiet]), true)
  })
})

describe('the analytics helpers', () => {
  it('ranks the top cards by coupons given out, then by redemptions, at most n', async () => {
    const { topCards } = await import('../../web/console/src/dashboard.ts')
    const cards = [
      { title: 'a', issued_count: 3, redeemed_count: 0 },
      { title: 'b', issued_count: 9, redeemed_count: 1 },
      { title: 'c', issued_count: 3, redeemed_count: 2 },
    ]
    assert.deepEqual(topCards(cards, 2).map((c) => c.title), ['b', 'c'])
    assert.deepEqual(cards.map((c) => c.title), ['a', 'b', 'c'], 'the list given is left as it was')
  })

  it('places each RFM segment by its scores, formats rates and money, and a funnel step against the one before', async () => {
    const { RFM_COLUMNS, RFM_ROWS, segmentAt, percent, money, ratio, stepRate } = await import('../../web/console/src/analytics.ts')
    const segments = [
      { segment: 'high_value', recency: 'high', frequency: 'high', monetary: 'high' },
      { segment: 'hibernating', recency: 'low', frequency: 'low', monetary: 'low' },
      { segment: 'no_orders', recency: null, frequency: null, monetary: null },
    ] as const
    assert.equal(segmentAt(segments, 'high', 'high', 'high')?.segment, 'high_value')
    assert.equal(segmentAt(segments, 'low', 'low', 'low')?.segment, 'hibernating')
    assert.equal(segmentAt(segments, 'low', 'high', 'low'), undefined)
    assert.equal(RFM_COLUMNS.length * RFM_ROWS.length, 8)
    assert.deepEqual([percent(0.4), percent(null), percent(1)], ['40.0%', '—', '100.0%'])
    assert.deepEqual([money(2000), money(null), ratio(6.95), ratio(null)], ['¥20.00', '—', '6.95', '—'])
    assert.deepEqual([stepRate(2, 5), stepRate(3, 0), stepRate(1, undefined)], [0.4, null, null])
  })
})

describe('the RFM thresholds dialog', () => {
  const form = { window_days: 365, recency_days: 30, frequency: 3, monetary: '500' }
  it('sends whole numbers and the amount in fen, with nothing to refuse', () => {
    assert.deepEqual(buildThresholds(form), { body: { window_days: 365, recency_days: 30, frequency: 3, monetary: 50_000 }, problems: [] })
    assert.deepEqual(thresholdsForm({ window_days: 90, recency_days: 7, frequency: 2, monetary: 12_345 }), { window_days: 90, recency_days: 7, frequency: 2, monetary: '123.45' })
  })
  it('marks what the server would refuse, each field once', () => {
    assert.deepEqual(buildThresholds({ ...form, window_days: 20, recency_days: 30 }).problems, ['recency_days'])
    assert.deepEqual(buildThresholds({ ...form, window_days: null, frequency: null }).problems.sort(), ['frequency', 'window_days'])
    assert.deepEqual(buildThresholds({ ...form, monetary: '0' }).problems, ['monetary'])
    assert.deepEqual(buildThresholds({ ...form, monetary: '1.234' }).problems, ['monetary'])
    assert.deepEqual(buildThresholds({ ...form, monetary: ' ' }).problems, ['monetary'])
  })
})
