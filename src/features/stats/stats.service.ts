import type { AppContext } from '../../app-context.ts'
import { fromJson, type Db } from '../../db/database.ts'
import { cardRates, dayBounds, dayKey, daysBetween, parseDayKey, ratio } from '../../domain/analytics.ts'
import type { CardTerms } from '../../domain/types.ts'
import { addCalendarDays, localDate, zonedStartOfDay, type LocalDate } from '../../domain/time.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { cardExists } from '../cards/cards.repository.ts'
import type { CouponSource } from '../coupons/coupons.table.ts'
import type { DayCounts } from './stats.table.ts'
import { distinctViewers, viewsPerDay } from '../tracking/tracking.repository.ts'
import { countShares } from '../sharing/sharing.repository.ts'
import {
  cardChannelStats,
  cardTagActivity,
  cardsStillIssuing,
  claimsPerDay,
  couponActivity,
  distinctClaimersAndRedeemers,
  redeemedCouponsByCard,
  redemptionsPerDay,
} from './stats.repository.ts'

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

  const daily: DayStats[] = dates.slice(0, days).map((d) => ({ date: dayKey(d), claims: 0, redemptions: 0, redeemed: 0, redemption_rate: null }))
  for (const row of claimed) {
    const day = daily[Number(row.day)]
    day.claims = Number(row.claims)
    day.redeemed = Number(row.redeemed ?? 0)
    day.redemption_rate = ratio(day.redeemed, day.claims)
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
    totals: { ...totals, redemption_rate: ratio(totals.redeemed, totals.claims) },
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

/** Yesterday and the day before: the `daily-stats` job may still (re)write them, so they are counted live. */
export const DAILY_STATS_DAYS_BACK = 2

/** One local day of a card through one issue channel. */
export interface ChannelDay extends DayCounts {
  card_id: string
  channel: CouponSource
  /** Order amounts net of the day's reversals, integer fen (so is discount_amount). */
  order_amount: number
}

const FIGURES = ['issued', 'redeemed', 'reversed', 'expired', 'voided', 'discount_amount', 'order_amount'] as const

/** What happened in [start, end) per card (or of one card) and issue channel, in card and channel order. */
export async function activityOfDay(db: Db, merchantId: string, range: { start: number; end: number }, cardId?: string): Promise<ChannelDay[]> {
  const rows = new Map<string, ChannelDay>()
  const add = (row: { card_id: string; channel: CouponSource }, field: (typeof FIGURES)[number], n: number | string | bigint | null) => {
    const key = `${row.card_id} ${row.channel}`
    let day = rows.get(key)
    if (!day) rows.set(key, (day = { card_id: row.card_id, channel: row.channel, issued: 0, redeemed: 0, reversed: 0, expired: 0, voided: 0, discount_amount: 0, order_amount: 0 }))
    day[field] += Number(n ?? 0)
  }
  const activity = await couponActivity(db, merchantId, range, cardId)
  for (const row of activity.issued) add(row, 'issued', row.n)
  for (const row of activity.voided) add(row, 'voided', row.n)
  for (const row of activity.expired) add(row, 'expired', row.n)
  for (const row of activity.redeemed) {
    add(row, 'redeemed', row.n)
    add(row, 'discount_amount', row.discount)
    add(row, 'order_amount', row.order_amount)
  }
  for (const row of activity.reversed) {
    add(row, 'reversed', row.n)
    add(row, 'discount_amount', -Number(row.discount ?? 0))
    add(row, 'order_amount', -Number(row.order_amount ?? 0))
  }
  return [...rows.values()].sort((a, b) => (a.card_id === b.card_id ? (a.channel < b.channel ? -1 : 1) : a.card_id < b.card_id ? -1 : 1))
}

/** At most a year and a day per question, so one answer stays small. */
const MAX_RANGE_DAYS = 366

export interface DayRange {
  from?: string
  to?: string
}

/** The local days asked for: `to` defaults to today, `from` to 29 days before `to`. */
function daysAsked(today: LocalDate, range: DayRange): LocalDate[] {
  const to = range.to === undefined ? today : parseDayKey(range.to)
  const from = range.from === undefined ? to && addCalendarDays(to, -29) : parseDayKey(range.from)
  const bad = [...(from === null ? ['from'] : []), ...(to === null ? ['to'] : [])]
  if (bad.length > 0) throw validationFailed(bad.map((field) => ({ field, code: 'invalid_date', message: 'Not a calendar date (YYYY-MM-DD).' })))
  const days = daysBetween(from as LocalDate, to as LocalDate)
  if (days.length === 0) throw validationFailed([{ field: 'from', code: 'after_to', message: '`from` must not be after `to`.' }])
  if (days.length > MAX_RANGE_DAYS) throw validationFailed([{ field: 'from', code: 'range_too_long', message: `At most ${MAX_RANGE_DAYS} days at once.` }])
  return days
}

async function mustBeCard(ctx: AppContext, merchantId: string, cardId: string): Promise<void> {
  if (!(await cardExists(ctx.database.db, merchantId, cardId))) throw new AppError('card_not_found', 'There is no card with this id.')
}

/** A card's channel days over `days`: complete days from the job's roll-ups, the last ones (and today) live. */
async function cardChannelDays(ctx: AppContext, merchantId: string, tz: string, cardId: string, days: LocalDate[]) {
  const { db } = ctx.database
  const today = dayKey(localDate(ctx.clock.now(), tz))
  const liveFrom = dayKey(addCalendarDays(localDate(ctx.clock.now(), tz), -DAILY_STATS_DAYS_BACK))
  const keys = days.map(dayKey)
  const rolledUp = keys[0] < liveFrom ? await cardChannelStats(db, merchantId, cardId, keys[0], keys.filter((k) => k < liveFrom).at(-1) as string) : []
  const live: (ChannelDay & { day: string })[] = []
  for (const day of days) {
    const key = dayKey(day)
    if (key < liveFrom || key > today) continue
    for (const row of await activityOfDay(db, merchantId, dayBounds(day, tz), cardId)) live.push({ ...row, day: key })
  }
  return [...rolledUp, ...live]
}

/** A card's figures over local days, per day and per issue channel, with the contract's rates. */
export async function cardStats(ctx: AppContext, merchantId: string, tz: string, cardId: string, range: DayRange) {
  await mustBeCard(ctx, merchantId, cardId)
  const { db } = ctx.database
  const days = daysAsked(localDate(ctx.clock.now(), tz), range)
  const [fromKey, toKey] = [dayKey(days[0]), dayKey(days[days.length - 1])]
  const channelDays = await cardChannelDays(ctx, merchantId, tz, cardId, days)
  const views = new Map((await viewsPerDay(db, merchantId, cardId, fromKey, toKey)).map((v) => [v.day, v]))

  const byDay = days.map((d) => {
    const date = dayKey(d)
    const rows = channelDays.filter((r) => r.day === date)
    const sum = (field: (typeof FIGURES)[number]) => rows.reduce((total, r) => total + r[field], 0)
    return {
      date,
      views: views.get(date)?.views ?? 0,
      viewers: views.get(date)?.viewers ?? 0,
      claims: sum('issued') - sum('voided'),
      redemptions: sum('redeemed') - sum('reversed'),
      expired: sum('expired'),
      discount_amount: sum('discount_amount'),
      order_amount: sum('order_amount'),
    }
  })
  const channels = new Map<CouponSource, { channel: CouponSource; claims: number; redemptions: number; discount_amount: number; order_amount: number }>()
  for (const row of channelDays) {
    let channel = channels.get(row.channel)
    if (!channel) channels.set(row.channel, (channel = { channel: row.channel, claims: 0, redemptions: 0, discount_amount: 0, order_amount: 0 }))
    channel.claims += row.issued - row.voided
    channel.redemptions += row.redeemed - row.reversed
    channel.discount_amount += row.discount_amount
    channel.order_amount += row.order_amount
  }
  const byChannel = [...channels.values()]
    .sort((a, b) => b.claims - a.claims || (a.channel < b.channel ? -1 : 1))
    .map((c) => ({ ...c, redemption_rate: ratio(Math.max(0, c.redemptions), Math.max(0, c.claims)) }))

  const total = (field: Exclude<keyof (typeof byDay)[number], 'date'>) => byDay.reduce((sum, d) => sum + d[field], 0)
  const people = await peopleOf(ctx, merchantId, tz, cardId, days)
  const span = { from: dayBounds(days[0], tz).start, until: dayBounds(days[days.length - 1], tz).end }
  const sharing = await countShares(db, merchantId, cardId, span.from, span.until)
  const figures = {
    views: total('views'),
    viewers: people.viewers,
    claims: total('claims'),
    claimers: people.claimers,
    shares: sharing.shares,
    sharers: sharing.sharers,
    // Gifts are not built yet.
    gifts: 0,
    redemptions: total('redemptions'),
    redeemers: people.redeemers,
    expired: total('expired'),
    discount_amount: total('discount_amount'),
    order_amount: total('order_amount'),
  }
  return { card_id: cardId, timezone: tz, from: fromKey, to: toKey, ...figures, ...cardRates(figures), by_day: byDay, by_channel: byChannel, by_campaign: await byCampaign(db, merchantId, cardId, span) }
}

/** A card's figures per channel and campaign tag (the merchant's own, kept on each coupon), most claims first. */
async function byCampaign(db: Db, merchantId: string, cardId: string, range: { from: number; until: number }) {
  const { claims, redemptions } = await cardTagActivity(db, merchantId, cardId, range.from, range.until)
  const groups = new Map<string, { channel: string | null; campaign: string | null; claims: number; redemptions: number; discount_amount: number; order_amount: number }>()
  const group = (row: { channel_tag?: string | null; campaign?: string | null }) => {
    const channel = row.channel_tag ?? null
    const campaign = row.campaign ?? null
    const key = JSON.stringify([channel, campaign])
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { channel, campaign, claims: 0, redemptions: 0, discount_amount: 0, order_amount: 0 }))
    return g
  }
  for (const row of claims) group(row).claims += Number(row.n)
  for (const row of redemptions) {
    const g = group(row)
    g.redemptions += Number(row.n)
    g.discount_amount += Number(row.discount ?? 0)
    g.order_amount += Number(row.order_amount ?? 0)
  }
  const name = (v: string | null) => v ?? ''
  return [...groups.values()]
    .sort((a, b) => b.claims - a.claims || name(a.channel).localeCompare(name(b.channel)) || name(a.campaign).localeCompare(name(b.campaign)))
    .map((g) => ({ ...g, redemption_rate: ratio(g.redemptions, g.claims) }))
}

/** Distinct viewers, claimers and redeemers over the days, of one card or of all the merchant's cards. */
async function peopleOf(ctx: AppContext, merchantId: string, tz: string, cardId: string | undefined, days: LocalDate[]) {
  const { db } = ctx.database
  const from = dayBounds(days[0], tz).start
  const until = dayBounds(days[days.length - 1], tz).end
  const viewers = await distinctViewers(db, merchantId, cardId, dayKey(days[0]), dayKey(days[days.length - 1]))
  return { viewers, ...(await distinctClaimersAndRedeemers(db, merchantId, cardId, from, until)) }
}

/** The exposure → claim → redemption funnel: distinct people at each step, of one card or of all. */
export async function funnel(ctx: AppContext, merchantId: string, tz: string, cardId: string | undefined, range: DayRange) {
  if (cardId !== undefined) await mustBeCard(ctx, merchantId, cardId)
  const days = daysAsked(localDate(ctx.clock.now(), tz), range)
  const people = await peopleOf(ctx, merchantId, tz, cardId, days)
  return {
    card_id: cardId ?? null,
    from: dayKey(days[0]),
    to: dayKey(days[days.length - 1]),
    steps: [
      { name: 'view' as const, users: people.viewers },
      { name: 'claim' as const, users: people.claimers },
      { name: 'redeem' as const, users: people.redeemers },
    ],
  }
}
