import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_GIFT_TTL_MS, decideGiftAccept, decideGiftSend, giftExpiresAt, type GiftSendInput } from './gifts.ts'

const NOW = Date.parse('2030-01-01T12:00:00Z')
const send = (overrides: Omit<Partial<GiftSendInput>, 'coupon'> & { coupon?: Partial<GiftSendInput['coupon']> } = {}): GiftSendInput => ({
  canGift: true,
  sentToday: 0,
  dailyLimit: 5,
  now: NOW,
  ...overrides,
  coupon: { state: 'available', source: 'api', valid_until: NOW + 86_400_000, ...overrides.coupon },
})

describe('decideGiftSend', () => {
  const cases: [string, GiftSendInput, string | null][] = [
    ['an available coupon of a giftable card', send(), null],
    ['the card does not allow gifts', send({ canGift: false }), 'cannot be given as gifts'],
    ['a coupon received as a gift (single hop)', send({ coupon: { source: 'gift' } }), 'cannot be given on again'],
    ['already being given', send({ coupon: { state: 'gifting' } }), 'already being given'],
    ['given away', send({ coupon: { state: 'gifted' } }), 'this one is gifted'],
    ['redeemed', send({ coupon: { state: 'redeemed' } }), 'this one is redeemed'],
    ['voided', send({ coupon: { state: 'voided' } }), 'this one is voided'],
    ['valid to this very second', send({ coupon: { valid_until: NOW } }), null],
    ['past its last valid second', send({ coupon: { valid_until: NOW - 1000 } }), 'this one is expired'],
    ['the fifth gift of the day with a limit of 5', send({ sentToday: 4 }), null],
    ['the sixth gift of the day', send({ sentToday: 5 }), 'at most 5 gifts a day'],
    ['gifting switched off by a limit of 0', send({ dailyLimit: 0 }), 'at most 0 gifts'],
    ['a card without gifts wins over every other reason', send({ canGift: false, sentToday: 9, coupon: { source: 'gift', state: 'redeemed' } }), 'cannot be given as gifts'],
  ]
  for (const [what, input, refusal] of cases) {
    it(what, () => {
      const decided = decideGiftSend(input)
      if (refusal === null) return assert.equal(decided.ok, true)
      assert.equal(decided.ok, false)
      if (!decided.ok) {
        assert.equal(decided.error, 'gift_not_allowed')
        assert.match(decided.detail, new RegExp(refusal))
      }
    })
  }
})

describe('giftExpiresAt', () => {
  it('waits a day by default', () => assert.equal(giftExpiresAt(NOW, NOW + 10 * DEFAULT_GIFT_TTL_MS), NOW + DEFAULT_GIFT_TTL_MS))
  it('never outlives the coupon: returns the moment it expires', () => assert.equal(giftExpiresAt(NOW, NOW + 3_600_000), NOW + 3_601_000))
  it('takes the giver’s own wait', () => assert.equal(giftExpiresAt(NOW, NOW + DEFAULT_GIFT_TTL_MS, 60_000), NOW + 60_000))
})

describe('decideGiftAccept', () => {
  const gift = { state: 'pending' as const, giver_user_id: 'giver', expires_at: NOW + 1 }
  const cases: [string, Parameters<typeof decideGiftAccept>[0], string | null][] = [
    ['a pending gift by someone else, a millisecond before it expires', { gift, receiverUserId: 'friend', now: NOW }, null],
    ['at the instant it expires', { gift, receiverUserId: 'friend', now: NOW + 1 }, 'gift_closed'],
    ['accepted already', { gift: { ...gift, state: 'accepted' }, receiverUserId: 'friend', now: NOW }, 'gift_closed'],
    ['cancelled', { gift: { ...gift, state: 'cancelled' }, receiverUserId: 'friend', now: NOW }, 'gift_closed'],
    ['returned', { gift: { ...gift, state: 'returned' }, receiverUserId: 'friend', now: NOW }, 'gift_closed'],
    ['the giver accepting their own gift', { gift, receiverUserId: 'giver', now: NOW }, 'gift_not_allowed'],
    ['the giver, after it closed: closed wins', { gift: { ...gift, state: 'cancelled' }, receiverUserId: 'giver', now: NOW }, 'gift_closed'],
  ]
  for (const [what, input, error] of cases) {
    it(what, () => {
      const decided = decideGiftAccept(input)
      assert.equal(decided.ok ? null : decided.error, error)
    })
  }
})
