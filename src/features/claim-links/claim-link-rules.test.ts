import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { claimLinkStatus, type ClaimLinkState } from './claim-link-rules.ts'

const now = Date.parse('2030-01-01T12:00:00Z')
const link = (overrides: Partial<ClaimLinkState>): ClaimLinkState => ({ status: 'active', claimed_count: 0, max_claims: null, expires_at: null, ...overrides })

describe('claimLinkStatus', () => {
  const cases: [string, ClaimLinkState, string][] = [
    ['no limits', link({}), 'active'],
    ['one claim left', link({ claimed_count: 9, max_claims: 10 }), 'active'],
    ['every claim taken', link({ claimed_count: 10, max_claims: 10 }), 'exhausted'],
    ['expiring a millisecond from now', link({ expires_at: now + 1 }), 'active'],
    ['expiring at this instant', link({ expires_at: now }), 'expired'],
    ['disabled', link({ status: 'disabled' }), 'disabled'],
    ['disabled, expired and exhausted: disabled wins', link({ status: 'disabled', expires_at: now - 1, claimed_count: 1, max_claims: 1 }), 'disabled'],
    ['expired and exhausted: expired wins', link({ expires_at: now - 1, claimed_count: 1, max_claims: 1 }), 'expired'],
  ]
  for (const [what, state, expected] of cases) {
    it(what, () => assert.equal(claimLinkStatus(state, now), expected))
  }
})
