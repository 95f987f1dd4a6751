/**
 * `node bench/card-stats.ts [--coupons N] [--views N] [--days D] [--requests R] [--engine sqlite|postgres]`:
 * a scenario of its own (not part of `npm run bench`'s results). Fills one card with N coupons and N views
 * (defaults: 1,000,000 and 5,000,000) spread over D days (90), the days before the live ones rolled up as the
 * daily-stats job would have, then asks a real `kabao serve` process for the card's statistics of the last
 * 30 days R times (200) one after another and prints p50/p99 per engine. Figures come from the roll-ups and
 * today's live part; nothing scans all coupons.
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

const DAY = 86_400_000
const TZ = 'Asia/Shanghai'
const { values } = parseArgs({
  options: {
    coupons: { type: 'string', default: '1000000' },
    views: { type: 'string', default: '5000000' },
    days: { type: 'string', default: '90' },
    requests: { type: 'string', default: '200' },
    engine: { type: 'string' },
  },
})
const COUPONS = Number(values.coupons)
const VIEWS = Number(values.views)
const DAYS = Number(values.days)
const REQUESTS = Number(values.requests)
const secrets = createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex'))
const log = (message: string) => process.stderr.write(`bench card-stats: ${message}\n`)

/** Moves the seeded coupons' issue times back over the last `days` days (random), as a real card's would be. */
async function spreadCoupons(database: Database, days: number): Promise<void> {
  const back = database.engine === 'postgres' ? sql`floor(random() * ${days})::bigint * ${DAY}` : sql`(abs(random()) % ${days}) * ${DAY}`
  await sql`update coupons set issued_at = issued_at - ${back}`.execute(database.db)
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
      return JSON.parse(text)
    }
    const card = await call('POST', '/v1/cards', { type: 'cash', title: 'Bench', notice: 'n', reduce_cost: 2000, least_cost: 10000, stock: COUPONS + 10, validity: { type: 'fixed_term', days: 365 } })
    let t0 = Date.now()
    await seedCoupons(database.database, secrets, { merchantId: merchant.merchant_id, cardId: card.id }, { count: COUPONS, userOf: (i) => `u${i % Math.max(1, Math.floor(COUPONS / 2))}`, keepCodes: false })
    await spreadCoupons(database.database, DAYS)
    log(`${engine}: ${COUPONS} coupons in ${Date.now() - t0} ms`)
    t0 = Date.now()
    await seedViews(database.database, merchant.merchant_id, card.id, VIEWS, DAYS)
    log(`${engine}: ${VIEWS} views in ${Date.now() - t0} ms`)
    t0 = Date.now()
    await rollUp(database.database, merchant.merchant_id, DAYS)
    if (engine === 'postgres') await sql`analyze`.execute(database.database.db)
    log(`${engine}: roll-ups in ${Date.now() - t0} ms`)
    const first = await call('GET', `/v1/stats/cards/${card.id}`)
    const times: number[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const start = performance.now()
      await call('GET', `/v1/stats/cards/${card.id}`)
      times.push(performance.now() - start)
    }
    times.sort((a, b) => a - b)
    const figures = { engine, coupons: COUPONS, views: VIEWS, requests: REQUESTS, p50_ms: percentile(times, 50), p99_ms: percentile(times, 99), claims_30_days: first.claims, views_30_days: first.views, viewers_30_days: first.viewers }
    console.log(JSON.stringify(figures))
    return figures
  } finally {
    await server.stop()
    await database.drop()
  }
}

const engines: ('sqlite' | 'postgres')[] = values.engine ? [values.engine as 'sqlite' | 'postgres'] : ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])]
for (const engine of engines) await runEngine(engine)
