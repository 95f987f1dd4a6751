import type { Job } from './runner.ts'
import type { AppContext } from '../app-context.ts'
import { dayBounds, dayKey } from '../domain/analytics.ts'
import { addCalendarDays, localDate } from '../domain/time.ts'
import { merchantsAfter, replaceDailyChannelStats, replaceDailyStats } from '../features/stats/stats.repository.ts'
import { activityOfDay, DAILY_STATS_DAYS_BACK, type ChannelDay } from '../features/stats/stats.service.ts'

const MERCHANT_BATCH = 100

/**
 * Daily statistics per merchant, card, issue channel and local day (the merchant's time zone): coupons
 * issued, redeemed, reversed, expired and voided, the net discount given and the net order amount. Runs once per UTC day over all processes and
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
  const days = Array.from({ length: DAILY_STATS_DAYS_BACK }, (_, i) => addCalendarDays(today, -1 - i))
  return ctx.database.db.transaction().execute(async (tx) => {
    let written = 0
    for (const day of days) {
      const key = dayKey(day)
      const byChannel = await activityOfDay(tx, merchantId, dayBounds(day, tz))
      await replaceDailyChannelStats(tx, merchantId, key, byChannel.map((s) => ({ merchant_id: merchantId, day: key, ...s, updated_at: now })))
      const byCard = sumByCard(byChannel)
      await replaceDailyStats(tx, merchantId, key, byCard.map((s) => ({ merchant_id: merchantId, day: key, ...s, updated_at: now })))
      written += byCard.length
    }
    return written
  })
}

/** The channels' figures added up per card, in card order (daily_stats has no order amount). */
function sumByCard(rows: ChannelDay[]) {
  const byCard = new Map<string, Omit<ChannelDay, 'channel' | 'order_amount'>>()
  for (const { channel: _channel, order_amount: _order, ...row } of rows) {
    const sum = byCard.get(row.card_id)
    if (!sum) byCard.set(row.card_id, { ...row })
    else for (const field of ['issued', 'redeemed', 'reversed', 'expired', 'voided', 'discount_amount'] as const) sum[field] += row[field]
  }
  return [...byCard.values()].sort((a, b) => (a.card_id < b.card_id ? -1 : 1))
}
