import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideStoredValueRefund, type StoredValueRefundRule } from './stored-value.ts'

const rule = (overrides: Partial<StoredValueRefundRule> = {}): StoredValueRefundRule => ({
  description: 'Unspent balance is refunded on request, less a 5% handling fee.',
  refundable: true,
  fee_percent: 5,
  ...overrides,
})

test('decideStoredValueRefund: up to the balance, the whole balance by default, fee rounded down', () => {
  const cases: [string, StoredValueRefundRule, number, number | null, string | [number, number, number]][] = [
    ['the whole balance', rule(), 10000, null, [10000, 500, 9500]],
    ['part of it', rule(), 10000, 3000, [3000, 150, 2850]],
    ['exactly the balance', rule(), 10000, 10000, [10000, 500, 9500]],
    ['one fen more than the balance', rule(), 10000, 10001, 'insufficient_balance'],
    ['an empty balance', rule(), 0, null, 'insufficient_balance'],
    ['5% of 19 fen = 0.95 → 0', rule(), 19, 19, [19, 0, 19]],
    ['5% of 20 fen = 1', rule(), 20, 20, [20, 1, 19]],
    ['no fee', rule({ fee_percent: 0 }), 777, null, [777, 0, 777]],
    ['a 100% fee pays nothing out', rule({ fee_percent: 100 }), 500, null, [500, 500, 0]],
    ['not refundable', rule({ refundable: false }), 10000, null, 'refund_not_allowed'],
    ['not refundable even in part', rule({ refundable: false }), 10000, 1, 'refund_not_allowed'],
  ]
  for (const [name, r, balance, requested, expected] of cases) {
    const decided = decideStoredValueRefund(r, balance, requested)
    if (typeof expected === 'string') {
      assert.equal(decided.ok, false, name)
      if (!decided.ok) assert.equal(decided.error, expected, name)
    } else {
      assert.ok(decided.ok, name)
      assert.deepEqual([decided.refund.amount, decided.refund.fee, decided.refund.payout], expected, name)
    }
  }
})

test('a refused refund quotes the published rule', () => {
  const decided = decideStoredValueRefund(rule({ refundable: false, description: 'Prepaid balances are not refundable.' }), 100, null)
  assert.ok(!decided.ok && decided.detail.includes('Prepaid balances are not refundable.'))
})
