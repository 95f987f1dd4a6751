import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildCard, cardProblems, emptyForm, formOf, shownProblems } from '../../web/console/src/card-form.ts'
import { formProp } from '../../web/shared/problems.ts'
import { DEFAULT_POLICY } from '../../src/domain/types.ts'

const NOW = Date.parse('2030-03-01T02:00:00Z')
const form = (changes: Partial<ReturnType<typeof emptyForm>>) => ({ ...emptyForm(), title: '满100减20', notice: '结账时出示券码', reduce_cost: '20', least_cost: '100', ...changes })

describe('the card editor checks a card as the server will', () => {
  it('sends share reward tiers with a card chosen, fewest friends first, and the fission goal', () => {
    const { body } = buildCard(form({ can_share: true, share_rewards: [{ friends: 10, card_id: 'crd_b' }, { friends: 5, card_id: '' }, { friends: 3, card_id: 'crd_a' }], unlock_after_friends: 2 }), 'Asia/Shanghai')
    assert.deepEqual(body.share_rewards, [{ friends: 3, card_id: 'crd_a' }, { friends: 10, card_id: 'crd_b' }])
    assert.equal(body.unlock_after_friends, 2)
    const plain = buildCard(form({}), 'Asia/Shanghai').body
    assert.deepEqual([plain.share_rewards, plain.unlock_after_friends], [[], null])
  })

  it('sends a group coupon’s size and hours, marks each number the server would refuse, and edits it as saved', () => {
    const built = buildCard(form({ group: { size: 4, hours: 48 } }), 'Asia/Shanghai')
    assert.deepEqual(built.body.group, { size: 4, hours: 48 })
    assert.deepEqual(cardProblems(built, DEFAULT_POLICY, NOW), [])
    assert.equal(buildCard(form({}), 'Asia/Shanghai').body.group, null)
    const cleared = cardProblems(buildCard(form({ group: { size: null, hours: 24 } }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(cleared.map((p) => `${p.code}@${p.field}`), ['invalid@group.size'])
    const outOfBounds = cardProblems(buildCard(form({ group: { size: 101, hours: 721 } }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(outOfBounds.map((p) => `${p.code}@${p.field}`), ['invalid@group.size', 'invalid@group.hours'])
    const card = { ...built.body, id: 'crd_1', status: 'active', version: 1, stock_remaining: 5, issued_count: 0, created_at: '', updated_at: '' } as never
    assert.deepEqual(formOf(card).group, { size: 4, hours: 48 })
  })

  it('sends money typed in yuan as fen, and only the fields of the card’s type', () => {
    const { body, inputErrors } = buildCard(form({ reduce_cost: '20.5', least_cost: '100' }), 'Asia/Shanghai')
    assert.deepEqual(inputErrors, [])
    assert.equal(body.reduce_cost, 2050)
    assert.equal(body.least_cost, 10000)
    assert.equal('percent_off' in body, false)
    assert.deepEqual(body.validity, { type: 'fixed_term', days: 30, start_after_days: 0 })
    assert.equal(body.usable_hours, null)
    assert.deepEqual(cardProblems(buildCard(form({}), 'Asia/Shanghai'), DEFAULT_POLICY, NOW), [])
  })

  it('finds the compliance problems before sending, on the fields they concern', () => {
    const problems = cardProblems(buildCard(form({ reduce_cost: '60', notice: ' ', validity: { type: 'fixed_term', days: 2, start_after_days: 0, range: [] } }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(problems.map((p) => `${p.code}@${p.field}`).sort(), ['max_reduce_ratio@reduce_cost', 'min_validity_days@validity.days', 'notice_required@notice'])
    const tiered = cardProblems(buildCard(form({ use_tiers: true, tiers: [{ least_cost: '100', reduce_cost: '10' }, { least_cost: '200', reduce_cost: '150' }] }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(tiered.map((p) => `${p.code}@${p.field}`), ['max_reduce_ratio@tiers.1.reduce_cost'])
  })

  it('refuses amounts that are not money, and a missing title', () => {
    const problems = cardProblems(buildCard(form({ title: '', reduce_cost: '12.345', least_cost: 'abc' }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(problems.map((p) => `${p.code}@${p.field}`).sort(), ['money@least_cost', 'money@reduce_cost', 'required@title'])
    const untitled = cardProblems(buildCard(form({ title: ' ' }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(untitled.map((p) => `${p.code}@${p.field}`), ['required@title'])
  })

  it('turns a range of local dates into the merchant’s first and last second', () => {
    const { body } = buildCard(form({ validity: { type: 'fixed_range', days: 30, start_after_days: 0, range: ['2030-03-01', '2030-03-31'] } }), 'Asia/Shanghai')
    assert.deepEqual(body.validity, { type: 'fixed_range', begin_at: '2030-03-01T00:00:00+08:00', end_at: '2030-03-31T23:59:59+08:00' })
    const { body: ny } = buildCard(form({ validity: { type: 'fixed_range', days: 30, start_after_days: 0, range: ['2030-03-09', '2030-03-10'] } }), 'America/New_York')
    assert.deepEqual(ny.validity, { type: 'fixed_range', begin_at: '2030-03-09T00:00:00-05:00', end_at: '2030-03-10T23:59:59-04:00' })
  })

  it('edits a card as it was saved', () => {
    const card = {
      ...buildCard(form({ use_tiers: true, tiers: [{ least_cost: '100', reduce_cost: '10' }] }), 'Asia/Shanghai').body,
      id: 'crd_1', status: 'active', version: 1, stock_remaining: 5, issued_count: 0, created_at: '', updated_at: '',
    } as never
    const again = formOf(card)
    assert.equal(again.use_tiers, true)
    assert.deepEqual(again.tiers, [{ least_cost: '100', reduce_cost: '10' }])
    assert.equal(again.stock, 5)
  })

  it('marks the amount off of every value that is not one, once, whatever else is wrong', () => {
    const at = (reduce_cost: string) => cardProblems(buildCard(form({ reduce_cost }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW).map((p) => `${p.code}@${p.field}`)
    assert.deepEqual(at('-5'), ['negative@reduce_cost'])
    assert.deepEqual(at('0'), ['positive@reduce_cost'])
    assert.deepEqual(at('abc'), ['money@reduce_cost'])
    assert.deepEqual(at(''), ['required@reduce_cost'])
    const tier = cardProblems(buildCard(form({ use_tiers: true, tiers: [{ least_cost: '100', reduce_cost: '0' }] }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(tier.map((p) => `${p.code}@${p.field}`), ['positive@tiers.0.reduce_cost'])
  })

  it('asks for the percent off of a discount card', () => {
    const problems = cardProblems(buildCard(form({ type: 'discount', percent_off: null }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.deepEqual(problems.map((p) => `${p.code}@${p.field}`), ['required@percent_off'])
    assert.deepEqual(cardProblems(buildCard(form({ type: 'discount', percent_off: 15 }), 'Asia/Shanghai'), DEFAULT_POLICY, NOW), [])
  })

  it('keeps a last day before the first and says so on the last day', () => {
    const built = buildCard(form({ validity: { type: 'fixed_range', days: 30, start_after_days: 0, range: ['2030-03-20', '2030-03-10'] } }), 'Asia/Shanghai')
    assert.deepEqual(cardProblems(built, DEFAULT_POLICY, NOW).map((p) => `${p.code}@${p.field}`), ['end_before_start@validity.end_at'])
    const missingEnd = buildCard(form({ validity: { type: 'fixed_range', days: 30, start_after_days: 0, range: ['2030-03-20'] } }), 'Asia/Shanghai')
    assert.deepEqual(cardProblems(missingEnd, DEFAULT_POLICY, NOW).map((p) => `${p.code}@${p.field}`), ['required@validity.end_at'])
    const sameDay = buildCard(form({ validity: { type: 'fixed_range', days: 30, start_after_days: 0, range: ['2030-03-20', '2030-03-20'] } }), 'Asia/Shanghai')
    assert.deepEqual(cardProblems(sameDay, null, NOW), [])
  })

  it('shows nothing on a form nobody touched, a left field’s problem, and everything once sent', () => {
    const problems = cardProblems(buildCard(emptyForm(), 'Asia/Shanghai'), DEFAULT_POLICY, NOW)
    assert.ok(problems.some((p) => p.code === 'notice_required'), 'the pristine form does break the policy')
    const text = (p: { code: string }) => p.code
    assert.deepEqual(shownProblems(problems, { attempted: false, touched: new Set() }, {}, text), {})
    assert.deepEqual(shownProblems(problems, { attempted: false, touched: new Set(['notice']) }, {}, text), { notice: 'notice_required' })
    const sent = shownProblems(problems, { attempted: true, touched: new Set() }, {}, text)
    assert.deepEqual(Object.keys(sent).sort(), problems.map((p) => p.field).sort())
    assert.deepEqual(shownProblems([], { attempted: true, touched: new Set() }, { 'validity.days': 'too short' }, text), { 'validity.days': 'too short' })
  })

  it('puts the server’s field problems on the form items, named by path or by JSON pointer', () => {
    assert.equal(formProp('tiers[1].reduce_cost'), 'tiers.1.reduce_cost')
    assert.equal(formProp('/tiers/1/reduce_cost'), 'tiers.1.reduce_cost')
    assert.equal(formProp('/validity/end_at'), 'validity.end_at')
    assert.equal(formProp('reduce_cost'), 'reduce_cost')
  })
})
