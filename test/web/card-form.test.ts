import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildCard, cardProblems, emptyForm, formOf } from '../../web/console/src/card-form.ts'
import { DEFAULT_POLICY } from '../../src/domain/types.ts'

const NOW = Date.parse('2030-03-01T02:00:00Z')
const form = (changes: Partial<ReturnType<typeof emptyForm>>) => ({ ...emptyForm(), title: '满100减20', notice: '结账时出示券码', reduce_cost: '20', least_cost: '100', ...changes })

describe('the card editor checks a card as the server will', () => {
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
    assert.deepEqual(problems.map((p) => `${p.code}@${p.field}`).sort(), ['money@least_cost', 'money@reduce_cost'])
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
})
