/**
 * Real `kabao serve` processes with jobs on, killed with SIGKILL in the middle of delivering webhooks and of
 * sending reminders, then started again; and two processes on one database running the same jobs.
 * Assertions are on outcomes only: every event delivered with a valid signature, no reminder twice.
 */
import { describe, it, before, after, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { cashCard, testContext } from '../helpers/app.ts'
import { kabaoEnv, startServer, startServers, stopServers, type ServerProcess } from '../helpers/server-process.ts'
import { startReceiver, verifySignature, type Receiver } from '../helpers/webhook-receiver.ts'
import { buildApp, type App } from '../../src/app.ts'
import type { AppContext } from '../../src/app-context.ts'
import type { Db } from '../../src/db/database.ts'



import { createMerchant } from '../../src/features/merchants/merchants.service.ts'
import { recordEvent } from '../../src/features/events/events.repository.ts'

/** Jobs every 100 ms, retries a second apart, a receiver has half a second to answer. */
const JOBS_ON = { KABAO_JOBS: 'true', KABAO_JOB_INTERVAL_MS: '100', WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1', WEBHOOK_TIMEOUT_MS: '500' }

async function killHard(server: ServerProcess): Promise<void> {
  process.kill(server.pid, 'SIGKILL')
  await server.stop()
}

/** Polls until `check` is true; the bound only stops a test that would otherwise never end. */
async function until(check: () => Promise<boolean>, what: string, pollMs = 25): Promise<void> {
  const deadline = Date.now() + 90_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await delay(pollMs)
  }
}

for (const engine of ENGINES) {
  describe(`webhooks and jobs across crashes and processes on ${engine}`, await engineOptions(engine), () => {
    let database: TestDatabase
    let ctx: AppContext
    let app: App
    let receiver: Receiver
    let servers: ServerProcess[] = []
    let db: Db
    before(async () => {
      database = await createTestDatabase(engine, { sqliteFile: true })
      db = database.database.db
      ctx = testContext(database.database)
      // Set-up goes through the API in this process, with no jobs running here.
      app = await buildApp(ctx)
      receiver = await startReceiver()
    })
    afterEach(() => stopAll())
    after(async () => {
      await stopAll()
      await app?.close()
      await receiver?.close()
      await database?.drop()
    })

    const api = async (key: string, method: string, url: string, body?: unknown) => {
      const res = await app.inject({ method: method as 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: body === undefined ? undefined : JSON.stringify(body) })
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
      return JSON.parse(res.body)
    }
    const newMerchant = async () => {
      const created = await createMerchant(ctx, { name: `Crash ${Math.random().toString(36).slice(2, 8)}` })
      return { key: created.api_key, merchantId: created.merchant_id }
    }
    const count = async (table: 'notifications' | 'events' | 'coupons', where: (q: any) => any) => Number((await where(db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'))).executeTakeFirstOrThrow()).n)
    /** Starts servers the test stops in any case (a process left running would keep this file from ending). */
    const start = async (n: number, env: NodeJS.ProcessEnv) => {
      const started = n === 1 ? [await startServer(env)] : await startServers(n, env)
      servers.push(...started)
      return started
    }
    const stopAll = async () => {
      await stopServers(servers)
      servers = []
    }

    /**
     * A card of 3-day coupons issued to `n` users: with reminders 3 days ahead they are all due at once. Returns
     * the card id.
     */
    const dueReminders = async (key: string, n: number, remindDaysBefore: number | null = 3): Promise<string> => {
      const card = await api(key, 'POST', '/v1/cards', cashCard({ stock: n, remind_days_before: remindDaysBefore, validity: { type: 'fixed_term', days: 3 } }))
      const report = await api(key, 'POST', `/v1/cards/${card.id}/bulk-issue`, { user_ids: Array.from({ length: n }, (_, i) => `user-${i}`) })
      assert.equal(report.issued, n)
      return card.id
    }
    const reminders = async (merchantId: string) => ({
      coupons: await count('coupons', (q) => q.where('merchant_id', '=', merchantId).where('reminded_at', 'is not', null)),
      notifications: await count('notifications', (q) => q.where('merchant_id', '=', merchantId).where('kind', '=', 'coupon.expiring')),
      events: await count('events', (q) => q.where('merchant_id', '=', merchantId).where('type', '=', 'coupon.expiring')),
    })

    it('delivers every event, signed, after the process is killed in the middle of delivering', async () => {
      const { key, merchantId } = await newMerchant()
      const endpoint = await api(key, 'POST', '/v1/webhook-endpoints', { url: `${receiver.url}/crash-${engine}` })
      const mine = () => receiver.received.filter((r) => r.path === `/hooks/crash-${engine}`)
      receiver.behave((request) => (mine().includes(request) ? 'hang' : 200))

      const env = kabaoEnv(database.url, JOBS_ON)
      const [first] = await start(1, env)
      const base = first.base
      const post = (url: string, body: unknown) =>
        fetch(base + url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>)
      const card = await post('/v1/cards', cashCard({ stock: 100, get_limit: 100 }))
      for (let i = 0; i < 12; i++) await post(`/v1/cards/${card.id}/issue`, { user_id: 'u1' })
      await receiver.until(() => receiver.open() >= 2, 'deliveries in flight')
      await killHard(first)

      // Committed while no process runs: announced once one does.
      await db.transaction().execute((tx) => recordEvent(tx, { merchantId, type: 'points.changed', data: { delta: 5 }, now: Date.now() }))
      receiver.behave(() => 200)
      receiver.release(503)

      await start(1, env)
      const events = await db.selectFrom('events').select(['id', 'type']).where('merchant_id', '=', merchantId).execute()
      assert.equal(events.length, 14, 'card.created, 12 × coupon.issued, points.changed')
      const delivered = () => new Set(mine().filter((r) => r.answered === 200).map((r) => r.body.id))
      await receiver.until(() => events.every((e) => delivered().has(e.id)), 'every event delivered after the restart')

      const hung = mine().filter((r) => r.answered !== 200)
      assert.ok(hung.length >= 2)
      for (const request of hung) assert.ok(delivered().has(request.body.id), 'a delivery cut short by the crash went again, with the same event id')
      for (const request of mine()) {
        assert.equal(request.headers['kabao-event-id'], request.body.id)
        assert.ok(verifySignature(request, endpoint.secret, Math.floor(Date.now() / 1000)), 'every attempt carries a valid signature')
      }
      await until(
        async () => (await db.selectFrom('webhook_deliveries').select('status').where('endpoint_id', '=', endpoint.id).execute()).every((d) => d.status === 'delivered'),
        'every delivery recorded as delivered',
      )
      await stopAll()
    })

    it('sends no reminder twice when the process is killed while the reminder job runs', async () => {
      const { key, merchantId } = await newMerchant()
      const total = 2000
      const cardId = await dueReminders(key, total, null)
      const env = kabaoEnv(database.url, JOBS_ON)
      const [first] = await start(1, env)
      // Switched on while the process runs, the reminders all fall due at once: the job takes several batches.
      await db.updateTable('cards').set({ remind_days_before: 3 }).where('id', '=', cardId).execute()
      await until(async () => (await reminders(merchantId)).coupons > 0, 'the reminder job under way', 5)
      await killHard(first)

      // Whatever the kill interrupted was rolled back whole: each reminded coupon has its notification and event.
      const atKill = await reminders(merchantId)
      assert.equal(atKill.notifications, atKill.coupons)
      assert.equal(atKill.events, atKill.coupons)

      await start(1, env)
      await until(async () => (await reminders(merchantId)).coupons === total, 'every coupon reminded after the restart')
      await stopAll()
      assert.deepEqual(await reminders(merchantId), { coupons: total, notifications: total, events: total })
      const perUser = await db
        .selectFrom('notifications')
        .select(['user_id', (eb) => eb.fn.countAll().as('n')])
        .where('merchant_id', '=', merchantId)
        .where('kind', '=', 'coupon.expiring')
        .groupBy('user_id')
        .having((eb) => eb.fn.countAll(), '>', 1)
        .execute()
      assert.deepEqual(perUser, [], 'no customer was reminded twice')
    })

    it('runs each job once per period with two processes on one database', async () => {
      const { key, merchantId } = await newMerchant()
      const total = 400
      await dueReminders(key, total)
      await db.deleteFrom('job_runs').execute()
      await start(2, kabaoEnv(database.url, JOBS_ON))
      await until(async () => (await reminders(merchantId)).coupons === total, 'every coupon reminded')
      await until(
        async () => (await db.selectFrom('job_runs').select('finished_at').where('job', '=', 'daily-stats').execute()).some((r) => r.finished_at !== null),
        'the daily roll-up done',
      )
      // Both processes keep ticking a while longer; neither runs the finished period again.
      await delay(1000)
      await stopAll()
      const runs = await db.selectFrom('job_runs').selectAll().where('job', '=', 'daily-stats').execute()
      assert.ok(runs.length >= 1)
      for (const run of runs) assert.equal(run.attempts, 1, `period ${run.period_key} ran ${run.attempts} times`)
      assert.deepEqual(await reminders(merchantId), { coupons: total, notifications: total, events: total })
    })
  })
}
