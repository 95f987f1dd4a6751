import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { addCounts, datacubeCardType, datacubeRange, ZERO_FIGURES } from './wechat-datacube.ts'

const today = { year: 2026, month: 3, day: 2 }

describe('WeChat datacube ranges', () => {
  it('takes YYYY-MM-DD days, at most 62, and stops at today', () => {
    assert.deepEqual(datacubeRange({ begin_date: '2026-02-28', end_date: '2026-03-05' }, today), { ok: true, from: '2026-02-28', to: '2026-03-02', days: ['2026-02-28', '2026-03-01', '2026-03-02'], condSource: null })
    assert.deepEqual(datacubeRange({ begin_date: '2026-03-03', end_date: '2026-03-05' }, today), { ok: true, from: '2026-03-03', to: '2026-03-02', days: [], condSource: null })
    assert.equal((datacubeRange({ begin_date: '2025-12-30', end_date: '2026-03-01' }, today) as { days: string[] }).days.length, 62)
    assert.deepEqual(datacubeRange({ begin_date: '2025-12-29', end_date: '2026-03-01' }, today), { ok: false, errcode: 61501 })
  })
  it('answers 61500 for a bad or missing date, 61501 for begin after end, 40097 for another cond_source', () => {
    for (const body of [{}, { begin_date: '2026-3-1', end_date: '2026-03-02' }, { begin_date: '2026-02-29', end_date: '2026-03-02' }, { begin_date: 20260301, end_date: '2026-03-02' }]) assert.deepEqual(datacubeRange(body, today), { ok: false, errcode: 61500 })
    assert.deepEqual(datacubeRange({ begin_date: '2026-03-02', end_date: '2026-03-01' }, today), { ok: false, errcode: 61501 })
    assert.equal((datacubeRange({ begin_date: '2026-03-01', end_date: '2026-03-01', cond_source: '1' }, today) as { condSource: number }).condSource, 1)
    assert.deepEqual(datacubeRange({ begin_date: '2026-03-01', end_date: '2026-03-01', cond_source: 2 }, today), { ok: false, errcode: 40097, detail: 'cond_source' })
  })
  it('numbers card types as WeChat and adds counts, not distinct people', () => {
    assert.deepEqual((['discount', 'cash', 'gift', 'general_coupon', 'groupon'] as const).map(datacubeCardType), [0, 1, 2, 3, 4])
    const one = { ...ZERO_FIGURES, receive_cnt: 2, receive_user: 2 }
    assert.deepEqual(addCounts(one, one), { ...ZERO_FIGURES, receive_cnt: 4, receive_user: 2 })
  })
})
