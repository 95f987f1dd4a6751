/**
 * Plain risk counters in the database (no Redis): counted in buckets of a tenth of the window, many hits
 * in one statement. Parallel bursts let exactly the limit through, two server processes share one count,
 * and the window holds a hit for at least its length and at most a tenth more.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { kabaoEnv, startServers, stopServers } from '../helpers/server-process.ts'

const MINUTE = 60_000

async function setRules(m: MerchantApi, rules: object[]) {
  return expectStatus(await m.put('/v1/risk/rules', { rules }), 200)
}

for (const engine of ENGINES) {
  describe(`risk counting in the database on ${engine}`, await engineOptions(engine), () => {
    // On the minute: the buckets of a 10-minute window start here.
    const clock = new ManualClock('2030-06-01T02:00:00Z')
    const t = useTestApp(engine, { clock, sqliteFile: true })

    async function tillSetup(limit: number) {
      const m = await newMerchant(t)
      await setRules(m, [{ name: 'redemptions_per_clerk', limit }])
      const card = await m.createCard(cashCard({ stock: 1000, get_limit: 100 }))
      const till = expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem' }), 201).api_key
      const codes: string[] = []
      for (let i = 0; i < 12; i++) codes.push((await m.issue(card.id, `shopper-${i}`)).code)
      return { m, till, codes }
    }

    it('a parallel burst of redemptions at one till lets exactly the limit through; the rest are challenged and write nothing', async () => {
      const { m, till, codes } = await tillSetup(5)
      const replies = await Promise.all(codes.map((code) => t.request('POST', '/v1/redemptions', { key: till, body: { code, order_amount: 10000 } })))
      assert.deepEqual(replies.map((r) => r.status).sort(), [...Array(5).fill(201), ...Array(7).fill(428)])
      const redeemed = (await Promise.all(codes.map(async (code) => expectStatus(await m.coupon(code), 200).state))).filter((state) => state === 'redeemed')
      assert.equal(redeemed.length, 5)
      // The refused ones were not counted: still exactly the limit in the window.
      const [bucket] = await t.ctx.database.db.selectFrom('risk_counts').select(['n']).where('merchant_id', '=', m.merchantId).execute()
      assert.equal(Number(bucket.n), 5)
    })

    it('a redemption that fails (unknown or used code) still counts as an attempt, and writes nothing else', async () => {
      const { m, till, codes } = await tillSetup(4)
      const redeemCode = (code: string) => t.request('POST', '/v1/redemptions', { key: till, body: { code, order_amount: 10000 } })
      expectStatus(await redeemCode(codes[0]), 201)
      expectProblem(await redeemCode(codes[0]), 409, 'already_redeemed')
      expectProblem(await redeemCode('NOTACODE1'), 404, 'code_not_found')
      expectStatus(await redeemCode(codes[1]), 201)
      // Four attempts: the fifth is challenged, and not counted.
      expectProblem(await redeemCode(codes[2]), 428, 'confirmation_required')
      const buckets = await t.ctx.database.db.selectFrom('risk_counts').select(['counter_key', 'n']).where('merchant_id', '=', m.merchantId).where('counter_key', 'like', 'redemptions_per_clerk:%').execute()
      assert.deepEqual(buckets.map((b) => Number(b.n)), [4])
      assert.equal(expectStatus(await m.coupon(codes[2]), 200).state, 'available')
      const redemptions = await t.ctx.database.db.selectFrom('redemptions').select('id').where('merchant_id', '=', m.merchantId).execute()
      assert.equal(redemptions.length, 2)
    })

    it('a redemption refused after its write began (an unknown member) is undone whole, and its attempt still counts', async () => {
      const { m, till, codes } = await tillSetup(2)
      const res = await t.request('POST', '/v1/redemptions', { key: till, body: { code: codes[0], order_amount: 10000, member_id: 'mbr_00000000000000000000000000' } })
      assert.equal(res.status, 404, res.text)
      assert.equal(expectStatus(await m.coupon(codes[0]), 200).state, 'available')
      assert.equal((await t.ctx.database.db.selectFrom('redemptions').select('id').where('merchant_id', '=', m.merchantId).execute()).length, 0)
      assert.equal((await m.events('coupon.redeemed')).length, 0)
      expectStatus(await t.request('POST', '/v1/redemptions', { key: till, body: { code: codes[0], order_amount: 10000 } }), 201)
      expectProblem(await t.request('POST', '/v1/redemptions', { key: till, body: { code: codes[1], order_amount: 10000 } }), 428, 'confirmation_required')
    })

    it('a parallel burst of right and wrong codes at one till counts every attempt: exactly the limit get an answer', async () => {
      const { m, till, codes } = await tillSetup(6)
      const sent = [...codes.slice(0, 6), ...codes.slice(0, 6).map((_, i) => `NOTACODE${i}`)]
      const replies = await Promise.all(sent.map((code) => t.request('POST', '/v1/redemptions', { key: till, body: { code, order_amount: 10000 } })))
      const statuses = replies.map((r) => r.status)
      assert.equal(statuses.filter((s) => s !== 428).length, 6)
      const redeemed = (await Promise.all(codes.slice(0, 6).map(async (code) => expectStatus(await m.coupon(code), 200).state))).filter((state) => state === 'redeemed')
      assert.equal(redeemed.length, statuses.filter((s) => s === 201).length)
      const [bucket] = await t.ctx.database.db.selectFrom('risk_counts').select(['n']).where('merchant_id', '=', m.merchantId).where('counter_key', 'like', 'redemptions_per_clerk:%').execute()
      assert.equal(Number(bucket.n), 6)
    })

    it('remembers a hit for its window and at most a tenth longer', async () => {
      const started = clock.now()
      try {
        const { till, codes } = await tillSetup(2)
        const redeemAt = (i: number) => t.request('POST', '/v1/redemptions', { key: till, body: { code: codes[i], order_amount: 10000 } })
        expectStatus(await redeemAt(0), 201)
        clock.advance(MINUTE / 2)
        expectStatus(await redeemAt(1), 201)
        expectProblem(await redeemAt(2), 428, 'confirmation_required')
        // Ten minutes after the first: a sliding window would have let it go; its bucket still counts.
        clock.set(new Date(started + 10 * MINUTE).toISOString())
        expectProblem(await redeemAt(2), 428, 'confirmation_required')
        // Eleven minutes after the bucket began, both hits have left the window.
        clock.set(new Date(started + 11 * MINUTE).toISOString())
        expectStatus(await redeemAt(2), 201)
        expectStatus(await redeemAt(3), 201)
        expectProblem(await redeemAt(4), 428, 'confirmation_required')
      } finally {
        clock.set(new Date(started).toISOString())
      }
    })

    it('a window of 0 remembers nothing: a limit of 0 refuses every hit, any other lets every one through', async () => {
      const { m, till, codes } = await tillSetup(1)
      await setRules(m, [{ name: 'redemptions_per_clerk', window_seconds: 0 }])
      for (let i = 0; i < 3; i++) expectStatus(await t.request('POST', '/v1/redemptions', { key: till, body: { code: codes[i], order_amount: 10000 } }), 201)
      await setRules(m, [{ name: 'redemptions_per_clerk', limit: 0 }])
      expectProblem(await t.request('POST', '/v1/redemptions', { key: till, body: { code: codes[3], order_amount: 10000 } }), 428, 'confirmation_required')
      assert.equal((await t.ctx.database.db.selectFrom('risk_counts').select('n').where('merchant_id', '=', m.merchantId).execute()).length, 0)
    })
  })

  describe(`risk counting shared by two server processes on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine, { sqliteFile: true })

    it('parallel redemptions at one till, sent to two processes on one database, let exactly the limit through', async () => {
      const m = await newMerchant(t)
      await setRules(m, [{ name: 'redemptions_per_clerk', limit: 6 }])
      const card = await m.createCard(cashCard({ stock: 1000, get_limit: 100 }))
      const till = expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem' }), 201).api_key
      const codes: string[] = []
      for (let i = 0; i < 16; i++) codes.push((await m.issue(card.id, `two-${i}`)).code)
      const servers = await startServers(2, kabaoEnv(t.db.url))
      try {
        const redeemOn = async (base: string, code: string) =>
          (await fetch(`${base}/v1/redemptions`, { method: 'POST', headers: { authorization: `Bearer ${till}`, 'content-type': 'application/json' }, body: JSON.stringify({ code, order_amount: 10000 }) })).status
        const statuses = await Promise.all(codes.map((code, i) => redeemOn(servers[i % 2].base, code)))
        assert.deepEqual(statuses.sort(), [...Array(6).fill(201), ...Array(10).fill(428)])
      } finally {
        await stopServers(servers)
      }
    })
  })
}
