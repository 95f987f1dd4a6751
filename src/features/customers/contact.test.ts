import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { channelOf, contactFrom, normalizeEmail, normalizePhone } from './contact.ts'

describe('normalizePhone', () => {
  const cases: [string, string | null][] = [
    ['13800138000', '+8613800138000'],
    ['138 0013 8000', '+8613800138000'],
    ['+86 138-0013-8000', '+8613800138000'],
    ['008613800138000', '+8613800138000'],
    ['8613800138000', '+8613800138000'],
    ['+1 (415) 555-0123', '+14155550123'],
    ['+852 9123 4567', '+85291234567'],
    ['12800138000', '+12800138000'],
    ['+123456789012345', '+123456789012345'],
    ['+1234567890123456', null],
    ['1234567', null],
    ['+0123456789', null],
    ['abc', null],
    ['138-0013-800O', null],
    ['', null],
    ['++8613800138000', null],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(normalizePhone(input), expected))
  }
})

describe('normalizeEmail', () => {
  const cases: [string, string | null][] = [
    ['  Alice@Example.COM ', 'alice@example.com'],
    ['a.b+tag@mail.example.cn', 'a.b+tag@mail.example.cn'],
    ['+tag@example.com', '+tag@example.com'],
    ['alice@localhost', null],
    ['alice@@example.com', null],
    ['al ice@example.com', null],
    ['alice@example..com', null],
    ['@example.com', null],
    [`${'a'.repeat(250)}@x.cn`, null],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.slice(0, 40))} → ${expected}`, () => assert.equal(normalizeEmail(input), expected))
  }
})

describe('contactFrom', () => {
  it('takes a phone', () => assert.deepEqual(contactFrom({ phone: '13800138000' }), { ok: true, contact: { channel: 'phone', destination: '+8613800138000' } }))
  it('takes an e-mail', () => assert.deepEqual(contactFrom({ email: 'A@b.cn' }), { ok: true, contact: { channel: 'email', destination: 'a@b.cn' } }))
  it('wants exactly one of them', () => {
    for (const input of [{}, { phone: '13800138000', email: 'a@b.cn' }]) {
      const result = contactFrom(input)
      assert.equal(result.ok, false)
      if (!result.ok) assert.deepEqual(result.errors.map((e) => e.field), ['phone', 'email'])
    }
  })
  it('names the bad field', () => {
    const phone = contactFrom({ phone: 'call me' })
    const email = contactFrom({ email: 'nope' })
    assert.ok(!phone.ok && phone.errors[0].field === 'phone')
    assert.ok(!email.ok && email.errors[0].field === 'email')
  })
})

describe('channelOf', () => {
  it('tells stored phones from e-mail addresses, even one starting with +', () => {
    assert.equal(channelOf('+8613800138000'), 'phone')
    assert.equal(channelOf('+tag@example.com'), 'email')
  })
})
