import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decideRemoval } from './wallet-removal.ts'

const now = Date.parse('2026-03-02T04:00:00Z')
const later = now + 86_400_000
const decide = (state: string, extra: Record<string, unknown> = {}) => {
  const d = decideRemoval({ coupon: { state: state as never, valid_until: later, ...extra }, now })
  return d.ok ? d.decision : d.error
}

describe('a holder removing a coupon from the wallet', () => {
  it('removes unused coupons: available (also not yet valid) and locked', () => {
    assert.equal(decide('available'), 'remove')
    assert.equal(decide('locked'), 'remove')
  })
  it('answers a removal again as done, without a second change', () => {
    assert.equal(decide('voided', { voided_by: 'holder' }), 'removed')
  })
  it('refuses used, expired, voided by the merchant and gifted or gifting coupons', () => {
    assert.equal(decide('redeemed'), 'already_redeemed')
    assert.equal(decide('expired'), 'expired')
    assert.equal(decide('available', { valid_until: now - 1000 }), 'expired', 'past its last valid second, before the job wrote it down')
    assert.equal(decide('voided', { voided_by: 'merchant' }), 'voided')
    assert.equal(decide('voided', { voided_by: null }), 'voided')
    assert.equal(decide('gifting'), 'coupon_gifting')
    assert.equal(decide('gifted'), 'coupon_gifted')
  })
})
