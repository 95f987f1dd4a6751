import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decideGroupJoin, effectiveGroupState, groupDeadline, maskUserId, membersNeeded, validateGroupOption } from './groups.ts'

const HOUR = 3_600_000
const open = (over: Partial<{ state: 'open' | 'completed' | 'failed'; size: number; member_count: number; expires_at: number }> = {}) => ({
  state: 'open' as const,
  size: 3,
  member_count: 1,
  expires_at: 10 * HOUR,
  ...over,
})

describe('group option', () => {
  const cases: [string, { size: number; hours: number }, string[]][] = [
    ['smallest', { size: 2, hours: 1 }, []],
    ['largest', { size: 100, hours: 720 }, []],
    ['a group of one', { size: 1, hours: 24 }, ['group.size']],
    ['too large', { size: 101, hours: 24 }, ['group.size']],
    ['fractional size', { size: 2.5, hours: 24 }, ['group.size']],
    ['no time', { size: 3, hours: 0 }, ['group.hours']],
    ['over a month', { size: 3, hours: 721 }, ['group.hours']],
    ['both wrong', { size: 0, hours: -1 }, ['group.size', 'group.hours']],
  ]
  for (const [name, option, fields] of cases) {
    it(name, () => assert.deepEqual(validateGroupOption(option).map((e) => e.field), fields))
  }
})

describe('group deadline and state', () => {
  it('the deadline is the opening plus the hours', () => assert.equal(groupDeadline({ size: 2, hours: 24 }, 5), 5 + 24 * HOUR))
  it('open until the last millisecond before the deadline', () => {
    assert.equal(effectiveGroupState(open(), 10 * HOUR - 1), 'open')
    assert.equal(effectiveGroupState(open(), 10 * HOUR), 'failed')
  })
  it('a completed group stays completed after its deadline', () => assert.equal(effectiveGroupState(open({ state: 'completed' }), 20 * HOUR), 'completed'))
  it('counts the members still needed', () => {
    assert.equal(membersNeeded(open()), 2)
    assert.equal(membersNeeded(open({ member_count: 3 })), 0)
  })
})

describe('joining a group', () => {
  it('a member who is not the last', () => assert.deepEqual(decideGroupJoin(open(), 0), { ok: true, completes: false }))
  it('the member who fills it completes it', () => assert.deepEqual(decideGroupJoin(open({ member_count: 2 }), 0), { ok: true, completes: true }))
  it('a full group is closed', () => assert.equal(decideGroupJoin(open({ member_count: 3 }), 0).ok, false))
  it('a completed group is closed', () => assert.equal(decideGroupJoin(open({ state: 'completed', member_count: 3 }), 0).ok, false))
  it('a failed group is closed', () => assert.equal(decideGroupJoin(open({ state: 'failed' }), 0).ok, false))
  it('at the deadline it is closed', () => {
    const decision = decideGroupJoin(open(), 10 * HOUR)
    assert.equal(decision.ok, false)
    assert.equal(!decision.ok && decision.error, 'group_closed')
  })
})

describe('masked member ids', () => {
  const cases: [string, string][] = [['a', 'a***'], ['ab', 'a***'], ['abc', 'a***c'], ['customer-42', 'cu***42'], ['用户一二三四五', '用户***四五']]
  for (const [id, masked] of cases) it(id, () => assert.equal(maskUserId(id), masked))
})
