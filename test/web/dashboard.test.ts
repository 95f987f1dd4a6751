import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { hasActivity } from '../../web/console/src/dashboard.ts'

describe('the dashboard trend', () => {
  it('is drawn once a day counts a claim or a redemption, and is an empty state before', () => {
    const quiet = Array.from({ length: 30 }, () => ({ claims: 0, redemptions: 0 }))
    assert.equal(hasActivity([]), false)
    assert.equal(hasActivity(quiet), false)
    assert.equal(hasActivity([...quiet, { claims: 0, redemptions: 1 }]), true)
    assert.equal(hasActivity([{ claims: 2, redemptions: 0 }, ...quiet]), true)
  })
})
