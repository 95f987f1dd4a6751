import { test } from 'node:test'
import assert from 'node:assert/strict'
import { redactUrl } from './logging.ts'

test('coupon codes in paths keep only their last four characters', () => {
  assert.equal(redactUrl('/v1/coupons/ABCDEFGHJKMN2X'), '/v1/coupons/…MN2X')
  assert.equal(redactUrl('/v1/coupons/ABCDEFGHJKMN2X/void'), '/v1/coupons/…MN2X/void')
  assert.equal(redactUrl('/v1/cards/crd_1/issue'), '/v1/cards/crd_1/issue')
})

test('claim-link tokens in paths keep only their last four characters, claim link ids stay whole', () => {
  assert.equal(redactUrl('/v1/claim/clt_abcdefghijklmnop'), '/v1/claim/…mnop')
  assert.equal(redactUrl('/v1/claim-links/clt_abcdefghijklmnop/qr.png?size=300'), '/v1/claim-links/…mnop/qr.png?size=300')
  assert.equal(redactUrl('/wallet/claim/clt_abcdefghijklmnop'), '/wallet/claim/…mnop')
  assert.equal(redactUrl('/v1/claim-links/cll_01abc/disable'), '/v1/claim-links/cll_01abc/disable')
  assert.equal(redactUrl('/v1/claim-links/cll_01abc'), '/v1/claim-links/cll_01abc')
})

test('tokens and codes in query strings are dropped', () => {
  assert.equal(redactUrl('/wallet/auth?token=wt1.abc&lang=en'), '/wallet/auth?token=redacted&lang=en')
  assert.equal(redactUrl('/v1/x?code=ABC'), '/v1/x?code=redacted')
})
