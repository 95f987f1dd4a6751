import { test } from 'node:test'
import assert from 'node:assert/strict'
import { balanceChangeOf, memberCardFromWechat, memberFieldsOf, touchesBalances } from './wechat-member-cards.ts'

const card = (member: Record<string, unknown>, base: Record<string, unknown> = {}) => ({
  card_type: 'MEMBER_CARD', Member_Card: { base_info: { title: 'Club', notice: 'n', color: 'Color010', sku: { quantity: '100' }, ...base }, ...member },
})

test('member_card maps onto a native member card with one level', () => {
  const read = memberCardFromWechat(card({ supply_bonus: 'true', supply_balance: 0, prerogative: '10% off', auto_activate: 1 }))
  assert.ok(read.ok)
  assert.equal(read.draft.color, '#63b359')
  assert.deepEqual(read.draft.levels, [{ name: 'Member', min_growth: 0, perks: ['10% off'] }])
  assert.equal(read.draft.points_rules.per_yuan, 1)
  assert.deepEqual(read.draft.stored_value, { enabled: false })
  assert.equal(read.quantity, 100)
  assert.equal(read.autoActivate, true)
  const plain = memberCardFromWechat(card({}))
  assert.ok(plain.ok)
  assert.equal(plain.draft.points_rules.per_yuan, 0, 'no supply_bonus: no points earned')
})

test('member_card refusals', () => {
  assert.deepEqual(memberCardFromWechat({ card_type: 'MEMBER_CARD' }), { ok: false, errcode: 41011, detail: 'member_card' })
  assert.equal((memberCardFromWechat(card({}, { title: 'x'.repeat(28) })) as { errcode: number }).errcode, 45021)
  assert.equal((memberCardFromWechat(card({}, { use_custom_code: true })) as { errcode: number }).errcode, 43009)
  assert.equal((memberCardFromWechat(card({}, { sku: null })) as { errcode: number }).errcode, 41011)
  assert.equal((memberCardFromWechat(card({ supply_bonus: 'maybe' })) as { errcode: number }).errcode, 40097)
  assert.equal((memberCardFromWechat(card({ prerogative: 'p'.repeat(201) })) as { errcode: number }).errcode, 45021)
})

test('updateuser deltas: add_* signed, a total gives its delta from the balance, add_* wins over a total', () => {
  const now = { points: 70, storedValue: 500 }
  assert.deepEqual(balanceChangeOf({ add_bonus: -30 }, now), { ok: true, value: { bonus: -30, balance: 0 } })
  assert.deepEqual(balanceChangeOf({ bonus: '50', balance: 800 }, now), { ok: true, value: { bonus: -20, balance: 300 } })
  assert.deepEqual(balanceChangeOf({ add_bonus: 5, bonus: 1000, add_balance: '-300', balance: 0 }, now), { ok: true, value: { bonus: 5, balance: -300 } })
  assert.equal((balanceChangeOf({ bonus: -1 }, now) as { errcode: number }).errcode, 40097)
  assert.equal((balanceChangeOf({ add_balance: 1.5 }, now) as { errcode: number }).errcode, 40097)
  assert.deepEqual(touchesBalances({ bonus: null, add_balance: '' }), { bonus: false, balance: false })
  assert.deepEqual(touchesBalances({ bonus: 0 }), { bonus: true, balance: false })
})

test('display fields: activation takes init_ values and times, updateuser plain values', () => {
  const activated = memberFieldsOf({ init_custom_field_value2: 'Gold', custom_field_value1: 'ignored', activate_begin_time: '1700000000', background_pic_url: 'https://a.example/b.png' }, {}, true)
  assert.deepEqual(activated, { ok: true, value: { custom_field_values: [null, 'Gold', null], activate_begin_time: 1700000000, background_pic_url: 'https://a.example/b.png' } })
  assert.ok(activated.ok)
  const updated = memberFieldsOf({ custom_field_value1: 'One' }, activated.value, false)
  assert.ok(updated.ok)
  assert.deepEqual(updated.value.custom_field_values, ['One', 'Gold', null])
  assert.equal((memberFieldsOf({ background_pic_url: 'javascript:alert(1)' }, {}, false) as { errcode: number }).errcode, 40097)
})
