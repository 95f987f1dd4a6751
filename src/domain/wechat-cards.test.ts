import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cardFromWechat, cardToWechat, cardUpdateFromWechat, colorOf, dateInfoOf, mergeDefinition, pushOnViewOf, usableHoursOf, userCardStatusOf, validityOf, widensValidity, wxStatusOf } from './wechat-cards.ts'
import { cashTerms } from './fixtures.ts'

const NOW = Date.parse('2026-03-01T00:00:00Z')
const cash = (base: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  card_type: 'CASH',
  cash: { base_info: { title: '满100减20', notice: 'Show it', color: 'Color010', code_type: 'CODE_TYPE_QRCODE', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 }, sku: { quantity: 10 }, ...base }, reduce_cost: 2000, least_cost: 10000, ...extra },
})

describe('WeChat cards to Kabao cards', () => {
  it('maps a cash card with its defaults (get_limit 50, sharing allowed)', () => {
    const read = cardFromWechat(cash(), NOW)
    assert.ok(read.ok && 'draft' in read)
    assert.deepEqual(read.draft, {
      type: 'cash', title: '满100减20', subtitle: null, color: '#63b359', logo_url: null, notice: 'Show it', description: null, stock: 10, get_limit: 50,
      code_type: 'qrcode', validity: { type: 'fixed_term', days: 7, start_after_days: 0 }, usable_hours: null, can_share: true, can_gift: true, reduce_cost: 2000, least_cost: 10000,
    })
  })

  it('reads the date type as a constant, 1 or "1" alike, and numbers as strings', () => {
    const range = (type: unknown) => cardFromWechat(cash({ date_info: { type, begin_timestamp: '1772323200', end_timestamp: 1774915200 }, sku: { quantity: '10' } }), NOW)
    const drafts = ['DATE_TYPE_FIX_TIME_RANGE', 1, '1'].map((t) => { const r = range(t); assert.ok(r.ok && 'draft' in r); return r.draft })
    assert.deepEqual(drafts[0], drafts[1])
    assert.deepEqual(drafts[0], drafts[2])
    assert.deepEqual(drafts[0].validity, { type: 'fixed_range', begin_at: '2026-03-01T00:00:00.000Z', end_at: '2026-03-31T00:00:00.000Z' })
  })

  const refusals: [string, Record<string, unknown>, number][] = [
    ['a scenic ticket', { card_type: 'SCENIC_TICKET', scenic_ticket: {} }, 40071],
    ['a missing title', cash({ title: '' }), 41011],
    ['a title over 27 characters', cash({ title: 'x'.repeat(28) }), 45021],
    ['custom codes', cash({ use_custom_code: true }), 43009],
    ['an unknown colour', cash({ color: 'Color999' }), 40097],
    ['a missing date_info', cash({ date_info: null }), 41011],
    ['a missing quantity', cash({ sku: {} }), 41011],
    ['two different least_costs', { card_type: 'CASH', cash: { ...cash().cash, advanced_info: { use_condition: { least_cost: 5000 } } } }, 40097],
  ]
  for (const [name, card, errcode] of refusals) {
    it(`refuses ${name} with ${errcode}`, () => {
      const read = cardFromWechat(card, NOW)
      assert.equal(read.ok, false)
      assert.equal((read as { errcode: number }).errcode, errcode)
    })
  }

  it('reads colours by name or hex, and time limits as usable hours', () => {
    assert.deepEqual(colorOf('color102'), { ok: true, value: '#5e6671' })
    assert.deepEqual(colorOf('#AABBCC'), { ok: true, value: '#aabbcc' })
    assert.deepEqual(usableHoursOf([{ type: 'MONDAY', begin_hour: 10, begin_minute: 0, end_hour: 22, end_minute: 0 }, { type: 'TUESDAY', begin_hour: '10', end_hour: '22' }, { type: 'SUNDAY' }, { type: 'HOLIDAY' }]), {
      ok: true,
      value: [{ days: [1, 2], start: '10:00', end: '22:00' }, { days: [7], start: '00:00', end: '24:00' }],
    })
  })

  it('makes a permanent card a range to 2099 and reports it back as permanent', () => {
    const read = validityOf({ type: 'DATE_TYPE_PERMANENT' }, NOW)
    assert.ok(read.ok)
    assert.deepEqual(dateInfoOf(read.value, true), { type: 'DATE_TYPE_PERMANENT' })
  })
})

describe('Kabao cards as WeChat cards', () => {
  it('renders live stock, hex colour, status and validity, keeping stored extras', () => {
    const read = cardFromWechat(cash({ service_phone: '400-1' }), NOW)
    assert.ok(read.ok && 'draft' in read)
    const terms = { ...read.draft, tiers: null, percent_off: null, max_discount: null, gift: null, deal_detail: null, default_detail: null, store_ids: [], notice: 'Show it' }
    const card = cardToWechat({ id: 'crd_1', status: 'active', stock_remaining: 8, issued_count: 2, get_limit: 50, code_type: 'qrcode', version: 1, terms: terms as never, definition: cash({ service_phone: '400-1' }), permanent: false, poiIds: [] }) as any
    assert.equal(card.card_type, 'CASH')
    assert.equal(card.cash.base_info.status, 'CARD_STATUS_VERIFY_OK')
    assert.equal(card.cash.base_info.color, '#63b359')
    assert.deepEqual(card.cash.base_info.sku, { quantity: 8, total_quantity: 10 })
    assert.equal(card.cash.base_info.service_phone, '400-1')
    assert.deepEqual(card.cash.base_info.date_info, { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 })
    assert.equal(card.cash.reduce_cost, 2000)
  })

  it('maps statuses', () => {
    assert.deepEqual(['draft', 'paused', 'active', 'ended'].map(wxStatusOf), ['CARD_STATUS_NOT_VERIFY', 'CARD_STATUS_NOT_VERIFY', 'CARD_STATUS_VERIFY_OK', 'CARD_STATUS_DELETE'])
    assert.deepEqual(['available', 'redeemed', 'expired', 'voided'].map((s) => userCardStatusOf(s)), ['NORMAL', 'CONSUMED', 'EXPIRE', 'UNAVAILABLE'])
    assert.equal(userCardStatusOf('voided', 'holder'), 'DELETE', 'removed from the wallet by its holder')
    assert.equal(userCardStatusOf('voided', 'merchant'), 'UNAVAILABLE')
  })

  it('reads need_push_on_view from a stored definition under any type key, and refuses a non-boolean', () => {
    assert.equal(pushOnViewOf(null), false)
    assert.equal(pushOnViewOf({ card_type: 'CASH', cash: { base_info: { title: 'x' } } }), false)
    for (const yes of [true, 1, '1', 'true', ' TRUE ']) assert.equal(pushOnViewOf({ card_type: 'CASH', cash: { base_info: { need_push_on_view: yes } } }), true, String(yes))
    assert.equal(pushOnViewOf({ card_type: 'GIFT', Gift: { base_info: { need_push_on_view: 'false' } } }), false)
    assert.equal(pushOnViewOf({ card_type: 'CASH', cash: { base_info: { need_push_on_view: 'maybe' } } }), false)
    const bad = cardUpdateFromWechat({ card_id: 'crd_1', cash: { base_info: { need_push_on_view: 'maybe' } } }, cashTerms({}), false, 0)
    assert.deepEqual(bad.ok ? null : [bad.errcode, bad.detail], [40097, 'need_push_on_view'])
  })
})

describe('card/update bodies', () => {
  const range = { type: 'fixed_range' as const, begin_at: '2026-03-01T00:00:00Z', end_at: '2026-04-01T00:00:00Z' }
  const terms = cashTerms({ validity: range, reduce_cost: 2000, least_cost: 10000 })
  const begin = Date.parse(range.begin_at) / 1000
  const end = Date.parse(range.end_at) / 1000

  it('reads face and settings under any wrapper key and echoes of unchanged values', () => {
    const read = cardUpdateFromWechat({ card_id: 'crd_1', member_card: { base_info: { title: 'New', color: 'Color102', get_limit: '2', can_give_friend: 'false' }, reduce_cost: '2000', least_cost: 10000 } }, terms, false, NOW)
    assert.ok(read.ok)
    assert.deepEqual(read.change, { title: 'New', color: '#5e6671', get_limit: 2, can_gift: false })
  })

  it('lets date_info only widen, of the same type', () => {
    assert.ok(widensValidity(range, false, { type: 'fixed_range', begin_at: '2026-02-01T00:00:00Z', end_at: '2026-05-01T00:00:00Z' }, false))
    assert.equal(widensValidity(range, false, { type: 'fixed_range', begin_at: '2026-03-02T00:00:00Z', end_at: '2026-05-01T00:00:00Z' }, false), false)
    assert.equal(widensValidity(range, false, { type: 'fixed_term', days: 30, start_after_days: 0 }, false), false)
    assert.ok(widensValidity({ type: 'fixed_term', days: 7, start_after_days: 1 }, false, { type: 'fixed_term', days: 8, start_after_days: 0 }, false))
    assert.equal(widensValidity(range, false, range, true), false)
    const narrowed = cardUpdateFromWechat({ cash: { base_info: { date_info: { type: 1, begin_timestamp: begin, end_timestamp: end - 1 } } } }, terms, false, NOW)
    assert.deepEqual(narrowed, { ok: false, errcode: 40100, detail: 'date_info' })
    const widened = cardUpdateFromWechat({ cash: { base_info: { date_info: { type: '1', begin_timestamp: begin, end_timestamp: end + 1 } } } }, terms, false, NOW)
    assert.ok(widened.ok)
    assert.deepEqual(widened.change.validity, { type: 'fixed_range', begin_at: range.begin_at.replace('Z', '.000Z'), end_at: '2026-04-01T00:00:01.000Z' })
  })

  it('refuses a changed value field (40097) and an overlong title (45021)', () => {
    for (const sent of [{ reduce_cost: 3000 }, { least_cost: 0 }, { discount: 10 }, { gift: 'tea' }]) {
      const read = cardUpdateFromWechat({ cash: { base_info: {}, ...sent } }, terms, false, NOW)
      assert.equal(read.ok ? 0 : read.errcode, 40097, JSON.stringify(sent))
    }
    const viaCondition = cardUpdateFromWechat({ cash: { advanced_info: { use_condition: { least_cost: 5000 } } } }, terms, false, NOW)
    assert.equal(viaCondition.ok ? 0 : viaCondition.errcode, 40097)
    const long = cardUpdateFromWechat({ cash: { base_info: { title: '长'.repeat(28) } } }, terms, false, NOW)
    assert.equal(long.ok ? 0 : long.errcode, 45021)
  })

  it('keeps what an update sent over the stored definition, under the real type key', () => {
    const merged = mergeDefinition({ card_type: 'CASH', cash: { base_info: { title: 'Old', service_phone: '1' }, reduce_cost: 2000 } }, 'cash', { base_info: { service_phone: '2' } })
    assert.deepEqual(merged, { card_type: 'CASH', cash: { base_info: { title: 'Old', service_phone: '2' }, reduce_cost: 2000 } })
    assert.deepEqual(mergeDefinition(null, 'gift', { base_info: { abstract: 'x' } }), { card_type: 'GIFT', gift: { base_info: { abstract: 'x' } } })
  })
})
