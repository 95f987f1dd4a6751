import type { Job } from './runner.ts'
import type { AppContext } from '../app-context.ts'
import type { Db } from '../db/database.ts'
import { addCalendarDays, localDate, zonedStartOfDay, type LocalDate } from '../domain/time.ts'
import { couponActivity, merchantsAfter, replaceDailyStats } from '../features/stats/stats.repository.ts'

const MERCHANT_BATCH = 100
/** Yesterday and the day before: a day missed (the servers were down) or changed late is caught up once. */
const DAYS_BACK = 2

export function dayKey(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`
}

/**
 * Daily statistics per merchant, card and local day (the merchant's time zone): coupons issued, redeemed,
 * reversed, expired and voided, and the net discount given. Runs once per UTC day over all processes and
 * recomputes each merchant's last complete days in one transaction per merchant, so running it again (after
 * a crash) writes the same rows.
 */
export const rollUpDailyStats: Job = {
  name: 'daily-stats',
  periodOf: (now) => new Date(now).toISOString().slice(0, 10),
  async run(ctx, now) {
    let rows = 0
    let after = ''
    for (;;) {
      const merchants = await merchantsAfter(ctx.database.db, after, MERCHANT_BATCH)
      if (merchants.length === 0) return rows
      for (const merchant of merchants) rows += await rollUpMerchant(ctx, merchant.id, merchant.timezone, now)
      after = merchants[merchants.length - 1].id
    }
  },
}

async function rollUpMerchant(ctx: AppContext, merchantId: string, tz: string, now: number): Promise<number> {
  const today = localDate(now, tz)
  const days = Array.from({ length: DAYS_BACK }, (_, i) => addCalendarDays(today, -1 - i))
  return ctx.database.db.transaction().execute(async (tx) => {
    let written = 0
    for (const day of days) {
      const next = addCalendarDays(day, 1)
      const range = { start: zonedStartOfDay(day.year, day.month, day.day, tz), end: zonedStartOfDay(next.year, next.month, next.day, tz) }
      const stats = await countDay(tx, merchantId, range)
      await replaceDailyStats(
        tx,
        merchantId,
        dayKey(day),
        stats.map((s) => ({ merchant_id: merchantId, day: dayKey(day), ...s, updated_at: now })),
      )
      written += stats.length
    }
    return written
  })
}

interface CardDay {
  card_id: string
  issued: number
  redeemed: number
  reversed: number
  expired: number
  voided: number
  discount_amount: number
}

/** One local day's counts per card; `redeemed` and `reversed` are what happened that day, the discount is net of reversals. */
async function countDay(tx: Db, merchantId: string, { start, end }: { start: number; end: number }): Promise<CardDay[]> {
  const byCard = new Map<string, CardDay>()
  const add = (cardId: string, field: keyof Omit<CardDay, 'card_id'>, n: number | string | bigint | null) => {
    let row = byCard.get(cardId)
    if (!row) byCard.set(cardId, (row = { card_id: cardId, issued: 0, redeemed: 0, reversed: 0, expired: 0, voided: 0, discount_amount: 0 }))
    row[field] += Number(n ?? 0)
  }
  const activity = await couponActivity(tx, merchantId, { start, end })
  for (const row of activity.issued) add(row.card_id, 'issued', row.n)
  for (const row of activity.voided) add(row.card_id, 'voided', row.n)
  for (const row of activity.expired) add(row.card_id, 'expired', row.n)
  for (const row of activity.redeemed) {
    add(row.card_id, 'redeemed', row.n)
    add(row.card_id, 'discount_amount', row.discount)
  }
  for (const row of activity.reversed) {
    add(row.card_id, 'reversed', row.n)
    add(row.card_id, 'discount_amount', -Number(row.discount ?? 0))
  }
  return [...byCard.values()].sort((a, b) => (a.card_id < b.card_id ? -1 : 1))
}
