import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_RISK_RULES, activeBlockFor, bucketCount, counterBucket, countersFor, dayStartOf, distanceMetres, evaluateRisk, listedBlockOf, rulesWithDefaults, selfServiceDistance, storeDayDiscountReading, type CounterReading, type RiskActivity, type RiskRuleName, type RiskSubjectType } from './risk.ts'

const NOW = Date.UTC(2030, 0, 1, 4)
const DAY = 86_400_000

test('evaluateRisk: each counted rule lets its limit through and acts on the next', () => {
  const cases: [RiskRuleName, RiskSubjectType, RiskActivity, number, string][] = [
    ['users_per_device', 'device', 'claim', 3, 'allow'],
    ['users_per_device', 'device', 'claim', 4, 'block'],
    ['claims_per_address', 'address', 'claim', 200, 'allow'],
    ['claims_per_address', 'address', 'claim', 201, 'block'],
    ['wrong_codes', 'key', 'wrong_code', 20, 'allow'],
    ['wrong_codes', 'key', 'wrong_code', 21, 'block'],
    ['wrong_codes', 'address', 'wrong_code', 21, 'block'],
    ['redemptions_per_clerk', 'clerk', 'redeem', 60, 'allow'],
    ['redemptions_per_clerk', 'clerk', 'redeem', 61, 'challenge'],
    ['accounts_per_device', 'device', 'sign_in', 5, 'allow'],
    ['accounts_per_device', 'device', 'sign_in', 6, 'block'],
    ['accounts_per_phone', 'phone', 'join', 3, 'allow'],
    ['accounts_per_phone', 'phone', 'join', 4, 'block'],
  ]
  for (const [rule, type, activity, count, expected] of cases) {
    const outcome = evaluateRisk(DEFAULT_RISK_RULES, [{ rule, type, value: 'v', count }], {}, activity, NOW)
    assert.equal(outcome.decision, expected, `${rule} at ${count}`)
    if (outcome.decision !== 'allow') assert.deepEqual([outcome.rule, outcome.subject], [rule, { type, value: 'v' }])
  }
})

test('evaluateRisk: a disabled rule never acts, a changed one acts at its own limit', () => {
  const reading: CounterReading[] = [{ rule: 'claims_per_address', type: 'address', value: '10.0.0.1', count: 1_000 }]
  const off = rulesWithDefaults([{ ...DEFAULT_RISK_RULES.claims_per_address, enabled: false }])
  assert.equal(evaluateRisk(off, reading, {}, 'claim', NOW).decision, 'allow')
  const tight = rulesWithDefaults([{ name: 'claims_per_address', enabled: true, limit: 5, window_seconds: 60, action: 'challenge' }])
  assert.equal(evaluateRisk(tight, [{ ...reading[0], count: 5 }], {}, 'claim', NOW).decision, 'allow')
  assert.equal(evaluateRisk(tight, [{ ...reading[0], count: 6 }], {}, 'claim', NOW).decision, 'challenge')
})

test('evaluateRisk: a block wins over a challenge', () => {
  const rules = rulesWithDefaults([{ ...DEFAULT_RISK_RULES.users_per_device, action: 'challenge' }])
  const outcome = evaluateRisk(rules, [
    { rule: 'users_per_device', type: 'device', value: 'd', count: 4 },
    { rule: 'claims_per_address', type: 'address', value: 'a', count: 201 },
  ], {}, 'claim', NOW)
  assert.deepEqual(outcome, { decision: 'block', rule: 'claims_per_address', subject: { type: 'address', value: 'a' } })
})

test('evaluateRisk: new_account_gift refuses self-signed-up accounts younger than a day, not the merchant’s own ids', () => {
  const cases: [number | null, string][] = [
    [NOW - DAY + 1, 'block'],
    [NOW - DAY, 'allow'],
    [null, 'allow'],
  ]
  for (const [selfSignedUpAt, expected] of cases) {
    assert.equal(evaluateRisk(DEFAULT_RISK_RULES, [], { userId: 'u1', selfSignedUpAt }, 'accept_gift', NOW).decision, expected, String(selfSignedUpAt))
  }
})

test('evaluateRisk: redemption_distance acts beyond 1 km, when a location is known', () => {
  const cases: [number | null, string][] = [[1_000, 'allow'], [1_001, 'block'], [null, 'allow']]
  for (const [distanceMetres, expected] of cases) {
    assert.equal(evaluateRisk(DEFAULT_RISK_RULES, [], { userId: 'u1', distanceMetres }, 'redeem', NOW).decision, expected, String(distanceMetres))
  }
})

test('evaluateRisk: redemption_distance names the coupon’s owner, else the store; off, it never acts', () => {
  assert.deepEqual(evaluateRisk(DEFAULT_RISK_RULES, [], { storeId: 'sto_1', distanceMetres: 5_000 }, 'redeem', NOW), { decision: 'block', rule: 'redemption_distance', subject: { type: 'store', value: 'sto_1' } })
  assert.equal(evaluateRisk(DEFAULT_RISK_RULES, [], { userId: 'u1', distanceMetres: 5_000 }, 'claim', NOW).decision, 'allow', 'only a redemption')
  const off = rulesWithDefaults([{ ...DEFAULT_RISK_RULES.redemption_distance, enabled: false }])
  assert.equal(evaluateRisk(off, [], { userId: 'u1', distanceMetres: 5_000 }, 'redeem', NOW).decision, 'allow')
  const tight = rulesWithDefaults([{ ...DEFAULT_RISK_RULES.redemption_distance, limit: 200, action: 'challenge' }])
  assert.equal(evaluateRisk(tight, [], { userId: 'u1', distanceMetres: 200 }, 'redeem', NOW).decision, 'allow')
  assert.equal(evaluateRisk(tight, [], { userId: 'u1', distanceMetres: 201 }, 'redeem', NOW).decision, 'challenge')
})

test('distanceMetres and selfServiceDistance: great-circle metres, for a self-service redemption with a location at a store with coordinates', () => {
  const store = { latitude: 31.2304, longitude: 121.4737 }
  // One degree of latitude is 111.195 km on the mean Earth.
  assert.equal(Math.round(distanceMetres({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 })), 111_195)
  assert.equal(distanceMetres(store, store), 0)
  // Beijing to Shanghai, about 1 068 km.
  assert.ok(Math.abs(distanceMetres({ latitude: 39.9042, longitude: 116.4074 }, store) - 1_068_000) < 5_000)
  const north = (metres: number) => ({ latitude: store.latitude + metres / 111_195, longitude: store.longitude })
  const cases: [string, { latitude: number; longitude: number } | null, object | null, number | null][] = [
    ['self_service', north(1_000), store, 1_000],
    ['self_service', north(1_001), store, 1_001],
    ['scan', north(5_000), store, null],
    ['self_service', null, store, null],
    ['self_service', north(5_000), { latitude: null, longitude: null }, null],
    ['self_service', north(5_000), null, null],
  ]
  for (const [channel, location, at, expected] of cases) assert.equal(selfServiceDistance(channel, location, at as never), expected, `${channel} ${JSON.stringify(location)}`)
  const decide = (metres: number) => evaluateRisk(DEFAULT_RISK_RULES, [], { userId: 'u1', distanceMetres: selfServiceDistance('self_service', north(metres), store) }, 'redeem', NOW).decision
  assert.deepEqual([decide(999), decide(1_000), decide(1_001)], ['allow', 'allow', 'block'])
})

test('discount_per_store_day: off by default; on, the store’s discount of the day may reach the limit, not pass it', () => {
  assert.equal(storeDayDiscountReading(DEFAULT_RISK_RULES, 'sto_1', 10_000_000, 1), null)
  const on = rulesWithDefaults([{ ...DEFAULT_RISK_RULES.discount_per_store_day, enabled: true, limit: 10_000 }])
  assert.equal(storeDayDiscountReading(on, null, 10_000, 1), null, 'a redemption without a store')
  const cases: [number, number, string][] = [
    [0, 10_000, 'allow'],
    [8_000, 2_000, 'allow'],
    [8_000, 2_001, 'challenge'],
    [10_000, 0, 'allow'],
    [10_001, 0, 'challenge'],
  ]
  for (const [given, discount, expected] of cases) {
    const reading = storeDayDiscountReading(on, 'sto_1', given, discount)
    assert.ok(reading)
    const outcome = evaluateRisk(on, [reading], { storeId: 'sto_1' }, 'redeem', NOW)
    assert.equal(outcome.decision, expected, `${given} + ${discount}`)
    if (outcome.decision !== 'allow') assert.deepEqual([outcome.rule, outcome.subject], ['discount_per_store_day', { type: 'store', value: 'sto_1' }])
  }
})

test('dayStartOf: the merchant’s day, in its time zone', () => {
  // 04:00 UTC is noon in Shanghai: the day began at 16:00 UTC the day before.
  assert.equal(dayStartOf(NOW, 'Asia/Shanghai'), Date.UTC(2029, 11, 31, 16))
  assert.equal(dayStartOf(Date.UTC(2029, 11, 31, 16), 'Asia/Shanghai'), Date.UTC(2029, 11, 31, 16))
  assert.equal(dayStartOf(Date.UTC(2029, 11, 31, 16) - 1, 'Asia/Shanghai'), Date.UTC(2029, 11, 30, 16))
  assert.equal(dayStartOf(NOW, 'UTC'), Date.UTC(2030, 0, 1))
})

test('countersFor: what each activity counts, skipping unknown subjects and disabled rules', () => {
  const subject = { userId: 'u1', deviceId: 'd1', address: '10.0.0.1', keyId: 'key_1', clerkId: 'stf_1' }
  const uses = (activity: RiskActivity, rules = DEFAULT_RISK_RULES, s: object = subject) => countersFor(rules, s, activity).map((u) => `${u.rule}:${u.type}:${u.value}:${u.member}:${u.limit}/${u.windowMs}`)
  assert.deepEqual(uses('claim'), ['users_per_device:device:d1:u1:3/86400000', 'claims_per_address:address:10.0.0.1:null:200/3600000'])
  assert.deepEqual(uses('claim', DEFAULT_RISK_RULES, { userId: 'u1', address: '10.0.0.1' }), ['claims_per_address:address:10.0.0.1:null:200/3600000'])
  assert.deepEqual(uses('join_group'), uses('claim'), 'joining a group is counted as a claim')
  assert.deepEqual(uses('redeem'), ['redemptions_per_clerk:clerk:stf_1:null:60/600000'])
  assert.deepEqual(uses('wrong_code'), ['wrong_codes:key:key_1:null:20/600000', 'wrong_codes:address:10.0.0.1:null:20/600000'])
  assert.deepEqual(uses('share'), [])
  assert.deepEqual(uses('sign_in', DEFAULT_RISK_RULES, { ...subject, contact: '+8613800138000' }), ['accounts_per_device:device:d1:+8613800138000:5/86400000'])
  assert.deepEqual(uses('sign_in', DEFAULT_RISK_RULES, { contact: '+8613800138000' }), [])
  assert.deepEqual(uses('join', DEFAULT_RISK_RULES, { ...subject, phone: '+8613800138000' }), ['accounts_per_phone:phone:+8613800138000:u1:3/2592000000'])
  assert.deepEqual(uses('join'), [])
  assert.deepEqual(uses('redeem', rulesWithDefaults([{ ...DEFAULT_RISK_RULES.redemptions_per_clerk, enabled: false }])), [])
  const distinct = (activity: RiskActivity, s: object = subject) => countersFor(DEFAULT_RISK_RULES, s, activity).map((u) => `${u.rule}:${u.distinct}`)
  assert.deepEqual(distinct('claim'), ['users_per_device:true', 'claims_per_address:false'])
  assert.deepEqual(distinct('redeem'), ['redemptions_per_clerk:false'])
  assert.deepEqual(distinct('sign_in', { ...subject, contact: 'a@b.example' }), ['accounts_per_device:true'])
  assert.deepEqual(distinct('join', { ...subject, phone: '+8613800138000' }), ['accounts_per_phone:true'])
})

test('counterBucket: a tenth of the window, read with the ten before it; it counts until a window after its end', () => {
  const MIN = 60_000
  const start = Date.UTC(2030, 0, 1, 2, 0)
  assert.deepEqual(counterBucket(10 * MIN, start), { bucketStart: start, priorAfter: start - 11 * MIN, expiresAt: start + 11 * MIN })
  assert.deepEqual(counterBucket(10 * MIN, start + MIN - 1), counterBucket(10 * MIN, start))
  assert.equal(counterBucket(10 * MIN, start + MIN).bucketStart, start + MIN)
  // A hit is counted while the bucket that holds it is read: for at least the window, at most a tenth more.
  for (const at of [start, start + 30_000, start + MIN - 1]) {
    const { bucketStart } = counterBucket(10 * MIN, at)
    const readsIt = (now: number) => {
      const b = counterBucket(10 * MIN, now)
      return b.bucketStart === bucketStart || (bucketStart > b.priorAfter && bucketStart < b.bucketStart)
    }
    assert.ok(readsIt(at + 10 * MIN - 1), 'within the window')
    assert.equal(readsIt(bucketStart + 11 * MIN - 1), true)
    assert.equal(readsIt(bucketStart + 11 * MIN), false)
    assert.equal(counterBucket(10 * MIN, at).expiresAt, bucketStart + 11 * MIN)
  }
  // An hour: buckets of 6 minutes.
  assert.equal(counterBucket(3_600_000, start + 7 * MIN).bucketStart, start + 6 * MIN)
})

test('bucketCount: a counted hit is in its bucket; a refused one answers the count it would have made', () => {
  assert.equal(bucketCount(4, 2, true), 6)
  assert.equal(bucketCount(4, 2, false), 7)
  assert.equal(bucketCount(0, 0, false), 1)
})

test('activeBlockFor: a block applies to its subject until it ends', () => {
  const blocks = [
    { id: 1, type: 'device' as const, value: 'd1', until: NOW + 1 },
    { id: 2, type: 'address' as const, value: '10.0.0.1', until: NOW },
    { id: 3, type: 'user' as const, value: 'u9', until: null },
  ]
  assert.equal(activeBlockFor(blocks, { deviceId: 'd1' }, NOW)?.id, 1)
  assert.equal(activeBlockFor(blocks, { address: '10.0.0.1' }, NOW), undefined)
  assert.equal(activeBlockFor(blocks, { userId: 'u9' }, NOW + 100 * DAY)?.id, 3)
  assert.equal(activeBlockFor(blocks, { userId: 'u1', deviceId: 'd2' }, NOW), undefined)
})

test('listedBlockOf: only too many wrong codes puts the key or address on the block list, for 15 minutes', () => {
  const subject = { type: 'address' as const, value: '10.0.0.1' }
  assert.deepEqual(listedBlockOf({ decision: 'block', rule: 'wrong_codes', subject }, NOW), { ...subject, until: NOW + 15 * 60_000 })
  assert.equal(listedBlockOf({ decision: 'block', rule: 'claims_per_address', subject }, NOW), null)
  assert.equal(listedBlockOf({ decision: 'allow' }, NOW), null)
})
