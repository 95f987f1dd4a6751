import type { AppContext } from '../../app-context.ts'
import { fromJson, type Db } from '../../db/database.ts'
import { cardRates, dayBounds, dayKey, daysAskedOrErrors, ratio, type DayRange } from '../../domain/analytics.ts'
import type { CardTerms } from '../../domain/types.ts'
import { addCalendarDays, localDate, type LocalDate } from '../../domain/time.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { cardExists } from '../cards/cards.repository.ts'
import type { CouponSource } from '../coupons/coupons.table.ts'
import type { CardActivityDaysTable, DayCounts } from './stats.table.ts'
import { viewsPerDay } from '../tracking/tracking.repository.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import type { RedemptionRow } from '../redemptions/redemptions.repository.ts'
import { ALL_CARDS, type ReachChange } from '../../domain/reach.ts'
import {
  addActivity,
  addActivityRow,
  addPersonDayOfCard,
  addPersonDays,
  addPersonDaysOfCards,
  addPersonDaysOnly,
  addReach,
  type ActivityKey,
  type ReachKey,
  cardActivity,
  cardChannelStats,
  cardReach,
  expiredPerDay,
  cardsStillIssuing,
  couponActivity,
  addClaimDayRedeemed,
  addShareDay,
  cardShares,
  merchantDays,
  merchantReach,
  redeemedCouponsByCard,
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
 * Claims, redemptions and the redemption rate per local day for the last `days` days (today last), from
 * the counters (merchantDays), and the stock left of each card still issuing.
 */
export async function overviewStats(ctx: AppContext, merchantId: string, tz: string, days: number) {
  const { db } = ctx.database
  const today = localDate(ctx.clock.now(), tz)
  const dates = Array.from({ length: days }, (_, i) => addCalendarDays(today, i - days + 1))
  const counted = await merchantDays(db, merchantId, dayKey(dates[0]), dayKey(today))

  const daily: DayStats[] = dates.map((d) => {
    const day = counted.get(dayKey(d)) ?? { claims: 0, redemptions: 0, redeemed: 0 }
    return { date: dayKey(d), claims: day.claims, redemptions: day.redemptions, redeemed: day.redeemed, redemption_rate: ratio(day.redeemed, day.claims) }
  })

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

export type { DayRange }

/** The local days asked for (domain/analytics.ts daysAskedOrErrors); a bad range is a validation problem. */
export function daysAsked(today: LocalDate, range: DayRange): LocalDate[] {
  const asked = daysAskedOrErrors(today, range)
  if (asked.errors !== null) throw validationFailed(asked.errors)
  return asked.days
}

async function mustBeCard(ctx: AppContext, merchantId: string, cardId: string): Promise<void> {
  if (!(await cardExists(ctx.database.db, merchantId, cardId))) throw new AppError('card_not_found', 'There is no card with this id.')
}

/**
 * A card's channel days over `days`, from the live counters (card_activity_days); expiries, which no event
 * of a customer or clerk marks, from the job's roll-ups for complete days and counted live for the last ones.
 */
async function cardChannelDays(ctx: AppContext, merchantId: string, tz: string, cardId: string, days: LocalDate[]) {
  const { db } = ctx.database
  const now = localDate(ctx.clock.now(), tz)
  const liveFrom = dayKey(addCalendarDays(now, -DAILY_STATS_DAYS_BACK))
  const keys = days.map(dayKey)
  const rows = new Map<string, ChannelDay & { day: string }>()
  const row = (day: string, channel: CouponSource) => {
    const k = `${day} ${channel}`
    let r = rows.get(k)
    if (!r) rows.set(k, (r = { day, card_id: cardId, channel, issued: 0, redeemed: 0, reversed: 0, expired: 0, voided: 0, discount_amount: 0, order_amount: 0 }))
    return r
  }
  const activity = await cardActivity(db, merchantId, cardId, keys[0], keys[keys.length - 1])
  const gifts = new Map<string, number>()
  for (const a of activity) {
    const r = row(a.day, a.channel)
    for (const field of ['issued', 'redeemed', 'reversed', 'voided', 'discount_amount', 'order_amount'] as const) r[field] += a[field]
    if (a.gifted !== 0) gifts.set(a.day, (gifts.get(a.day) ?? 0) + a.gifted)
  }
  const rolledUp = keys[0] < liveFrom ? await cardChannelStats(db, merchantId, cardId, keys[0], keys.filter((k) => k < liveFrom).at(-1) as string) : []
  for (const r of rolledUp) if (r.expired !== 0) row(r.day, r.channel).expired += r.expired
  const live = days.filter((d) => dayKey(d) >= liveFrom)
  if (live.length > 0) {
    const starts = live.map((d) => dayBounds(d, tz).start)
    const until = dayBounds(live[live.length - 1], tz).end
    for (const e of await expiredPerDay(db, merchantId, cardId, starts, until)) row(dayKey(live[e.day]), e.channel).expired += e.n
  }
  return { channelDays: [...rows.values()], activity, gifts }
}

/** A card's figures over local days, per day and per issue channel, with the contract's rates. */
export async function cardStats(ctx: AppContext, merchantId: string, tz: string, cardId: string, range: DayRange) {
  await mustBeCard(ctx, merchantId, cardId)
  const { db } = ctx.database
  const days = daysAsked(localDate(ctx.clock.now(), tz), range)
  const [fromKey, toKey] = [dayKey(days[0]), dayKey(days[days.length - 1])]
  // Each read is one index range of the card's counters; on PostgreSQL they go to the pool at once.
  const [{ channelDays, activity, gifts }, viewDays, people, shares] = await Promise.all([
    cardChannelDays(ctx, merchantId, tz, cardId, days),
    viewsPerDay(db, merchantId, cardId, fromKey, toKey),
    cardPeople(ctx, merchantId, cardId, days),
    cardShares(db, merchantId, cardId, fromKey, toKey),
  ])
  const views = new Map(viewDays.map((v) => [v.day, v]))

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
      gifts: gifts.get(date) ?? 0,
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
  const figures = {
    views: total('views'),
    viewers: people.viewers,
    claims: total('claims'),
    claimers: people.claimers,
    shares,
    sharers: people.sharers,
    gifts: total('gifts'),
    redemptions: total('redemptions'),
    redeemers: people.redeemers,
    expired: total('expired'),
    discount_amount: total('discount_amount'),
    order_amount: total('order_amount'),
  }
  return { card_id: cardId, timezone: tz, from: fromKey, to: toKey, ...figures, ...cardRates(figures), by_day: byDay, by_channel: byChannel, by_campaign: byCampaign(activity) }
}

/**
 * A card's figures per channel and campaign tag (the merchant's own, kept on each coupon), most claims
 * first: the coupons claimed in the range and not voided, the redemptions made in it and not reversed.
 */
function byCampaign(activity: CardActivityDaysTable[]) {
  const groups = new Map<string, { channel: string | null; campaign: string | null; claims: number; redemptions: number; discount_amount: number; order_amount: number }>()
  for (const row of activity) {
    const channel = row.channel_tag === '' ? null : row.channel_tag
    const campaign = row.campaign === '' ? null : row.campaign
    const key = JSON.stringify([channel, campaign])
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { channel, campaign, claims: 0, redemptions: 0, discount_amount: 0, order_amount: 0 }))
    g.claims += row.claims_kept
    g.redemptions += row.redemptions_kept
    g.discount_amount += row.discount_kept
    g.order_amount += row.order_kept
  }
  const name = (v: string | null) => v ?? ''
  return [...groups.values()]
    .filter((g) => g.claims > 0 || g.redemptions > 0)
    .sort((a, b) => b.claims - a.claims || name(a.channel).localeCompare(name(b.channel)) || name(a.campaign).localeCompare(name(b.campaign)))
    .map((g) => ({ ...g, redemption_rate: ratio(g.redemptions, g.claims) }))
}

/** Distinct viewers, claimers, redeemers and sharers of a card over the days, from its counters. */
async function cardPeople(ctx: AppContext, merchantId: string, cardId: string, days: LocalDate[]) {
  const reach = await cardReach(ctx.database.db, merchantId, cardId, dayKey(days[0]), dayKey(days[days.length - 1]))
  return { viewers: reach.view, claimers: reach.claim, redeemers: reach.redeem, sharers: reach.share }
}

/** Distinct viewers, claimers and redeemers over the days across all the merchant's cards, from the merchant's counters. */
async function merchantPeople(ctx: AppContext, merchantId: string, days: LocalDate[]) {
  const reach = await merchantReach(ctx.database.db, merchantId, dayKey(days[0]), dayKey(days[days.length - 1]))
  return { viewers: reach.view, claimers: reach.claim, redeemers: reach.redeem }
}

/** The exposure → claim → redemption funnel: distinct people at each step, of one card or of all. */
export async function funnel(ctx: AppContext, merchantId: string, tz: string, cardId: string | undefined, range: DayRange) {
  if (cardId !== undefined) await mustBeCard(ctx, merchantId, cardId)
  const days = daysAsked(localDate(ctx.clock.now(), tz), range)
  const people = cardId === undefined ? await merchantPeople(ctx, merchantId, days) : await cardPeople(ctx, merchantId, cardId, days)
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

// ---- Counting events as they happen (in the event's own transaction) ------------------------------------

/** What of a coupon its events are counted by. */
export type CouponFacts = Pick<CouponRow, 'merchant_id' | 'card_id' | 'user_id' | 'source' | 'channel_tag' | 'campaign' | 'issued_at'>

const localDay = (instant: number, tz: string) => dayKey(localDate(instant, tz))

function activityKey(coupon: CouponFacts, day: string): ActivityKey {
  return { merchant_id: coupon.merchant_id, card_id: coupon.card_id, day, channel: coupon.source, channel_tag: coupon.channel_tag ?? '', campaign: coupon.campaign ?? '' }
}

/** The local day an issue at `instant` counts in. */
export function issueDay(instant: number, tz: string): string {
  return localDay(instant, tz)
}

/** What one issue adds to the roll-ups once its person-day row is written (see countIssueExceptShared). */
export interface IssueCounts {
  /** The card_activity_days row it counts in, and what it adds there. */
  activity: { key: ActivityKey; changes: { issued: number; claims_kept: number } }
  /** The card_reach counter changes, of the merchant's (ALL_CARDS) and of the card (none when the user had already claimed that day). */
  reach: { key: ReachKey; changes: ReachChange[] }[]
}

/**
 * One coupon just issued, counted as countIssued counts it, except the rows every issue of the card that
 * day shares (its card_activity_days row and card_reach counters), which are returned for the caller to
 * write: with the card's stock, so that parallel issues queue on those rows for one statement only.
 */
export async function countIssueExceptShared(tx: Db, coupon: CouponFacts, tz: string): Promise<IssueCounts> {
  const day = localDay(coupon.issued_at, tz)
  const key = { merchant_id: coupon.merchant_id, card_id: coupon.card_id, action: 'claim' as const, day }
  const person: [string, number][] = [[coupon.user_id, 1]]
  // As addPersonDays: the merchant's rows first, then the card's.
  const merchantWide = await addPersonDaysOnly(tx, { ...key, card_id: ALL_CARDS }, person, new Map(person))
  const changes = await addPersonDaysOnly(tx, key, person, new Map(person))
  return {
    activity: { key: activityKey(coupon, day), changes: { issued: 1, claims_kept: 1 } },
    reach: [
      { key: { merchant_id: coupon.merchant_id, card_id: ALL_CARDS, action: 'claim' }, changes: merchantWide },
      { key: { merchant_id: coupon.merchant_id, card_id: coupon.card_id, action: 'claim' }, changes },
    ],
  }
}

/** Writes what countIssueExceptShared returned (where one statement cannot, as on SQLite). */
export async function writeIssueCounts(tx: Db, counts: IssueCounts): Promise<void> {
  for (const { key, changes } of counts.reach) await addReach(tx, key, changes)
  await addActivity(tx, [counts.activity])
}

/** Coupons just issued (one, or a bulk batch), counted in their day of issue: claims and claimers. */
export async function countIssued(tx: Db, coupons: CouponFacts[], tz: string): Promise<void> {
  const activity = new Map<string, { key: ActivityKey; changes: { issued: number; claims_kept: number } }>()
  // Per day: each card's claimers, and the merchant's (ALL_CARDS) across the cards.
  const people = new Map<string, { key: { merchant_id: string; day: string }; cards: Map<string, Map<string, number>> }>()
  for (const coupon of coupons) {
    const day = localDay(coupon.issued_at, tz)
    const key = activityKey(coupon, day)
    const k = JSON.stringify(Object.values(key))
    const row = activity.get(k) ?? { key, changes: { issued: 0, claims_kept: 0 } }
    activity.set(k, row)
    row.changes.issued++
    row.changes.claims_kept++
    const pk = `${coupon.merchant_id}|${day}`
    const group = people.get(pk) ?? { key: { merchant_id: coupon.merchant_id, day }, cards: new Map([[ALL_CARDS, new Map()]]) }
    people.set(pk, group)
    for (const cardId of [ALL_CARDS, coupon.card_id]) {
      const deltas = group.cards.get(cardId) ?? group.cards.set(cardId, new Map()).get(cardId)!
      deltas.set(coupon.user_id, (deltas.get(coupon.user_id) ?? 0) + 1)
    }
  }
  // All the day's person rows in one statement, the merchant's first (as addPersonDays).
  for (const { key, cards } of people.values()) {
    await addPersonDaysOfCards(tx, { ...key, action: 'claim' }, [...cards].map(([card_id, deltas]) => ({ card_id, deltas })))
  }
  await addActivity(tx, [...activity.values()])
}

/** A coupon just voided: a void on the day it happened, and one claim and claimer less on its day of issue. */
export async function countVoided(tx: Db, coupon: CouponFacts, tz: string, now: number): Promise<void> {
  const issuedDay = localDay(coupon.issued_at, tz)
  const voidDay = localDay(now, tz)
  await addPersonDays(tx, { merchant_id: coupon.merchant_id, card_id: coupon.card_id, action: 'claim', day: issuedDay }, new Map([[coupon.user_id, -1]]))
  const rows = voidDay === issuedDay
    ? [{ key: activityKey(coupon, voidDay), changes: { voided: 1, claims_kept: -1 } }]
    : [{ key: activityKey(coupon, issuedDay), changes: { claims_kept: -1 } }, { key: activityKey(coupon, voidDay), changes: { voided: 1 } }]
  await addActivity(tx, rows)
}

/** A gift of the coupon just accepted: one gift on the day of acceptance, in the row of the giver's coupon. */
export async function countGifted(tx: Db, coupon: CouponFacts, tz: string, now: number): Promise<void> {
  await addActivity(tx, [{ key: activityKey(coupon, localDay(now, tz)), changes: { gifted: 1 } }])
}

/** The day a redemption counts in, and the figures it adds there (one upsert; the at-once write does the same in its statement). */
export function redemptionCounts(coupon: CouponFacts, r: Pick<RedemptionRow, 'redeemed_at' | 'discount_amount' | 'order_amount'>, tz: string) {
  const day = localDay(r.redeemed_at, tz)
  const order = r.order_amount ?? 0
  return {
    day,
    /** The coupon's day of issue: one more of that day's claims is redeemed now. */
    issuedDay: localDay(coupon.issued_at, tz),
    key: activityKey(coupon, day),
    changes: { redeemed: 1, redemptions_kept: 1, discount_amount: r.discount_amount, order_amount: order, discount_kept: r.discount_amount, order_kept: order },
  }
}

/** A redemption just written (where the write was not one statement that counted it itself): redemptions and redeemers. */
export async function countRedeemed(tx: Db, coupon: CouponFacts, r: Pick<RedemptionRow, 'redeemed_at' | 'discount_amount' | 'order_amount'>, tz: string): Promise<void> {
  const { day, key, changes, issuedDay } = redemptionCounts(coupon, r, tz)
  await addClaimDayRedeemed(tx, coupon.merchant_id, issuedDay, 1)
  await addPersonDayOfCard(tx, { merchant_id: coupon.merchant_id, card_id: coupon.card_id, action: 'redeem', day }, coupon.user_id, 1)
  await addActivityRow(tx, key, changes)
}

/** A redemption just reversed: a reversal on its day, and one redemption and redeemer less on the day of the redemption. */
export async function countReversed(tx: Db, coupon: CouponFacts, r: Pick<RedemptionRow, 'redeemed_at' | 'discount_amount' | 'order_amount'>, tz: string, now: number): Promise<void> {
  const redeemedDay = localDay(r.redeemed_at, tz)
  const reversedDay = localDay(now, tz)
  // In the order a redemption's statement takes these rows on PostgreSQL (redemptions.repository REDEEM_AT_ONCE:
  // its parts run last to first): the claim day, the people, then the card's day.
  await addClaimDayRedeemed(tx, coupon.merchant_id, localDay(coupon.issued_at, tz), -1)
  await addPersonDays(tx, { merchant_id: coupon.merchant_id, card_id: coupon.card_id, action: 'redeem', day: redeemedDay }, new Map([[coupon.user_id, -1]]))
  const order = r.order_amount ?? 0
  const kept = { redemptions_kept: -1, discount_kept: -r.discount_amount, order_kept: -order }
  const reversal = { reversed: 1, discount_amount: -r.discount_amount, order_amount: -order }
  const rows = reversedDay === redeemedDay
    ? [{ key: activityKey(coupon, redeemedDay), changes: { ...kept, ...reversal } }]
    : [{ key: activityKey(coupon, redeemedDay), changes: kept }, { key: activityKey(coupon, reversedDay), changes: reversal }]
  await addActivity(tx, rows)
}

/** A share just recorded: a share of the card on its day, and the sharer among the card's sharers of that day. */
export async function countShare(tx: Db, share: { merchantId: string; cardId: string; userId: string }, tz: string, now: number): Promise<void> {
  const key = { merchant_id: share.merchantId, card_id: share.cardId, day: localDay(now, tz) }
  await addShareDay(tx, key)
  await addPersonDays(tx, { ...key, action: 'share' }, new Map([[share.userId, 1]]))
}
