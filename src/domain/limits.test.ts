import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_LIMITS, LIMIT_CEILING, decideBalanceMove, decideOrderAmount } from './limits.ts'

test('the default limits: ¥100,000 an order, 100 million points, ¥100,000 of stored value', () => {
  assert.deepEqual(DEFAULT_LIMITS, { max_order_amount: 10_000_000, max_points_balance: 100_000_000, max_stored_value_balance: 10_000_000, max_gifts_per_user_day: 5 })
})

test('the ceiling leaves sums of two amounts exact and fits PostgreSQL bigint', () => {
  assert.ok(Number.isSafeInteger(LIMIT_CEILING * 2))
  assert.ok(BigInt(LIMIT_CEILING) * 2n < 2n ** 63n - 1n)
  for (const limit of Object.values(DEFAULT_LIMITS)) assert.ok(limit <= LIMIT_CEILING)
})

test('decideOrderAmount: up to the limit, inclusive', () => {
  const cases: [string, number, number, boolean][] = [
    ['nothing', 0, 10_000_000, true],
    ['exactly the limit', 10_000_000, 10_000_000, true],
    ['one fen over', 10_000_001, 10_000_000, false],
    ['2^53 − 1 fen', Number.MAX_SAFE_INTEGER, 10_000_000, false],
    ['a raised limit', 50_000_000, 100_000_000, true],
  ]
  for (const [name, amount, limit, ok] of cases) {
    const decided = decideOrderAmount(amount, limit)
    assert.equal(decided.ok, ok, name)
    if (!decided.ok) {
      assert.equal(decided.error, 'order_amount_too_large', name)
      assert.match(decided.detail, new RegExp(`at most ${limit} fen`), name)
    }
  }
})

test('decideBalanceMove: additions up to the limit, takings always', () => {
  const cases: [string, number, number, number, boolean][] = [
    ['up to the limit exactly', 900, 100, 1000, true],
    ['one over', 900, 101, 1000, false],
    ['from an empty balance to the limit', 0, 1000, 1000, true],
    ['at the limit, one more', 1000, 1, 1000, false],
    ['taking from a balance above a lowered limit', 5000, -1, 1000, true],
    ['adding to a balance above a lowered limit', 5000, 1, 1000, false],
    ['2^53 − 1 onto an empty balance', 0, Number.MAX_SAFE_INTEGER, LIMIT_CEILING, false],
    ['an absurd delta that would round when added', 1, 2 ** 60, LIMIT_CEILING, false],
  ]
  for (const [name, balance, delta, limit, ok] of cases) {
    const decided = decideBalanceMove(balance, delta, limit)
    assert.equal(decided.ok, ok, name)
    if (!decided.ok) assert.equal(decided.error, 'balance_limit_exceeded', name)
  }
})
