import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LOGIN_WINDOW_MS, decideLoginAttempt, loginErrors, normalizeLogin, scopeOfRole, storeBindingErrors } from './staff-rules.ts'

const NOW = 1_900_000_000_000
const MINUTE = 60_000

describe('staff rules', () => {
  it('maps each role onto an API-key scope', () => {
    assert.deepEqual(
      (['owner', 'operator', 'analyst', 'clerk'] as const).map(scopeOfRole),
      ['full', 'full', 'read', 'redeem'],
    )
  })

  it('compares sign-in names without case or spaces, and accepts e-mail addresses and user names', () => {
    assert.equal(normalizeLogin('  Owner@Tea.Example '), 'owner@tea.example')
    for (const good of ['owner@tea.example', 'clerk-01', 'a.b_c+d@x.cn', 'abc']) assert.deepEqual(loginErrors(good), [], good)
    for (const bad of ['ab', '-clerk', 'with space', '王老板', 'x'.repeat(101)]) assert.equal(loginErrors(bad).length, 1, bad)
  })

  it('binds clerks, and only clerks, to a store', () => {
    assert.deepEqual(storeBindingErrors('clerk', 'sto_1'), [])
    assert.equal(storeBindingErrors('clerk', null)[0].code, 'required')
    assert.equal(storeBindingErrors('operator', 'sto_1')[0].code, 'not_allowed')
    assert.deepEqual(storeBindingErrors('owner', null), [])
  })

  const cases: { name: string; failures: number[]; max: number; expected: ReturnType<typeof decideLoginAttempt> }[] = [
    { name: 'no failures', failures: [], max: 5, expected: { ok: true } },
    { name: 'four recent failures of five allowed', failures: [1, 2, 3, 4].map((m) => NOW - m * MINUTE), max: 5, expected: { ok: true } },
    { name: 'five recent failures: wait until the oldest leaves the window', failures: [1, 2, 3, 4, 10].map((m) => NOW - m * MINUTE), max: 5, expected: { ok: false, retryAfterMs: LOGIN_WINDOW_MS - 10 * MINUTE } },
    { name: 'six failures: the fifth newest decides', failures: [1, 2, 3, 4, 5, 14].map((m) => NOW - m * MINUTE), max: 5, expected: { ok: false, retryAfterMs: LOGIN_WINDOW_MS - 5 * MINUTE } },
    { name: 'failures older than the window do not count', failures: [1, 2, 3, 4].map((m) => NOW - m * MINUTE).concat([NOW - LOGIN_WINDOW_MS]), max: 5, expected: { ok: true } },
  ]
  for (const c of cases) {
    it(`decides a sign-in attempt: ${c.name}`, () => assert.deepEqual(decideLoginAttempt(c.failures, c.max, NOW), c.expected))
  }
})
