import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { CompiledQuery, SelectQueryNode, sql, type KyselyPlugin } from 'kysely'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type TestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, ms, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { PURGE_BATCH, purgeIdempotencyKeys } from '../../src/jobs/purge-idempotency-keys.job.ts'
import { IDEMPOTENCY_WINDOW_MS } from '../../src/features/idempotency/request-refs.ts'
import { rollUpDailyStats } from '../../src/jobs/daily-stats.job.ts'
import { OTP_RETENTION_MS, purgeOtpChallenges } from '../../src/jobs/purge-otp-challenges.job.ts'
import { purgeLoginAttempts } from '../../src/jobs/purge-login-attempts.job.ts'
import { purgeWebhookLog } from '../../src/jobs/purge-webhook-log.job.ts'
import { LOGIN_WINDOW_MS } from '../../src/features/staff/staff-rules.ts'
import { deliverWebhooksOnce, webhookSettings } from '../../src/features/webhooks/webhook-delivery.ts'
import type { Job } from '../../src/jobs/runner.ts'
import type { DeliveryStatus } from '../../src/features/webhooks/webhooks.table.ts'

const START = '2026-03-10T02:00:00Z' // Tuesday 10:00 in Shanghai
const DAY = 86_400_000

/** Runs the job by hand until it has nothing left; what each run handled. */
async function batchesOf(job: Job, ctx: TestApp['ctx'], now: number): Promise<number[]> {
  const batches: number[] = []
  for (let n = await job.run(ctx, now); n > 0; n = await job.run(ctx, now)) batches.push(n)
  return batches
}

for (const engine of ENGINES) {
  describe(`scheduled jobs on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    const notifications = async (m: MerchantApi, userId: string) => expectStatus(await m.get(`/v1/users/${userId}/notifications`), 200).data

    it('reminds each holder once, the card’s number of days before the coupon expires, while it is still available', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const threeDays = await m.createCard(cashCard({ least_cost: undefined, get_limit: 5, validity: { type: 'fixed_term', days: 10 } }))
      const oneDay = await m.createCard(cashCard({ least_cost: undefined, remind_days_before: 1, validity: { type: 'fixed_term', days: 10 } }))
      const silent = await m.createCard(cashCard({ least_cost: undefined, remind_days_before: null, validity: { type: 'fixed_term', days: 10 } }))
      assert.deepEqual([threeDays.remind_days_before, oneDay.remind_days_before, silent.remind_days_before], [3, 1, null])

      const reminded = await m.issue(threeDays.id, 'u1')
      const redeemed = await m.issue(threeDays.id, 'u2')
      const voided = await m.issue(threeDays.id, 'u3')
      const later = await m.issue(oneDay.id, 'u1')
      const never = await m.issue(silent.id, 'u1')
      expectStatus(await m.redeem({ code: redeemed.code }), 201)
      expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(voided.code)}/void`), 200)
      const validUntil = ms(reminded.valid_until)
      assert.equal(reminded.valid_until, '2026-03-19T23:59:59+08:00')

      clock.set(validUntil - 3 * DAY - 1000)
      assert.equal((await runJobsOnce(t.ctx))['remind-expiring-coupons'], 0)
      clock.set(validUntil - 3 * DAY)
      assert.equal((await runJobsOnce(t.ctx))['remind-expiring-coupons'], 1)
      assert.equal((await runJobsOnce(t.ctx))['remind-expiring-coupons'], 0)
      clock.advance(DAY)
      assert.equal((await runJobsOnce(t.ctx))['remind-expiring-coupons'], 0)

      const [expiring] = await m.events('coupon.expiring')
      assert.deepEqual(expiring.data, {
        coupon_id: reminded.id,
        card_id: threeDays.id,
        user_id: 'u1',
        title: '满100减20',
        valid_until: '2026-03-19T23:59:59+08:00',
        days_before: 3,
      })
      assert.equal(expiring.created_at, '2026-03-16T23:59:59+08:00')
      const [note] = await notifications(m, 'u1')
      assert.equal(note.kind, 'coupon.expiring')
      assert.equal(note.data.coupon_id, reminded.id)
      assert.match(note.body, /满100减20.*2026-03-19 23:59/)
      assert.equal(note.read_at, null)
      assert.deepEqual(await notifications(m, 'u2'), [])
      assert.deepEqual(await notifications(m, 'u3'), [])

      clock.set(ms(later.valid_until) - DAY)
      assert.equal((await runJobsOnce(t.ctx))['remind-expiring-coupons'], 1)
      clock.set(validUntil + 1000)
      await runJobsOnce(t.ctx)
      const events = await m.events('coupon.expiring')
      assert.deepEqual(events.map((e) => e.data.coupon_id), [reminded.id, later.id])
      assert.equal((await notifications(m, 'u1')).length, 2)
      assert.ok(!events.some((e) => e.data.coupon_id === never.id))
      // Each customer notification is also an event, for merchants who send them on through their own channels.
      const relayed = await m.events('notification.created')
      assert.deepEqual(relayed.map((e) => [e.data.user_id, e.data.kind, e.data.data.coupon_id]), [['u1', 'coupon.expiring', reminded.id], ['u1', 'coupon.expiring', later.id]])

      expectProblem(await m.patch(`/v1/cards/${threeDays.id}`, { remind_days_before: 0 }), 422, 'validation_failed')
      assert.equal(expectStatus(await m.patch(`/v1/cards/${threeDays.id}`, { remind_days_before: 7 }), 200).remind_days_before, 7)
    })

    it('alerts card.stock_low once when the stock falls to the threshold, and again only after it rose above it', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const card = await m.createCard(cashCard({ least_cost: undefined, stock: 20, get_limit: 100 }))
      assert.equal(card.stock_low_threshold, 2, 'the default is 10% of the stock at creation')
      assert.equal((await m.createCard(cashCard({ stock: 9 }))).stock_low_threshold, null)
      assert.equal((await m.createCard(cashCard({ stock: 9, stock_low_threshold: 3 }))).stock_low_threshold, 3)
      const alerts = async () => (await m.events('card.stock_low')).filter((e) => e.data.card_id === card.id)
      const issue = async (n: number) => {
        for (let i = 0; i < n; i++) await m.issue(card.id, 'u1')
      }

      await issue(17)
      await runJobsOnce(t.ctx)
      assert.equal((await alerts()).length, 0, 'stock 3 is above the threshold')
      await issue(1)
      await runJobsOnce(t.ctx)
      await issue(1)
      await runJobsOnce(t.ctx)
      const [first] = await alerts()
      assert.deepEqual(first.data, { card_id: card.id, title: '满100减20', stock_remaining: 2, stock_low_threshold: 2, issued_count: 18 })
      assert.equal((await alerts()).length, 1, 'once per crossing')

      expectStatus(await m.post(`/v1/cards/${card.id}/stock`, { delta: 10 }), 200)
      await runJobsOnce(t.ctx)
      assert.equal((await alerts()).length, 1)
      await issue(9)
      await runJobsOnce(t.ctx)
      assert.equal((await alerts()).length, 2, 'below the threshold again after rising above it')
      assert.equal((await alerts())[1].data.stock_remaining, 2)

      assert.equal(expectStatus(await m.patch(`/v1/cards/${card.id}`, { stock_low_threshold: null }), 200).stock_low_threshold, null)
      await issue(1)
      await runJobsOnce(t.ctx)
      assert.equal((await alerts()).length, 2, 'no threshold, no alert')
      expectStatus(await m.patch(`/v1/cards/${card.id}`, { stock_low_threshold: 5 }), 200)
      await runJobsOnce(t.ctx)
      assert.equal((await alerts()).length, 3, 'a new threshold is judged afresh')
    })

    it('rolls the statistics of each merchant’s last local days up once per day', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const card = await m.createCard(cashCard({ least_cost: undefined, get_limit: 10 }))
      const coupons = [await m.issue(card.id, 'u1'), await m.issue(card.id, 'u1'), await m.issue(card.id, 'u2')]
      const redemption = expectStatus(await m.redeem({ code: coupons[0].code }), 201)
      expectStatus(await m.post(`/v1/coupons/${encodeURIComponent(coupons[1].code)}/void`), 200)
      // The next local day: the redemption is reversed.
      clock.set(Date.parse('2026-03-11T03:00:00Z'))
      expectStatus(await m.post(`/v1/redemptions/${redemption.id}/reverse`), 200)

      // 2026-03-12 10:00 in Shanghai: the 10th and the 11th are complete.
      clock.set(Date.parse('2026-03-12T02:00:00Z'))
      const first = await runJobsOnce(t.ctx)
      assert.ok(first['daily-stats'] >= 2, JSON.stringify(first))
      const stats = expectStatus(await m.get(`/v1/stats/daily?card_id=${card.id}`), 200).data
      assert.deepEqual(stats, [
        { day: '2026-03-10', card_id: card.id, issued: 3, redeemed: 1, reversed: 0, expired: 0, voided: 1, discount_amount: 2000 },
        { day: '2026-03-11', card_id: card.id, issued: 0, redeemed: 0, reversed: 1, expired: 0, voided: 0, discount_amount: -2000 },
      ])
      assert.deepEqual(expectStatus(await m.get('/v1/stats/daily?from=2026-03-11&to=2026-03-11'), 200).data.map((s: { day: string }) => s.day), ['2026-03-11'])

      // Later the same UTC day, the period is done: the job does not run again.
      clock.advance(6 * 60 * 60 * 1000)
      assert.equal((await runJobsOnce(t.ctx))['daily-stats'], undefined)
      const runs = await t.ctx.database.db.selectFrom('job_runs').selectAll().where('job', '=', 'daily-stats').where('period_key', '=', '2026-03-12').execute()
      assert.equal(runs.length, 1)
      assert.equal(runs[0].attempts, 1)
      assert.notEqual(runs[0].finished_at, null)
      // The next day it does.
      clock.advance(DAY)
      assert.notEqual((await runJobsOnce(t.ctx))['daily-stats'], undefined)
      expectProblem(await m.get('/v1/stats/daily?from=yesterday'), 422, 'validation_failed')
      const other = await newMerchant(t)
      assert.deepEqual(expectStatus(await other.get('/v1/stats/daily'), 200).data, [])
    })

    it('reads a day’s coupons and redemptions for the statistics through indexes, never by scanning a merchant’s history', async () => {
      clock.set(START)
      const { db, engine: e } = t.ctx.database
      const merchantId = (await newMerchant(t)).merchantId
      // 200 days of history, 20 coupons a day, some voided, redeemed and reversed; the planner is told how much.
      const coupons = Array.from({ length: 4000 }, (_, i) => {
        const day = clock.now() - (200 - Math.floor(i / 20)) * DAY
        return {
          id: `cpn_${String(i).padStart(26, '0')}`, merchant_id: merchantId, card_id: `crd_${i % 3}`, card_version_id: 'crv_x', code_hash: `plan-${i}`, code_enc: 'x',
          user_id: `u${i}`, state: i % 40 === 0 ? ('voided' as const) : ('available' as const), source: 'api' as const, source_ref: null, valid_from: day, valid_until: day + 30 * DAY, issued_at: day,
          redeemed_at: null, redemption_id: null, voided_at: i % 40 === 0 ? day + 1000 : null, updated_at: day,
        }
      })
      const redemptions = coupons.filter((_, i) => i % 2 === 1).map((c, i) => ({
        id: `rdm_${c.id.slice(4)}`, merchant_id: merchantId, coupon_id: c.id, card_id: c.card_id, store_id: null, api_key_id: null, channel: 'api' as const,
        order_amount: 10_000, discount_amount: 1_000, redeemed_at: c.issued_at + 1000, reversed_at: i % 50 === 0 ? c.issued_at + 2000 : null, reversal_reason: null, request_ref: null,
      }))
      for (let i = 0; i < coupons.length; i += 500) await db.insertInto('coupons').values(coupons.slice(i, i + 500)).execute()
      for (let i = 0; i < redemptions.length; i += 500) await db.insertInto('redemptions').values(redemptions.slice(i, i + 500)).execute()
      for (const table of ['coupons', 'redemptions']) await sql`analyze ${sql.table(table)}`.execute(db)

      // The roll-up's own queries, as it sends them.
      const reads: CompiledQuery[] = []
      const capture: KyselyPlugin = {
        transformQuery({ node, queryId }) {
          if (SelectQueryNode.is(node)) reads.push(db.getExecutor().compileQuery(node, queryId))
          return node
        },
        transformResult: async ({ result }) => result,
      }
      const observed = { ...t.ctx, database: { ...t.ctx.database, db: db.withPlugin(capture) } }
      await rollUpDailyStats.run(observed, clock.now())
      const dayQueries = reads.filter((q) => /from "(coupons|redemptions)"/.test(q.sql) && q.parameters.includes(merchantId))
      assert.ok(dayQueries.length >= 5, `found ${dayQueries.length} of the roll-up's queries`)
      for (const query of dayQueries) {
        const explained = await db.executeQuery<Record<string, string>>(CompiledQuery.raw(`${e === 'sqlite' ? 'explain query plan' : 'explain'} ${query.sql}`, [...query.parameters]))
        const plan = explained.rows.map((row) => row.detail ?? row['QUERY PLAN']).join('\n')
        if (e === 'sqlite') assert.doesNotMatch(plan, /^SCAN (coupons|redemptions)/m, `${query.sql}\n${plan}`)
        else assert.doesNotMatch(plan, /Seq Scan/, `${query.sql}\n${plan}`)
        if (query.sql.includes('"issued_at" >=')) assert.match(plan, /coupons_issued_idx/, plan)
        if (query.sql.includes('"voided_at" >=')) assert.match(plan, /coupons_voided_idx/, plan)
        if (query.sql.includes('"reversed_at" >=')) assert.match(plan, /redemptions_reversed_idx/, plan)
      }
    })

    it('forgets idempotency keys past their 24 hours in bounded batches, oldest first, until none is left', async () => {
      clock.set(START)
      const { db } = t.ctx.database
      const merchantId = (await newMerchant(t)).merchantId
      const expiredBy = clock.now() - IDEMPOTENCY_WINDOW_MS
      /** `n` keys of this merchant created at `expiredBy + offset(i)`. */
      const addKeys = async (prefix: string, n: number, offset: (i: number) => number) => {
        const rows = Array.from({ length: n }, (_, i) => ({
          merchant_id: merchantId,
          key: `${prefix}-${i}`,
          request_hash: 'h',
          state: 'done' as const,
          status_code: 201,
          response_body: '{}',
          created_at: expiredBy + offset(i),
          locked_until: 0,
        }))
        for (let i = 0; i < rows.length; i += 200) await db.insertInto('idempotency_keys').values(rows.slice(i, i + 200)).execute()
      }
      const keysLeft = async () =>
        (await db.selectFrom('idempotency_keys').select('key').where('merchant_id', '=', merchantId).orderBy('key').execute()).map((r) => r.key)
      const expiredCount = async () => Number((await db.selectFrom('idempotency_keys').select((eb) => eb.fn.countAll().as('n')).where('created_at', '<=', expiredBy).executeTakeFirstOrThrow()).n)

      await addKeys('old', 2 * PURGE_BATCH + 500, (i) => -i) // the newest of them exactly 24 h old
      await addKeys('fresh', 3, (i) => 1 + i)
      const expired = await expiredCount()
      const batches: number[] = []
      for (let n = await purgeIdempotencyKeys.run(t.ctx, clock.now()); n > 0; n = await purgeIdempotencyKeys.run(t.ctx, clock.now())) {
        batches.push(n)
        // Oldest first: the old keys left are always the newest ones (`old-0` is the newest).
        const old = (await keysLeft()).filter((key) => key.startsWith('old-')).map((key) => Number(key.slice(4)))
        assert.deepEqual(old.sort((a, b) => a - b), old.map((_, i) => i))
      }
      assert.ok(batches.length >= 3, `several statements: ${batches}`)
      assert.ok(batches.every((n) => n <= PURGE_BATCH))
      assert.deepEqual(batches.slice(0, -1), batches.slice(0, -1).map(() => PURGE_BATCH), 'every batch but the last is full')
      assert.equal(batches.reduce((a, b) => a + b, 0), expired)
      assert.equal(await expiredCount(), 0)
      assert.deepEqual(await keysLeft(), ['fresh-0', 'fresh-1', 'fresh-2'], 'a key younger than 24 h by one millisecond stays')

      // The runner calls it until nothing is left and reports what it forgot in all.
      await addKeys('later', PURGE_BATCH + 1, (i) => -1 - i)
      assert.equal((await runJobsOnce(t.ctx, [purgeIdempotencyKeys]))['purge-idempotency-keys'], PURGE_BATCH + 1)
      assert.deepEqual(await keysLeft(), ['fresh-0', 'fresh-1', 'fresh-2'])
    })

    it('forgets sign-in code challenges a day after they expired, used or not, in bounded batches', async () => {
      clock.set(START)
      const { db } = t.ctx.database
      const merchantId = (await newMerchant(t)).merchantId
      const expiredBy = clock.now() - OTP_RETENTION_MS
      const challenge = (id: string, expiresAt: number, consumedAt: number | null = null) => ({
        id, merchant_id: merchantId, destination: '+8613800000000', code_hash: 'h', attempts: 0, expires_at: expiresAt, consumed_at: consumedAt, created_at: expiresAt - 5 * 60_000,
      })
      const old = Array.from({ length: PURGE_BATCH + 10 }, (_, i) => challenge(`otp_old_${i}`, expiredBy - i * 1000, i % 3 === 0 ? expiredBy - i * 1000 - 60_000 : null))
      for (let i = 0; i < old.length; i += 200) await db.insertInto('otp_challenges').values(old.slice(i, i + 200)).execute()
      await db
        .insertInto('otp_challenges')
        .values([challenge('otp_recently_expired', expiredBy + 1), challenge('otp_recently_used', expiredBy + 60_000, expiredBy + 1000), challenge('otp_live', clock.now() + 60_000)])
        .execute()
      const left = async () => (await db.selectFrom('otp_challenges').select('id').where('merchant_id', '=', merchantId).orderBy('id').execute()).map((r) => r.id)

      assert.deepEqual(await batchesOf(purgeOtpChallenges, t.ctx, clock.now()), [PURGE_BATCH, 10], 'a full batch, then the rest')
      assert.deepEqual(await left(), ['otp_live', 'otp_recently_expired', 'otp_recently_used'])
      clock.advance(OTP_RETENTION_MS)
      assert.equal((await runJobsOnce(t.ctx, [purgeOtpChallenges]))['purge-otp-challenges'], 2)
      assert.deepEqual(await left(), ['otp_live'])
    })

    it('forgets failed staff sign-ins once they left the window in which they count, in bounded batches', async () => {
      clock.set(START)
      const { db } = t.ctx.database
      const outside = clock.now() - LOGIN_WINDOW_MS
      const subject = `login:purge-${Math.random().toString(36).slice(2)}`
      const rows = Array.from({ length: PURGE_BATCH + 5 }, (_, i) => ({ id: `lga_old_${i}`, subject, created_at: outside - i }))
      for (let i = 0; i < rows.length; i += 200) await db.insertInto('login_attempts').values(rows.slice(i, i + 200)).execute()
      await db.insertInto('login_attempts').values([{ id: 'lga_recent', subject, created_at: outside + 1 }]).execute()

      assert.deepEqual(await batchesOf(purgeLoginAttempts, t.ctx, clock.now()), [PURGE_BATCH, 5])
      const left = await db.selectFrom('login_attempts').select('id').where('subject', '=', subject).execute()
      assert.deepEqual(left.map((r) => r.id), ['lga_recent'], 'one still inside the window by a millisecond stays')
      clock.advance(1)
      assert.equal((await runJobsOnce(t.ctx, [purgeLoginAttempts]))['purge-login-attempts'], 1)
    })

    it('forgets finished webhook deliveries and their attempts after the retention, never a pending one; redelivery still works from the events', async () => {
      clock.set(START)
      const { db } = t.ctx.database
      const merchants = [(await newMerchant(t)).merchantId, (await newMerchant(t)).merchantId]
      const retentionDays = 30
      const finishedBy = clock.now() - retentionDays * DAY
      let n = 0
      /** A delivery of `status` last updated at `updatedAt`, with `attempts` attempts. */
      const delivery = (tag: string, status: DeliveryStatus, updatedAt: number, attempts = 2) => {
        const merchantId = merchants[n % 2]
        const id = `whd_${tag}_${n++}`
        return {
          row: {
            id, merchant_id: merchantId, endpoint_id: 'whe_x', event_id: `evt_${id}`, status, attempts, next_attempt_at: updatedAt, locked_until: null, lease_token: null,
            last_attempt_at: updatedAt, last_status_code: 200, last_error: null, delivered_at: status === 'delivered' ? updatedAt : null, created_at: updatedAt - DAY, updated_at: updatedAt,
          },
          attempts: Array.from({ length: attempts }, (_, a) => ({
            id: `wha_${id}_${a}`, merchant_id: merchantId, endpoint_id: 'whe_x', delivery_id: id, event_id: `evt_${id}`, attempt: a + 1, attempted_at: updatedAt - a * 1000, status_code: 500, latency_ms: 5, error: null,
          })),
        }
      }
      const old = Array.from({ length: PURGE_BATCH + 3 }, (_, i) => delivery('old', i % 4 === 0 ? 'failed' : 'delivered', finishedBy - i * 1000))
      const kept = [
        delivery('pending', 'pending', finishedBy - 100 * DAY, 9), // still retrying (say, redelivered), however old
        delivery('recent', 'delivered', finishedBy + 1),
        delivery('recent', 'failed', clock.now()),
      ]
      const all = [...old, ...kept]
      for (let i = 0; i < all.length; i += 200) {
        await db.insertInto('webhook_deliveries').values(all.slice(i, i + 200).map((d) => d.row)).execute()
        await db.insertInto('webhook_attempts').values(all.slice(i, i + 200).flatMap((d) => d.attempts)).execute()
      }
      const ours = (table: 'webhook_deliveries' | 'webhook_attempts') => db.selectFrom(table).select('id').where('merchant_id', 'in', merchants).where('endpoint_id', '=', 'whe_x')
      const job = purgeWebhookLog(retentionDays)

      assert.equal(await job.run(t.ctx, clock.now()), PURGE_BATCH, 'one bounded batch per run')
      assert.equal((await ours('webhook_deliveries').execute()).length, 3 + kept.length)
      const orphans = await ours('webhook_attempts').where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.merchant_id', '=', 'webhook_attempts.merchant_id').whereRef('d.id', '=', 'webhook_attempts.delivery_id')))).execute()
      assert.deepEqual(orphans, [], 'a delivery goes with its attempts')
      // Oldest first: the ones left of the old are the most recently finished.
      const oldLeft = (await ours('webhook_deliveries').where('id', 'like', 'whd_old_%').execute()).map((r) => r.id).sort()
      assert.deepEqual(oldLeft, old.slice(0, 3).map((d) => d.row.id).sort())
      assert.equal(await job.run(t.ctx, clock.now()), 3, 'the next run continues')
      assert.equal(await job.run(t.ctx, clock.now()), 0)
      assert.deepEqual((await ours('webhook_deliveries').execute()).map((r) => r.id).sort(), kept.map((d) => d.row.id).sort())
      assert.deepEqual((await ours('webhook_attempts').execute()).map((r) => r.id).sort(), kept.flatMap((d) => d.attempts.map((a) => a.id)).sort())

      for (const table of ['webhook_attempts', 'webhook_deliveries'] as const) await db.deleteFrom(table).where('endpoint_id', '=', 'whe_x').execute()

      // Through the API: a delivered event leaves the delivery log after the retention, and can still be sent again.
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/merchant/policy', { allow_no_threshold: true }), 200)
      const endpoint = expectStatus(await m.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['coupon.issued'] }), 201)
      const card = await m.createCard(cashCard({ least_cost: undefined }))
      await m.issue(card.id, 'u1')
      const ok = webhookSettings({ client: async () => ({ statusCode: 200, error: null, latencyMs: 1 }) })
      assert.ok((await deliverWebhooksOnce(t.ctx, ok)) >= 1)
      const log = async () => expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`), 200).data
      const [delivered] = await log()
      assert.equal(delivered.status, 'delivered')
      clock.advance(retentionDays * DAY - 1000)
      assert.equal((await runJobsOnce(t.ctx, [job]))['purge-webhook-log'], 0)
      clock.advance(1000)
      assert.equal((await runJobsOnce(t.ctx, [job]))['purge-webhook-log'], 1)
      assert.deepEqual(await log(), [])
      assert.deepEqual(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}/attempts`), 200).data, [])
      expectStatus(await m.post(`/v1/webhook-endpoints/${endpoint.id}/redeliver`, { since: START }), 202)
      const [again] = await log()
      assert.equal(again.event_id, delivered.event_id)
      assert.equal(again.status, 'pending')
    })
  })
}
