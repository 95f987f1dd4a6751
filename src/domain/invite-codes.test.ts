import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { INVITE_CODE_LENGTH, inviteCodeFromBytes, normalizeInviteCode } from './invite-codes.ts'

describe('invite codes', () => {
  it('spells 80 bits in 16 characters', () => {
    assert.equal(inviteCodeFromBytes(new Uint8Array(10)), '0000000000000000')
    assert.equal(inviteCodeFromBytes(new Uint8Array(10).fill(255)), 'ZZZZZZZZZZZZZZZZ')
    assert.equal(inviteCodeFromBytes(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1])), '0000000000000001')
    assert.equal(inviteCodeFromBytes(Uint8Array.from([8, 0, 0, 0, 0, 0, 0, 0, 0, 0])), '1000000000000000')
    assert.throws(() => inviteCodeFromBytes(new Uint8Array(9)))
  })
  it('forgives case, spaces, hyphens and look-alikes', () => {
    assert.equal(normalizeInviteCode('abcd-efgh ijkl-mnop'), 'ABCDEFGH1JK1MN0P')
    assert.equal(normalizeInviteCode('0000000000000001'), '0000000000000001')
  })
  it('refuses what cannot be a code', () => {
    assert.equal(normalizeInviteCode('ABC'), null)
    assert.equal(normalizeInviteCode('U'.repeat(INVITE_CODE_LENGTH)), null)
    assert.equal(normalizeInviteCode('0'.repeat(INVITE_CODE_LENGTH + 1)), null)
  })
})
