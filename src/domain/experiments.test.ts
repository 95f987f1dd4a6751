import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideLeader, normalCdf, pickVariant, twoProportionZTest, validateVariants, variantRates } from './experiments.ts'

test('Φ matches the table of the standard normal distribution', () => {
  const table: [number, number][] = [[0, 0.5], [1, 0.8413], [1.645, 0.95], [1.96, 0.975], [2.576, 0.995], [-1.96, 0.025]]
  for (const [z, p] of table) assert.ok(Math.abs(normalCdf(z) - p) < 5e-5, `Φ(${z}) = ${normalCdf(z)}`)
})

test('two-proportion z-test: the textbook example', () => {
  // Fleiss, Statistical Methods for Rates and Proportions (and most textbooks' worked example):
  // 200 of 1000 against 250 of 1000: pooled p = 0.225, SE = √(0.225·0.775·(2/1000)) = 0.018675,
  // z = −0.05 / 0.018675 = −2.6774, two-sided p = 0.00742.
  const result = twoProportionZTest(200, 1000, 250, 1000)
  assert.ok(result)
  assert.ok(Math.abs(result.z - -2.6774) < 1e-4, `z = ${result.z}`)
  assert.ok(Math.abs(result.p_value - 0.00742) < 5e-5, `p = ${result.p_value}`)
  // A second worked example: 60 of 100 against 45 of 100: pooled 0.525, SE = 0.070622, z = 2.1240, p = 0.0337.
  const second = twoProportionZTest(60, 100, 45, 100)
  assert.ok(second && Math.abs(second.z - 2.124) < 1e-4 && Math.abs(second.p_value - 0.0337) < 1e-4, JSON.stringify(second))
  // Equal proportions: z = 0, p = 1. No trials or no variance: no test.
  assert.ok(Math.abs((twoProportionZTest(10, 100, 20, 200)?.p_value ?? 0) - 1) < 1e-6)
  assert.equal(twoProportionZTest(0, 0, 5, 10), null)
  assert.equal(twoProportionZTest(0, 10, 0, 10), null)
  assert.equal(twoProportionZTest(10, 10, 5, 5), null)
})

test('the leader is named only once the best variant differs at 95 %', () => {
  const clear = decideLeader([
    { card_id: 'a', claims: 1000, redemptions: 200 },
    { card_id: 'b', claims: 1000, redemptions: 250 },
  ])
  assert.deepEqual(clear, { p_value: 0.00742, leader: 'b' })
  const unclear = decideLeader([
    { card_id: 'a', claims: 100, redemptions: 20 },
    { card_id: 'b', claims: 100, redemptions: 25 },
  ])
  assert.equal(unclear.leader, null)
  assert.ok(unclear.p_value !== null && unclear.p_value > 0.05)
  // Three variants: the best against the runner-up (c against a), not against the worst.
  const three = decideLeader([
    { card_id: 'a', claims: 100, redemptions: 48 },
    { card_id: 'b', claims: 100, redemptions: 10 },
    { card_id: 'c', claims: 100, redemptions: 50 },
  ])
  assert.equal(three.leader, null)
  assert.deepEqual(decideLeader([{ card_id: 'a', claims: 5, redemptions: 1 }, { card_id: 'b', claims: 0, redemptions: 0 }]), { p_value: null, leader: null })
})

test('variants are picked in proportion to their weights, the same bucket always the same variant', () => {
  const variants = [{ card_id: 'a', weight: 1 }, { card_id: 'b', weight: 3 }]
  assert.equal(pickVariant(variants, 0).card_id, 'a')
  assert.equal(pickVariant(variants, 2 ** 30 - 1).card_id, 'a')
  assert.equal(pickVariant(variants, 2 ** 30).card_id, 'b')
  assert.equal(pickVariant(variants, 2 ** 32 - 1).card_id, 'b')
  const counts = { a: 0, b: 0 }
  for (let i = 0; i < 4000; i++) counts[pickVariant(variants, Math.floor((i / 4000) * 2 ** 32)).card_id as 'a' | 'b']++
  assert.deepEqual(counts, { a: 1000, b: 3000 })
})

test('variants are checked: 2 to 10 distinct cards, whole positive weights', () => {
  assert.deepEqual(validateVariants([{ card_id: 'a', weight: 1 }, { card_id: 'b', weight: 1 }]), [])
  assert.deepEqual(validateVariants([{ card_id: 'a', weight: 1 }]).map((e) => e.field), ['variants'])
  assert.deepEqual(validateVariants([{ card_id: 'a', weight: 0 }, { card_id: 'a', weight: 1.5 }]).map((e) => e.field), ['variants[0].weight', 'variants[1].card_id', 'variants[1].weight'])
})

test('variant rates: claims per view and redemptions per claim', () => {
  assert.deepEqual(variantRates({ views: 8, claims: 4, redemptions: 1 }), { claim_rate: 0.5, redemption_rate: 0.25 })
  assert.deepEqual(variantRates({ views: 0, claims: 0, redemptions: 0 }), { claim_rate: null, redemption_rate: null })
})
