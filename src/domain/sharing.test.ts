import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { countsAsFriend, isUnlocked, maskUserId, tiersReached, validateShareRewards } from './sharing.ts'

describe('validateShareRewards', () => {
  it('accepts distinct tiers in any order', () => assert.deepEqual(validateShareRewards([{ friends: 10, card_id: 'b' }, { friends: 3, card_id: 'a' }]), []))
  it('refuses two tiers at the same count, naming the second', () => {
    const errors = validateShareRewards([{ friends: 3, card_id: 'a' }, { friends: 3, card_id: 'b' }])
    assert.deepEqual(errors.map((e) => [e.field, e.code]), [['share_rewards[1].friends', 'duplicate']])
  })
})

describe('tiersReached', () => {
  const tiers = [{ friends: 10, card_id: 'y' }, { friends: 3, card_id: 'x' }]
  const cases: [number, string[]][] = [[0, []], [2, []], [3, ['x']], [9, ['x']], [10, ['x', 'y']], [11, ['x', 'y']]]
  for (const [friends, expected] of cases) it(`${friends} friends`, () => assert.deepEqual(tiersReached(tiers, friends).map((t) => t.card_id), expected))
})

describe('countsAsFriend', () => {
  const cases: [string, Parameters<typeof countsAsFriend>[0], boolean][] = [
    ['someone else, first coupon', { sharerId: 'a', friendId: 'b', couponsOfCardBefore: 0 }, true],
    ['someone else who had one already', { sharerId: 'a', friendId: 'b', couponsOfCardBefore: 1 }, false],
    ['the sharer', { sharerId: 'a', friendId: 'a', couponsOfCardBefore: 0 }, false],
  ]
  for (const [what, input, expected] of cases) it(what, () => assert.equal(countsAsFriend(input), expected))
})

describe('isUnlocked', () => {
  const cases: [number | null, number, boolean][] = [[null, 0, true], [3, 2, false], [3, 3, true], [3, 4, true], [1, 0, false]]
  for (const [needed, friends, expected] of cases) it(`${needed} needed, ${friends} friends`, () => assert.equal(isUnlocked(needed, friends), expected))
})

describe('maskUserId', () => {
  const cases: [string, string][] = [['a', 'a***'], ['ab', 'a***'], ['abc', 'a***c'], ['abcdef', 'a***f'], ['customer-42', 'cu***42'], ['张三丰先生们', '张***们']]
  for (const [id, masked] of cases) it(id, () => assert.equal(maskUserId(id), masked))
})
