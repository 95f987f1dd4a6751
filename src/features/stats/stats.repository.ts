import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely'
import type { Db } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'
import type { CouponSource } from '../coupons/coupons.table.ts'
import type { DailyChannelStatsTable, DailyStatsTable } from './stats.table.ts'

export type DailyStatsRow = DailyStatsTable

/**
 * Which of the days an instant falls in, as SQL: `case when t < <start of day 2> then 0 … end`. Day
 * boundaries are the merchant's local midnights (computed by the caller, so daylight saving is handled),
 * which lets both engines group by local day without knowing time zones.
 */
function dayIndex(column: string, starts: number[]): RawBuilder<number> {
  const whens = starts.slice(1).map((start, i) => sql`when ${sql.ref(column)} < ${sql.lit(start)} then ${sql.lit(i)}`)
  return sql<number>`case ${sql.join(whens, sql` `)} else ${sql.lit(starts.length - 1)} end`
}

/** Coupons claimed per day (index into `dayStarts`) in [from, until), and how many of them are redeemed now. */
export async function claimsPerDay(db: Db, merchantId: string, dayStarts: number[], from: number, until: number) {
  const claimDay = dayIndex('issued_at', dayStarts)
  return db
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
}

/** Redemptions not reversed, per day (index into `dayStarts`) in [from, until). */
export async function redemptionsPerDay(db: Db, merchantId: string, dayStarts: number[], from: number, until: number) {
  const redemptionDay = dayIndex('redeemed_at', dayStarts)
  return db
    .selectFrom('redemptions')
    .select([redemptionDay.as('day'), (eb) => eb.fn.countAll<number | string>().as('redemptions')])
    .where('merchant_id', '=', merchantId)
    .where('redeemed_at', '>=', from)
    .where('redeemed_at', '<', until)
    .where('reversed_at', 'is', null)
    .groupBy(redemptionDay)
    .execute()
}

/** Up to `limit` cards not ended, newest first, with their current terms and stock. */
export async function cardsStillIssuing(db: Db, merchantId: string, limit: number) {
  return db
    .selectFrom('cards')
    .innerJoin('card_versions', (join) =>
      join.onRef('card_versions.merchant_id', '=', 'cards.merchant_id').onRef('card_versions.card_id', '=', 'cards.id').onRef('card_versions.version', '=', 'cards.version'),
    )
    .select(['cards.id', 'cards.status', 'cards.stock_remaining', 'cards.issued_count', 'card_versions.terms'])
    .where('cards.merchant_id', '=', merchantId)
    .where('cards.status', '!=', 'ended')
    .orderBy('cards.id', 'desc')
    .limit(limit)
    .execute()
}

/** How many coupons of each of these cards are redeemed. */
export async function redeemedCouponsByCard(db: Db, merchantId: string, cardIds: string[]): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('coupons')
    .select(['card_id', (eb) => eb.fn.countAll<number | string>().as('redeemed')])
    .where('merchant_id', '=', merchantId)
    .where('card_id', 'in', cardIds)
    .where('state', '=', 'redeemed')
    .groupBy('card_id')
    .execute()
  return new Map(rows.map((r) => [r.card_id, Number(r.redeemed)]))
}

/** A page of merchants in id order after `after`, with their time zones. */
export async function merchantsAfter(db: Db, after: string, limit: number): Promise<{ id: string; timezone: string }[]> {
  return db.selectFrom('merchants').select(['id', 'timezone']).where('id', '>', after).orderBy('id').limit(limit).execute()
}

type Count = number | string | bigint | null

/**
 * What happened to a merchant's coupons in [start, end) (of one card, when given), per card and issue
 * channel: each list is (card, channel, count[, discount, order amount]).
 */
export async function couponActivity(db: Db, merchantId: string, { start, end }: { start: number; end: number }, cardId?: string) {
  let coupons = db.selectFrom('coupons').where('merchant_id', '=', merchantId).groupBy(['card_id', 'source'])
  if (cardId !== undefined) coupons = coupons.where('card_id', '=', cardId)
  const count = <T extends keyof DB>(eb: ExpressionBuilder<DB, T>) => eb.fn.countAll<number>().as('n')
  const issued: ChannelCount[] = await coupons.select(['card_id', 'source as channel', count]).where('issued_at', '>=', start).where('issued_at', '<', end).execute()
  const voided: ChannelCount[] = await coupons.select(['card_id', 'source as channel', count]).where('voided_at', '>=', start).where('voided_at', '<', end).execute()
  // A coupon expires the second after its last valid one.
  const expired: ChannelCount[] = await coupons
    .select(['card_id', 'source as channel', count])
    .where('state', '=', 'expired')
    .where('valid_until', '>=', start - 1000)
    .where('valid_until', '<', end - 1000)
    .execute()
  // A redemption's channel is how its coupon was issued.
  let redemptions = db
    .selectFrom('redemptions as r')
    .innerJoin('coupons as c', (join) => join.onRef('c.merchant_id', '=', 'r.merchant_id').onRef('c.id', '=', 'r.coupon_id'))
    .where('r.merchant_id', '=', merchantId)
    .groupBy(['r.card_id', 'c.source'])
    .select([
      'r.card_id',
      'c.source as channel',
      (eb) => eb.fn.countAll<number>().as('n'),
      (eb) => eb.fn.sum<number>('r.discount_amount').as('discount'),
      (eb) => eb.fn.sum<number>('r.order_amount').as('order_amount'),
    ])
  if (cardId !== undefined) redemptions = redemptions.where('r.card_id', '=', cardId)
  const redeemed: ChannelAmounts[] = await redemptions.where('r.redeemed_at', '>=', start).where('r.redeemed_at', '<', end).execute()
  const reversed: ChannelAmounts[] = await redemptions.where('r.reversed_at', '>=', start).where('r.reversed_at', '<', end).execute()
  return { issued, voided, expired, redeemed, reversed }
}

interface ChannelCount {
  card_id: string
  channel: CouponSource
  n: Count
}

interface ChannelAmounts extends ChannelCount {
  discount: Count
  order_amount: Count
}

/** Writes a merchant's roll-up per card and channel of one day afresh: the day's rows are replaced by `rows`. */
export async function replaceDailyChannelStats(db: Db, merchantId: string, day: string, rows: DailyChannelStatsTable[]): Promise<void> {
  await db.deleteFrom('daily_channel_stats').where('merchant_id', '=', merchantId).where('day', '=', day).execute()
  if (rows.length > 0) await db.insertInto('daily_channel_stats').values(rows).execute()
}

/** A card's roll-ups per day and channel, for days in [fromDay, toDay]. */
export async function cardChannelStats(db: Db, merchantId: string, cardId: string, fromDay: string, toDay: string): Promise<DailyChannelStatsTable[]> {
  const rows = await db
    .selectFrom('daily_channel_stats')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .execute()
  const numeric = ['issued', 'redeemed', 'reversed', 'expired', 'voided', 'discount_amount', 'order_amount'] as const
  return rows.map((row) => ({ ...row, ...Object.fromEntries(numeric.map((k) => [k, Number(row[k])])) }))
}

/**
 * People who claimed in [from, until) and still hold a coupon that is not voided, and people whose
 * redemption in that range stands (not reversed): distinct users cannot be added up day by day, so they
 * are counted from the card's own rows in the range (indexes by card and time), or the merchant's without a card.
 */
export async function distinctClaimersAndRedeemers(db: Db, merchantId: string, cardId: string | undefined, from: number, until: number) {
  let claimers = db
    .selectFrom('coupons')
    .select(sql<number | string>`count(distinct user_id)`.as('n'))
    .where('merchant_id', '=', merchantId)
    .where('issued_at', '>=', from)
    .where('issued_at', '<', until)
    .where('state', '!=', 'voided')
  let redeemers = db
    .selectFrom('redemptions as r')
    .innerJoin('coupons as c', (join) => join.onRef('c.merchant_id', '=', 'r.merchant_id').onRef('c.id', '=', 'r.coupon_id'))
    .select(sql<number | string>`count(distinct c.user_id)`.as('n'))
    .where('r.merchant_id', '=', merchantId)
    .where('r.redeemed_at', '>=', from)
    .where('r.redeemed_at', '<', until)
    .where('r.reversed_at', 'is', null)
  if (cardId !== undefined) {
    claimers = claimers.where('card_id', '=', cardId)
    redeemers = redeemers.where('r.card_id', '=', cardId)
  }
  const [claimed, redeemed] = [await claimers.executeTakeFirst(), await redeemers.executeTakeFirst()]
  return { claimers: Number(claimed?.n ?? 0), redeemers: Number(redeemed?.n ?? 0) }
}

/** Writes a merchant's roll-up of one day afresh: the day's rows are replaced by `rows`. */
export async function replaceDailyStats(db: Db, merchantId: string, day: string, rows: DailyStatsRow[]): Promise<void> {
  await db.deleteFrom('daily_stats').where('merchant_id', '=', merchantId).where('day', '=', day).execute()
  if (rows.length > 0) await db.insertInto('daily_stats').values(rows).execute()
}

/** The merchant's daily roll-ups in day and card order, filtered, at most `limit`. */
export async function listDailyStats(db: Db, merchantId: string, filter: { from?: string; to?: string; cardId?: string }, limit: number): Promise<DailyStatsRow[]> {
  let q = db.selectFrom('daily_stats').selectAll().where('merchant_id', '=', merchantId)
  if (filter.from) q = q.where('day', '>=', filter.from)
  if (filter.to) q = q.where('day', '<=', filter.to)
  if (filter.cardId) q = q.where('card_id', '=', filter.cardId)
  return q.orderBy('day').orderBy('card_id').limit(limit).execute()
}

/**
 * A card's claims and standing redemptions in [from, until) per channel and campaign tag (null: untagged):
 * claims are the coupons issued in the range and not voided, redemptions those made in the range and not
 * reversed, with their discount and order amounts. Counted from the card's rows (indexes by card and time).
 */
export async function cardTagActivity(db: Db, merchantId: string, cardId: string, from: number, until: number) {
  const claims = await db
    .selectFrom('coupons')
    .select(['channel_tag', 'campaign', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('issued_at', '>=', from)
    .where('issued_at', '<', until)
    .where('state', '!=', 'voided')
    .groupBy(['channel_tag', 'campaign'])
    .execute()
  const redemptions = await db
    .selectFrom('redemptions as r')
    .innerJoin('coupons as c', (join) => join.onRef('c.merchant_id', '=', 'r.merchant_id').onRef('c.id', '=', 'r.coupon_id'))
    .select([
      'c.channel_tag',
      'c.campaign',
      (eb) => eb.fn.countAll<number | string>().as('n'),
      (eb) => eb.fn.sum<number | string>('r.discount_amount').as('discount'),
      (eb) => eb.fn.sum<number | string>('r.order_amount').as('order_amount'),
    ])
    .where('r.merchant_id', '=', merchantId)
    .where('r.card_id', '=', cardId)
    .where('r.redeemed_at', '>=', from)
    .where('r.redeemed_at', '<', until)
    .where('r.reversed_at', 'is', null)
    .groupBy(['c.channel_tag', 'c.campaign'])
    .execute()
  return { claims, redemptions }
}
