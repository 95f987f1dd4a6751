import { describe, it, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../web/shared/api.ts'
import { locale } from '../../web/shared/i18n.ts'
import { problemDetail, problemHeadline, problemText } from '../../web/shared/problems.ts'
import { pointsEntryText, storedValueEntryText } from '../../web/shared/ledger.ts'

// The apps word a refusal from the problem's members, in their own language: amounts in 元, the store's
// name where they know it, never a raw id or the server's English.

const refusal = (code: ConstructorParameters<typeof ApiError>[1], params: ConstructorParameters<typeof ApiError>[4]) =>
  new ApiError(409, code, 'The server’s own English sentence', [], params)
const inStore = { storeName: (id: string) => (id === 'sto_1' ? '静安店' : undefined) }

describe('refusals worded by the apps', () => {
  afterEach(() => {
    locale.value = 'zh-CN'
  })

  it('words a missed spending threshold in 元', () => {
    const error = refusal('below_threshold', { order_amount: 5000, threshold: 10000 })
    assert.equal(problemDetail(error), '订单金额 ¥50.00，满 ¥100.00 才能使用')
    assert.equal(problemText(error), '订单金额未达到这张券的使用门槛：订单金额 ¥50.00，满 ¥100.00 才能使用')
    locale.value = 'en'
    assert.equal(problemDetail(error), 'The order is ¥50.00; this coupon needs ¥100.00 or more')
    assert.doesNotMatch(problemText(error), /5000|10000|server/)
  })

  it('names the store a coupon was redeemed in, or says another store, never its id', () => {
    const here = refusal('already_redeemed', { redeemed_at: '2026-03-10T10:00:00+08:00', store_id: 'sto_1' })
    assert.equal(problemDetail(here, inStore), '已于 2026-03-10 10:00 在静安店核销')
    const elsewhere = refusal('already_redeemed', { redeemed_at: '2026-03-10T10:00:00+08:00', store_id: 'sto_2' })
    assert.equal(problemDetail(elsewhere, inStore), '已于 2026-03-10 10:00 在其他门店核销')
    const nowhere = refusal('already_redeemed', { redeemed_at: '2026-03-10T10:00:00+08:00', store_id: null })
    assert.equal(problemDetail(nowhere), '已于 2026-03-10 10:00 核销')
    locale.value = 'en'
    assert.equal(problemDetail(here, inStore), 'Redeemed on 2026-03-10 10:00 at 静安店')
    assert.equal(problemDetail(elsewhere, inStore), 'Redeemed on 2026-03-10 10:00 at another store')
    assert.equal(problemHeadline(here), 'This coupon has already been used')
  })

  it('says when a coupon could or can be used', () => {
    assert.equal(problemDetail(refusal('expired', { valid_until: '2026-03-12T23:59:59+08:00' })), '有效期至 2026-03-12 23:59')
    assert.equal(problemDetail(refusal('not_yet_valid', { valid_from: '2026-03-11T00:00:00+08:00' })), '2026-03-11 00:00 起可以使用')
    const hours = refusal('outside_usable_hours', { usable_hours: [{ days: [1, 2, 3, 4, 5], start: '11:00', end: '14:00' }, { days: [6, 7], start: '10:00', end: '22:00' }] })
    assert.equal(problemDetail(hours), '可用时段：周一至周五 11:00–14:00；周六、周日 10:00–22:00')
    const everyDay = refusal('outside_usable_hours', { usable_hours: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '10:00', end: '22:00' }] })
    locale.value = 'en'
    assert.equal(problemDetail(hours), 'It can be used Mon–Fri 11:00–14:00; Sat, Sun 10:00–22:00')
    assert.equal(problemDetail(everyDay), 'It can be used every day 10:00–22:00')
    assert.equal(problemDetail(refusal('expired', { valid_until: '2026-03-12T23:59:59+08:00' })), 'It was valid until 2026-03-12 23:59')
  })

  it('adds nothing where the problem names nothing, and never shows the server’s sentence for a known code', () => {
    assert.equal(problemDetail(refusal('voided', {})), '')
    assert.equal(problemText(refusal('voided', {})), '这张券已作废')
    assert.equal(problemDetail(refusal('store_not_allowed', { store_id: 'sto_2' })), '')
    assert.equal(problemDetail(refusal('store_not_allowed', { store_id: null })), '这张券只能在指定门店使用，请先选择门店')
    assert.equal(problemDetail(new Error('boom')), '')
  })
})

describe('ledger entry types worded by the apps', () => {
  afterEach(() => {
    locale.value = 'zh-CN'
  })

  it('words every type in each language, a refund as what it is in each ledger', () => {
    assert.equal(pointsEntryText('adjustment'), '商家调整')
    assert.equal(pointsEntryText('refund'), '退款扣回')
    assert.equal(storedValueEntryText('refund'), '退款')
    assert.equal(storedValueEntryText('top_up'), '充值')
    locale.value = 'en'
    assert.equal(pointsEntryText('adjustment'), 'Adjusted by the shop')
    assert.equal(storedValueEntryText('payment'), 'Paid with stored value')
    // A type newer than the app reads as the server names it rather than as nothing.
    assert.equal(pointsEntryText('lottery'), 'lottery')
  })
})
