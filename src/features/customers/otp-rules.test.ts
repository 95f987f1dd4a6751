import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decideOtpIssue } from './otp-rules.ts'

const MIN = 60_000
const now = Date.parse('2030-01-01T12:00:00Z')

describe('decideOtpIssue', () => {
  const cases: [string, number[], { ok: true } | { ok: false; retryAfterMs: number }][] = [
    ['nothing sent yet', [], { ok: true }],
    ['one sent a minute ago to the millisecond', [now - MIN], { ok: true }],
    ['one sent 59 s ago', [now - 59_000], { ok: false, retryAfterMs: 1000 }],
    ['one sent just now', [now], { ok: false, retryAfterMs: MIN }],
    ['four in the last hour', [now - 50 * MIN, now - 40 * MIN, now - 30 * MIN, now - 20 * MIN], { ok: true }],
    ['five in the last hour', [now - 50 * MIN, now - 40 * MIN, now - 30 * MIN, now - 20 * MIN, now - 10 * MIN], { ok: false, retryAfterMs: 10 * MIN }],
    ['five, the oldest exactly an hour ago', [now - 60 * MIN, now - 40 * MIN, now - 30 * MIN, now - 20 * MIN, now - 10 * MIN], { ok: true }],
    ['six, unsorted: waits until only four are left in the hour', [now - 10 * MIN, now - 55 * MIN, now - 5 * MIN, now - 30 * MIN, now - 20 * MIN, now - 2 * MIN], { ok: false, retryAfterMs: 30 * MIN }],
    ['five, the latest 30 s ago (the minute rule is later)', [now - 59 * MIN - 50_000, now - 40 * MIN, now - 30 * MIN, now - 20 * MIN, now - 30_000], { ok: false, retryAfterMs: 30_000 }],
  ]
  for (const [what, sentAt, expected] of cases) {
    it(what, () => assert.deepEqual(decideOtpIssue(sentAt, now), expected))
  }
})
