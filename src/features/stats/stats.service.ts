import type { AppContext } from '../../app-context.ts'
import { fromJson } from '../../db/database.ts'
import type { CardTerms } from '../../domain/types.ts'
import { addCalendarDays, localDate, zonedStartOfDay, type LocalDate } from '../../domain/time.ts'
import { cardsStillIssuing, claimsPerDay, redeemedCouponsByCard, redemptionsPerDay } from './stats.repository.ts'

export interface DayStats {
  date: string
  /** Coupons claimed (issued) that day. */
  claims: number
  /** Redemptions made that day and not reversed. */
  redemptions: number
  /** Of the coupons claimed that day, how many are redeemed now. */
  redeemed: number
  /** redeemed ÷ claims, null without claims. */
  redemption_rate: number | null
}

function isoDate(d: LocalDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`
}

function rate(redeemed: number, claims: number): number | null {
  return claims === 0 ? null : Math.round((redeemed / claims) * 10_000) / 10_000
}

/**
 * Claims, redemptions and the redemption rate per local day for the last `days` days (today last),
 * and the stock left of each card still issuing.
 */
export async function overviewStats(ctx: AppContext, merchantId: string, tz: string, days: number) {
  const { db } = ctx.database
  const today = localDate(ctx.clock.now(), tz)
  const dates = Array.from({ length: days + 1 }, (_, i) => addCalendarDays(today, i - days + 1))
  const starts = dates.map((d) => zonedStartOfDay(d.year, d.month, d.day, tz))
  const from = starts[0]
  const until = starts[days]
  const dayStarts = starts.slice(0, days)

  const claimed = await claimsPerDay(db, merchantId, dayStarts, from, until)
  const redeemedRows = await redemptionsPerDay(db, merchantId, dayStarts, from, until)

  const daily: DayStats[] = dates.slice(0, days).map((d) => ({ date: isoDate(d), claims: 0, redemptions: 0, redeemed: 0, redemption_rate: null }))
  for (const row of claimed) {
    const day = daily[Number(row.day)]
    day.claims = Number(row.claims)
    day.redeemed = Number(row.redeemed ?? 0)
    day.redemption_rate = rate(day.redeemed, day.claims)
  }
  for (const row of redeemedRows) daily[Number(row.day)].redemptions = Number(row.redemptions)

  const sum = (key: 'claims' | 'redemptions' | 'redeemed') => daily.reduce((total, d) => total + d[key], 0)
  const totals = { claims: sum('claims'), redemptions: sum('redemptions'), redeemed: sum('redeemed') }

  return {
    timezone: tz,
    days,
    from: daily[0].date,
    to: daily[days - 1].date,
    today: daily[days - 1],
    totals: { ...totals, redemption_rate: rate(totals.redeemed, totals.claims) },
    daily,
    cards: await stockByCard(ctx, merchantId),
  }
}

/** Cards still issuing (not ended), newest first: what is left to hand out and how much was used. */
async function stockByCard(ctx: AppContext, merchantId: string) {
  const { db } = ctx.database
  const cards = await cardsStillIssuing(db, merchantId, 50)
  if (cards.length === 0) return []
  const redeemedBy = await redeemedCouponsByCard(
    db,
    merchantId,
    cards.map((c) => c.id),
  )
  return cards.map((card) => ({
    card_id: card.id,
    title: fromJson<CardTerms>(card.terms).title,
    status: card.status,
    stock_remaining: Number(card.stock_remaining),
    issued_count: Number(card.issued_count),
    redeemed_count: redeemedBy.get(card.id) ?? 0,
  }))
}
