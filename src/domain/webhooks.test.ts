import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENDPOINT_FAILING_LIMIT_MS, decideAttemptOutcome, isDelivered, matchesSubscription, nextAttemptAt } from './webhooks.ts'

const NOW = Date.parse('2026-03-10T02:00:00Z')
const DAY = 86_400_000

describe('matchesSubscription', () => {
  const cases: [string[], string, boolean][] = [
    [['*'], 'coupon.redeemed', true],
    [['*'], 'points.changed', true],
    [['coupon.redeemed'], 'coupon.redeemed', true],
    [['coupon.redeemed'], 'coupon.reversed', false],
    [['coupon.*'], 'coupon.expiring', true],
    [['coupon.*'], 'card.stock_low', false],
    [['coupon.*'], 'coupons.x', false],
    [['card.stock_low', 'member.*'], 'member.level_changed', true],
    [[], 'coupon.issued', false],
  ]
  for (const [patterns, type, expected] of cases) {
    it(`${JSON.stringify(patterns)} ${expected ? 'receives' : 'does not receive'} ${type}`, () => {
      assert.equal(matchesSubscription(patterns, type), expected)
    })
  }
})

describe('isDelivered', () => {
  for (const [status, expected] of [[200, true], [204, true], [299, true], [199, false], [300, false], [410, false], [500, false], [null, false]] as const) {
    it(`${status} ${expected ? 'is' : 'is not'} a delivery`, () => assert.equal(isDelivered(status), expected))
  }
})

describe('nextAttemptAt', () => {
  const schedule = [60, 300, 900]
  it('waits the scheduled delay after each failed attempt, plus up to 20% jitter', () => {
    assert.equal(nextAttemptAt(schedule, 1, NOW, 0), NOW + 60_000)
    assert.equal(nextAttemptAt(schedule, 2, NOW, 0), NOW + 300_000)
    assert.equal(nextAttemptAt(schedule, 3, NOW, 0.5), NOW + 990_000)
    assert.equal(nextAttemptAt(schedule, 1, NOW, 0.999999), NOW + 72_000)
  })
  it('gives up once every retry of the schedule was made', () => {
    assert.equal(nextAttemptAt(schedule, 4, NOW, 0), null)
    assert.equal(nextAttemptAt([], 1, NOW, 0), null)
  })
})

describe('decideAttemptOutcome', () => {
  const base = { attempts: 1, schedule: [60, 300], failingSince: null, now: NOW, random: 0 }

  it('delivers on any 2xx and makes the endpoint healthy again', () => {
    assert.deepEqual(decideAttemptOutcome({ ...base, statusCode: 204, failingSince: NOW - DAY }), { delivery: { status: 'delivered' }, endpoint: { health: 'healthy' } })
  })

  it('retries a 500 or a timeout on the schedule, the endpoint failing since its first failure', () => {
    assert.deepEqual(decideAttemptOutcome({ ...base, statusCode: 500 }), {
      delivery: { status: 'pending', nextAttemptAt: NOW + 60_000 },
      endpoint: { health: 'failing', failingSince: NOW },
    })
    assert.deepEqual(decideAttemptOutcome({ ...base, statusCode: null, attempts: 2, failingSince: NOW - 1000 }), {
      delivery: { status: 'pending', nextAttemptAt: NOW + 300_000 },
      endpoint: { health: 'failing', failingSince: NOW - 1000 },
    })
  })

  it('fails the delivery once the schedule is used up', () => {
    assert.deepEqual(decideAttemptOutcome({ ...base, statusCode: 503, attempts: 3 }).delivery, { status: 'failed' })
  })

  it('disables an endpoint that answers 410 Gone at once', () => {
    const { endpoint } = decideAttemptOutcome({ ...base, statusCode: 410 })
    assert.equal(endpoint.health, 'disable')
    assert.equal(endpoint.health === 'disable' && endpoint.code, 'gone')
  })

  it('disables an endpoint without a success for 5 days, not a second earlier', () => {
    const justBefore = decideAttemptOutcome({ ...base, statusCode: 500, failingSince: NOW - ENDPOINT_FAILING_LIMIT_MS + 1 })
    assert.equal(justBefore.endpoint.health, 'failing')
    const atLimit = decideAttemptOutcome({ ...base, statusCode: 500, failingSince: NOW - ENDPOINT_FAILING_LIMIT_MS })
    assert.equal(atLimit.endpoint.health, 'disable')
    assert.equal(atLimit.endpoint.health === 'disable' && atLimit.endpoint.code, 'failing')
  })
})
