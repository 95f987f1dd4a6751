/**
 * `node bench/card-stats.ts [--quick] [--coupons N] [--views N] [--redeemed F] [--days D] [--requests R] [--engine sqlite|postgres]`:
 * a scenario of its own (not part of `npm run bench`'s results; a full run takes some minutes per engine).
 * Fills one card straight in the database (bulk inserts, not through the API) with N coupons, a share F of
 * them redeemed, and N views (defaults: 1,000,000 coupons, 30 % redeemed, 5,000,000 views; `--quick`:
 * 100,000 and 500,000) spread over D days (90), counts them into the statistics' roll-ups as the upgrade
 * to migration 0025 does, and writes what the daily-stats job would have written for the days before the
 * live ones (and, as migration 0032 does, the merchant-wide counters). Then asks a real `kabao serve` process
 * R times (200) one after another for each of: the card's statistics of the last 30 days (JSON), the same as
 * CSV by day and by channel, the card's funnel, the merchant's funnel (all cards) and the dashboard overview,
 * and prints p50/p99 per route and engine. Every figure comes from counters; nothing scans the coupons or views.
 */
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { createSecrets } from '../src/ports/secrets.ts'
import { createMerchant } from '../src/features/merchants/merchants.service.ts'
import { systemClock } from '../src/ports/clock.ts'
import { newId } from '../src/ports/ids.ts'
import { addCalendarDays, localDate } from '../src/domain/time.ts'
import { dayBounds, dayKey } from '../src/domain/analytics.ts'
import { activityOfDay, DAILY_STATS_DAYS_BACK } from '../src/features/stats/stats.service.ts'
import { replaceDailyChannelStats } from '../src/features/stats/stats.repository.ts'
import { createTestDatabase, postgresAvailable } from '../test/helpers/databases.ts'
import { TEST_SECRET_KEY } from '../test/helpers/app.ts'
import { kabaoEnv, startServer } from '../test/helpers/server-process.ts'
import { seedCoupons } from './lib/seed.ts'
import type { Database } from '../src/db/database.ts'
import { backfillMerchantRollUps } from '../src/db/migrations/0025-card-stats-rollups.ts'
import { backfillMerchantWideRollUps } from '../src/db/migrations/0032-merchant-stats-rollups.ts'

const DAY = 86_400_000
const TZ = 'Asia/Shanghai'
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    coupons: { type: 'string' },
    views: { type: 'string' },
    redeemed: { type: 'string', default: '0.3' },
    days: { type: 'string', default: '90' },
    requests: { type: 'string', default: '200' },
    engine: { type: 'string' },
  },
})
const COUPONS = Number(values.coupons ?? (values.quick ? 100_000 : 1_000_000))
const VIEWS = Number(values.views ?? (values.quick ? 500_000 : 5_000_000))
const REDEEMED = Number(values.redeemed)
const DAYS = Number(values.days)
const REQUESTS = Number(values.requests)
const secrets = createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex'))
const log = (message: string) => process.stderr.write(`bench card-stats: ${message}\n`)

/** Moves the seeded coupons' issue times back over the last `days` days (random), as a real card's would be. */
async function spreadCoupons(database: Database, days: number): Promise<void> {
  const back = database.engine === 'postgres' ? sql`floor(random() * ${days})::bigint * ${DAY}` : sql`(abs(random()) % ${days}) * ${DAY}`
  await sql`update coupons set issued_at = issued_at - ${back}`.execute(database.db)
}

/**
 * Redeems a share of the coupons, each an hour after its issue (never in the future), at 2,000 fen off an
 * order of 10,000 to 29,999 fen: the redemption rows and the coupons' state, in two statements.
 */
async function seedRedemptions(database: Database, share: number): Promise<void> {
  const now = Date.now()
  const pick = database.engine === 'postgres' ? sql`random() < ${share}` : sql`abs(random()) % 1000000 < ${Math.round(share * 1_000_000)}`
  const order = database.engine === 'postgres' ? sql`10000 + floor(random() * 20000)::bigint` : sql`10000 + abs(random()) % 20000`
  await sql`insert into redemptions (id, merchant_id, coupon_id, card_id, store_id, api_key_id, staff_id, channel, order_amount, discount_amount, redeemed_at, reversed_at, reversal_reason, request_ref, reversal_request_ref)
    select 'rdm_' || id, merchant_id, id, card_id, null, null, null, 'api', ${order}, 2000, case when issued_at + 3600000 < ${now} then issued_at + 3600000 else ${now} end, null, null, null, null
    from coupons where ${pick}`.execute(database.db)
  await sql`update coupons set state = 'redeemed', redemption_id = 'rdm_' || id, redeemed_at = case when issued_at + 3600000 < ${now} then issued_at + 3600000 else ${now} end
    where id in (select coupon_id from redemptions)`.execute(database.db)
}

/** Views: raw events, one row per viewer and day, and the per-day counts, as recordCardView writes them. */
async function seedViews(database: Database, merchantId: string, cardId: string, views: number, days: number): Promise<void> {
  const now = Date.now()
  const today = localDate(now, TZ)
  const perDay = Math.ceil(views / days)
  const viewersPerDay = Math.max(1, Math.floor(perDay / 3))
  for (let d = 0; d < days; d++) {
    const day = dayKey(addCalendarDays(today, -d))
    const start = now - d * DAY
    const n = Math.min(perDay, views - d * perDay)
    if (n <= 0) break
    const batch = database.engine === 'postgres' ? 5000 : 500
    await database.db.transaction().execute(async (tx) => {
      for (let i = 0; i < n; i += batch) {
        const rows = Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({
          id: newId('tev', start), merchant_id: merchantId, event: 'view', card_id: cardId, user_id: null, device: `dev-${(i + j) % viewersPerDay}`, props: null, occurred_at: start - ((i + j) % 3600) * 1000,
        }))
        await tx.insertInto('tracked_events').values(rows).execute()
      }
      const viewers = Math.min(n, viewersPerDay)
      for (let i = 0; i < viewers; i += batch) {
        const rows = Array.from({ length: Math.min(batch, viewers - i) }, (_, j) => ({ merchant_id: merchantId, card_id: cardId, day, viewer: `d:dev-${i + j}` }))
        await tx.insertInto('card_day_viewers').values(rows).execute()
      }
      await tx.insertInto('card_view_days').values({ merchant_id: merchantId, card_id: cardId, day, views: n, viewers }).execute()
    })
  }
}

/** What the daily-stats job would have written for every day before the live ones. */
async function rollUp(database: Database, merchantId: string, days: number): Promise<void> {
  const today = localDate(Date.now(), TZ)
  for (let d = DAILY_STATS_DAYS_BACK + 1; d <= days; d++) {
    const day = addCalendarDays(today, -d)
    const key = dayKey(day)
    const rows = await activityOfDay(database.db, merchantId, dayBounds(day, TZ))
    await replaceDailyChannelStats(database.db, merchantId, key, rows.map((s) => ({ merchant_id: merchantId, day: key, ...s, updated_at: Date.now() })))
  }
}

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 100) / 100
}

async function runEngine(engine: 'sqlite' | 'postgres') {
  const database = await createTestDatabase(engine, { sqliteFile: true })
  const merchant = await createMerchant({ database: database.database, clock: systemClock, secrets }, { name: 'Bench Stats' })
  const server = await startServer(kabaoEnv(database.url, { LOG_LEVEL: 'warn', KABAO_JOBS: 'false' }))
  try {
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(server.base + url, { method, headers: { authorization: `Bearer ${merchant.api_key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await res.text()
      if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`)
      return res.headers.get('content-type')?.startsWith('text/csv') ? text : JSON.parse(text)
    }
    const card = await call('POST', '/v1/cards', { type: 'cash', title: 'Bench', notice: 'n', reduce_cost: 2000, least_cost: 10000, stock: COUPONS + 10, validity: { type: 'fixed_term', days: 365 } })
    let t0 = Date.now()
    await seedCoupons(database.database, secrets, { merchantId: merchant.merchant_id, cardId: card.id }, { count: COUPONS, userOf: (i) => `u${i % Math.max(1, Math.floor(COUPONS / 2))}`, keepCodes: false })
    await spreadCoupons(database.database, DAYS)
    await seedRedemptions(database.database, REDEEMED)
    log(`${engine}: ${COUPONS} coupons, ${Math.round(REDEEMED * 100)} % redeemed, in ${Date.now() - t0} ms`)
    t0 = Date.now()
    await seedViews(database.database, merchant.merchant_id, card.id, VIEWS, DAYS)
    log(`${engine}: ${VIEWS} views in ${Date.now() - t0} ms`)
    t0 = Date.now()
    await backfillMerchantRollUps(database.database.db, merchant.merchant_id, TZ)
    const backfillMs = Date.now() - t0
    log(`${engine}: counted into the roll-ups (as migration 0025 does) in ${backfillMs} ms`)
    t0 = Date.now()
    await backfillMerchantWideRollUps(database.database.db, merchant.merchant_id, TZ)
    const merchantBackfillMs = Date.now() - t0
    log(`${engine}: counted into the merchant-wide roll-ups (as migration 0032 does) in ${merchantBackfillMs} ms`)
    t0 = Date.now()
    await rollUp(database.database, merchant.merchant_id, DAYS)
    if (engine === 'postgres') await sql`analyze`.execute(database.database.db)
    log(`${engine}: daily-stats roll-ups in ${Date.now() - t0} ms`)
    const first = await call('GET', `/v1/stats/cards/${card.id}`)
    const merchantFunnel = await call('GET', '/v1/stats/funnel')
    const overview = await call('GET', '/v1/stats/overview')
    const routes = {
      card: `/v1/stats/cards/${card.id}`,
      by_day_csv: `/v1/stats/cards/${card.id}?format=csv`,
      by_channel_csv: `/v1/stats/cards/${card.id}?format=csv&list=by_channel`,
      funnel: `/v1/stats/funnel?card_id=${card.id}`,
      merchant_funnel: '/v1/stats/funnel',
      overview: '/v1/stats/overview',
    }
    const timed: Record<string, { p50_ms: number; p99_ms: number }> = {}
    for (const [name, url] of Object.entries(routes)) {
      const times: number[] = []
      for (let i = 0; i < REQUESTS; i++) {
        const start = performance.now()
        await call('GET', url)
        times.push(performance.now() - start)
      }
      times.sort((a, b) => a - b)
      timed[name] = { p50_ms: percentile(times, 50), p99_ms: percentile(times, 99) }
    }
    const figures = {
      engine, coupons: COUPONS, views: VIEWS, requests: REQUESTS, backfill_ms: backfillMs, merchant_backfill_ms: merchantBackfillMs, ...timed,
      claims_30_days: first.claims, claimers_30_days: first.claimers, redemptions_30_days: first.redemptions, redeemers_30_days: first.redeemers, views_30_days: first.views, viewers_30_days: first.viewers,
      merchant_funnel_30_days: merchantFunnel.steps.map((step: { users: number }) => step.users), overview_claims_30_days: overview.totals.claims,
    }
    console.log(JSON.stringify(figures))
    return figures
  } finally {
    await server.stop()
    await database.drop()
  }
}

const engines: ('sqlite' | 'postgres')[] = values.engine ? [values.engine as 'sqlite' | 'postgres'] : ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])]
for (const engine of engines) await runEngine(engine)
