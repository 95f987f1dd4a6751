import { test } from 'node:test'
import assert from 'node:assert/strict'
import { redactUrl } from './logging.ts'

test('coupon codes in paths keep only their last four characters', () => {
  assert.equal(redactUrl('/v1/coupons/ABCDEFGHJKMN2X'), '/v1/coupons/…MN2X')
  assert.equal(redactUrl('/v1/coupons/ABCDEFGHJKMN2X/void'), '/v1/coupons/…MN2X/void')
  assert.equal(redactUrl('/v1/cards/crd_1/issue'), '/v1/cards/crd_1/issue')
})

test('tokens and codes in query strings are dropped', () => {
  assert.equal(redactUrl('/wallet/auth?token=wt1.abc&lang=en'), '/wallet/auth?token=redacted&lang=en')
  assert.equal(redactUrl('/v1/x?code=ABC'), '/v1/x?code=redacted')
})
