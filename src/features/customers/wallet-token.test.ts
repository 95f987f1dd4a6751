import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_TOKEN_LIFETIME_SECONDS, isWithinLifetime, mintWalletToken, parseWalletToken } from './wallet-token.ts'

const SECRET = 's3cr3t-wallet-secret-for-tests-only'
const MERCHANT = 'mch_01jd0000000000000000000000'

describe('wallet token format', () => {
  it('matches the token the Python snippet in docs/wallet-tokens.md mints', () => {
    // Minted by the documented Python snippet, so Node and Python integrators sign alike.
    const fromPython = 'wt1.mch_01jd0000000000000000000000.55So5oi3LTQy.1893456000.47a699a5356320a8cf37108e667227f9b5a56234143587815ed2de2549edd3b5'
    assert.equal(mintWalletToken(SECRET, MERCHANT, '用户-42', 1893456000), fromPython)
  })

  it('parses what it mints', () => {
    const parsed = parseWalletToken(mintWalletToken(SECRET, MERCHANT, 'user@example.com', 1893456000))
    assert.ok(parsed)
    assert.equal(parsed.merchantId, MERCHANT)
    assert.equal(parsed.userId, 'user@example.com')
    assert.equal(parsed.expiresAtSeconds, 1893456000)
    assert.equal(parsed.signedPart, `wt1.${MERCHANT}.${Buffer.from('user@example.com').toString('base64url')}.1893456000`)
  })

  const good = mintWalletToken(SECRET, MERCHANT, 'u1', 1893456000)
  const [, , user, exp, signature] = good.split('.')
  const malformed: [string, string][] = [
    ['another version', good.replace(/^wt1/, 'wt2')],
    ['a part missing', good.split('.').slice(0, 4).join('.')],
    ['an extra part', `${good}.x`],
    ['a merchant id of the wrong shape', ['wt1', 'merchant', user, exp, signature].join('.')],
    ['padding in the user id', ['wt1', MERCHANT, `${user}==`, exp, signature].join('.')],
    ['a non-canonical user id encoding', ['wt1', MERCHANT, 'dTF', exp, signature].join('.')],
    ['an empty user id', ['wt1', MERCHANT, '', exp, signature].join('.')],
    ['a user id over 128 characters', ['wt1', MERCHANT, Buffer.from('x'.repeat(129)).toString('base64url'), exp, signature].join('.')],
    ['a non-numeric expiry', ['wt1', MERCHANT, user, '18934e5', signature].join('.')],
    ['an expiry with a leading zero', ['wt1', MERCHANT, user, `0${exp}`, signature].join('.')],
    ['an upper-case signature', ['wt1', MERCHANT, user, exp, signature.toUpperCase()].join('.')],
    ['a short signature', ['wt1', MERCHANT, user, exp, signature.slice(1)].join('.')],
  ]
  for (const [what, token] of malformed) {
    it(`rejects ${what}`, () => assert.equal(parseWalletToken(token), null))
  }
})

describe('wallet token lifetime', () => {
  const now = Date.parse('2030-01-01T00:00:00Z')
  const nowSeconds = now / 1000
  const cases: [string, number, boolean][] = [
    ['expiring this very second', nowSeconds, false],
    ['expiring in one second', nowSeconds + 1, true],
    ['expired an hour ago', nowSeconds - 3600, false],
    ['living the longest allowed', nowSeconds + MAX_TOKEN_LIFETIME_SECONDS, true],
    ['living 5 minutes longer (clock drift)', nowSeconds + MAX_TOKEN_LIFETIME_SECONDS + 300, true],
    ['living a week', nowSeconds + 7 * 86400, false],
  ]
  for (const [what, exp, ok] of cases) {
    it(`${ok ? 'accepts' : 'rejects'} a token ${what}`, () => assert.equal(isWithinLifetime(exp, now), ok))
  }
})
