import { sql, type RawBuilder } from 'kysely'
import type { AppContext } from '../../app-context.ts'
import { fromJson } from '../../db/database.ts'
import type { CardTerms } from '../../domain/types.ts'
import { addCalendarDays, localDate, zonedStartOfDay, type LocalDate } from '../../domain/time.ts'

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
 * Which of the days an instant falls in, as SQL: `case when t < <start of day 2> then 0 … end`. Day
 * boundaries are the merchant's local midnights (computed here, so daylight saving is handled), which
 * lets both engines group by local day without knowing time zones.
 */
function dayIndex(column: string, starts: number[]): RawBuilder<number> {
  const whens = starts.slice(1).map((start, i) => sql`when ${sql.ref(column)} < ${sql.lit(start)} then ${sql.lit(i)}`)
  return sql<number>`case ${sql.join(whens, sql` `)} else ${sql.lit(starts.length - 1)} end`
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

  const claimDay = dayIndex('issued_at', dayStarts)
  const claimed = await db
    .selectFrom('coupons')
    .select([
      claimDay.as('day'),
      (eb) => eb.fn.countAll<number | string>().as('claims'),
      sql<number | string>`sum(case when state = 'redeemed' then 1 else 0 end)`.as('redeemed'),
    ])
    .where('merchant_id', '=', merchantId)
    .where('issued_at', '>=', from)
    .where('issued_at', '<', until)
    .groupBy(claimDay)
    .execute()

  const redemptionDay = dayIndex('redeemed_at', dayStarts)
  const redeemedRows = await db
    .selectFrom('redemptions')
    .select([redemptionDay.as('day'), (eb) => eb.fn.countAll<number | string>().as('redemptions')])
    .where('merchant_id', '=', merchantId)
    .where('redeemed_at', '>=', from)
    .where('redeemed_at', '<', until)
    .where('reversed_at', 'is', null)
    .groupBy(redemptionDay)
    .execute()

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
  const cards = await db
    .selectFrom('cards')
    .innerJoin('card_versions', (join) =>
      join.onRef('card_versions.merchant_id', '=', 'cards.merchant_id').onRef('card_versions.card_id', '=', 'cards.id').onRef('card_versions.version', '=', 'cards.version'),
    )
    .select(['cards.id', 'cards.status', 'cards.stock_remaining', 'cards.issued_count', 'card_versions.terms'])
    .where('cards.merchant_id', '=', merchantId)
    .where('cards.status', '!=', 'ended')
    .orderBy('cards.id', 'desc')
    .limit(50)
    .execute()
  if (cards.length === 0) return []
  const redeemed = await db
    .selectFrom('coupons')
    .select(['card_id', (eb) => eb.fn.countAll<number | string>().as('redeemed')])
    .where('merchant_id', '=', merchantId)
    .where('card_id', 'in', cards.map((c) => c.id))
    .where('state', '=', 'redeemed')
    .groupBy('card_id')
    .execute()
  const redeemedBy = new Map(redeemed.map((r) => [r.card_id, Number(r.redeemed)]))
  return cards.map((card) => ({
    card_id: card.id,
    title: fromJson<CardTerms>(card.terms).title,
    status: card.status,
    stock_remaining: Number(card.stock_remaining),
    issued_count: Number(card.issued_count),
    redeemed_count: redeemedBy.get(card.id) ?? 0,
  }))
}
