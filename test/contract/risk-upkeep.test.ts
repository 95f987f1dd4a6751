/** Risk control's retention job: database counters whose window passed, and blocks that ended, are forgotten; live ones stay. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { DEVICE, claimSetup } from '../helpers/risk.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { purgeRiskCounters } from '../../src/jobs/purge-risk-counters.job.ts'

const HOUR = 3_600_000

for (const engine of ENGINES) {
  describe(`risk upkeep on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-04-01T02:00:00Z')
    const t = useTestApp(engine, { clock })
    const db = () => t.ctx.database.db
    /** The rules with a counter in the database: distinct counters, and the buckets of plain ones. */
    const counters = async (merchantId: string) => {
      const distinct = await db().selectFrom('risk_counters').select('counter_key').where('merchant_id', '=', merchantId).execute()
      const plain = await db().selectFrom('risk_counts').select('counter_key').where('merchant_id', '=', merchantId).execute()
      return [...new Set([...distinct, ...plain].map((r) => r.counter_key.split(':')[0]))].sort()
    }
    const members = async (merchantId: string) => (await db().selectFrom('risk_counter_hits').select('member').where('merchant_id', '=', merchantId).execute()).length
    const purge = async () => (await runJobsOnce(t.ctx, [purgeRiskCounters]))['purge-risk-counters']

    it('forgets a counter once its window has passed since its last hit, with its hits; a counter still in its window stays and keeps counting', async () => {
      const { m, claim, linkToken } = await claimSetup(t)
      const { merchantId } = m as typeof m & { merchantId: string }
      for (const user of ['u1', 'u2', 'u3']) expectStatus(await claim(user), 201)
      // claims_per_address (1 hour: one bucket of 6 minutes holding 3 claims) and users_per_device (1 day: 3 users).
      assert.deepEqual(await counters(merchantId), ['claims_per_address', 'users_per_device'])
      assert.equal(await members(merchantId), 3)
      const buckets = await db().selectFrom('risk_counts').select(['n', 'bucket_start', 'expires_at']).where('merchant_id', '=', merchantId).execute()
      assert.deepEqual(buckets.map((b) => ({ ...b })), [{ n: 3, bucket_start: clock.now(), expires_at: clock.now() + HOUR + 6 * 60_000 }])

      // A plain counter's bucket counts for the window after it ends (it began at the claims: 6 minutes more).
      clock.advance(HOUR + 6 * 60_000 - 1)
      assert.equal(await purge(), 0, 'a millisecond inside the window: nothing goes')
      clock.advance(1)
      assert.ok((await purge()) >= 1)
      assert.deepEqual(await counters(merchantId), ['users_per_device'])
      assert.equal(await members(merchantId), 3)
      // The day's count of users on the device still holds.
      expectProblem(await claim('u4'), 403, 'risk_blocked')

      clock.advance(24 * HOUR)
      await purge()
      assert.deepEqual(await counters(merchantId), [])
      assert.equal(await members(merchantId), 0)
      // A fresh window counts from nothing (with a fresh token: the first ones have expired).
      const token = expectStatus(await m.post('/v1/wallet-tokens', { user_id: 'u4' }), 201).token
      expectStatus(await t.request('POST', `/v1/claim/${linkToken}`, { key: token, headers: { 'kabao-device': DEVICE } }), 201)
      assert.deepEqual(await counters(merchantId), ['claims_per_address', 'users_per_device'])
    })

    it('forgets blocks that have ended, never one until removed', async () => {
      const m = await newMerchant(t)
      await expectStatus(await m.put('/v1/risk/rules', { rules: [{ name: 'wrong_codes', limit: 1 }] }), 200)
      await m.createCard(cashCard())
      expectProblem(await m.redeem({ code: 'NOTACODE1', order_amount: 10000 }), 404, 'code_not_found')
      expectProblem(await m.redeem({ code: 'NOTACODE2', order_amount: 10000 }), 403, 'risk_blocked')
      expectStatus(await m.post('/v1/risk/blocks', { type: 'user', value: 'forever' }), 201)
      const rows = async () => (await t.ctx.database.db.selectFrom('risk_blocks').select(['type', 'until']).where('merchant_id', '=', m.merchantId).orderBy('type').execute()).map((r) => r.type)
      assert.deepEqual(await rows(), ['key', 'user'])
      clock.advance(15 * 60_000 - 1)
      await purge()
      assert.deepEqual(await rows(), ['key', 'user'], 'still in force')
      clock.advance(1)
      await purge()
      assert.deepEqual(await rows(), ['user'])
      assert.deepEqual(expectStatus(await m.get('/v1/risk/blocks'), 200).data.map((b: any) => b.value), ['forever'])
      // The risk log still has what happened.
      assert.equal(expectStatus(await m.get('/v1/risk/events?rule=wrong_codes'), 200).data.length, 1)
    })
  })
}
