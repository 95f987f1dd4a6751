import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../../db/database.ts'
import { RFM_SEGMENTS, type RfmInputs, type RfmSegment, type RfmThresholds } from '../../domain/rfm.ts'
import type { RfmThresholdsTable } from './member-analytics.table.ts'

type Count = number | string | bigint | null
const n = (value: Count | undefined) => Number(value ?? 0)

export async function findThresholds(db: Db, merchantId: string, memberCardId: string): Promise<RfmThresholds | undefined> {
  const row = await db
    .selectFrom('rfm_thresholds')
    .select(['window_days', 'recency_days', 'frequency', 'monetary'])
    .where('merchant_id', '=', merchantId)
    .where('member_card_id', '=', memberCardId)
    .executeTakeFirst()
  return row && { window_days: n(row.window_days), recency_days: n(row.recency_days), frequency: n(row.frequency), monetary: n(row.monetary) }
}

export async function saveThresholds(db: Db, row: RfmThresholdsTable): Promise<void> {
  await db
    .insertInto('rfm_thresholds')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['merchant_id', 'member_card_id']).doUpdateSet({ window_days: row.window_days, recency_days: row.recency_days, frequency: row.frequency, monetary: row.monetary, updated_at: row.updated_at }),
    )
    .execute()
}

/**
 * What RFM scoring reads of these members: the last order ever, and orders and spend since `windowStart`
 * (an order refunded in full does not count; spend is net of refunds). Members without orders are absent.
 * Scoring reads them all at once (scoredMembersQuery); this reading of some members is what the tests
 * score one by one to check it against.
 */
export async function rfmInputsOf(db: Db, merchantId: string, memberIds: string[], windowStart: number): Promise<Map<string, RfmInputs>> {
  if (memberIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('member_orders')
    .select([
      'member_id',
      (eb) => eb.fn.max<Count>('created_at').as('last_order_at'),
      sql<Count>`sum(case when created_at >= ${windowStart} and refunded_amount < order_amount then 1 else 0 end)`.as('orders'),
      sql<Count>`sum(case when created_at >= ${windowStart} then order_amount - refunded_amount else 0 end)`.as('spend'),
    ])
    .where('merchant_id', '=', merchantId)
    .where('member_id', 'in', memberIds)
    .groupBy('member_id')
    .execute()
  return new Map(rows.map((r) => [r.member_id, { last_order_at: r.last_order_at === null ? null : n(r.last_order_at), orders: n(r.orders), spend: n(r.spend) }]))
}

/**
 * Which local day (index into `starts`) each instant of `column` falls in, for rows in [starts[0], until):
 * day boundaries are the merchant's midnights, computed by the caller (so daylight saving is handled).
 */
function dayIndex(column: string, starts: number[]) {
  const whens = starts.slice(1).map((start, i) => sql`when ${sql.ref(column)} < ${sql.lit(start)} then ${sql.lit(i)}`)
  // A bare 0 would be read as a column position in GROUP BY: one day is still a case.
  if (whens.length === 0) return sql<number>`case when ${sql.ref(column)} is not null then 0 else 0 end`
  return sql<number>`case ${sql.join(whens, sql` `)} else ${sql.lit(starts.length - 1)} end`
}

/** Members of the card who joined before `before`, and those who joined on each day of `starts` until `until`. */
export async function joinsPerDay(db: Db, merchantId: string, memberCardId: string, starts: number[], until: number) {
  const before = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('merchant_id', '=', merchantId)
    .where('member_card_id', '=', memberCardId)
    .where('joined_at', '<', starts[0])
    .executeTakeFirst()
  const day = dayIndex('joined_at', starts)
  const rows = await db
    .selectFrom('members')
    .select([day.as('day'), (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('merchant_id', '=', merchantId)
    .where('member_card_id', '=', memberCardId)
    .where('joined_at', '>=', starts[0])
    .where('joined_at', '<', until)
    .groupBy(day)
    .execute()
  return { before: n(before?.n), perDay: new Map(rows.map((r) => [Number(r.day), n(r.n)])) }
}

/** The card's members' orders in [from, until): how many members ordered, orders not refunded in full, net spend. */
export async function memberOrdersIn(db: Db, merchantId: string, memberCardId: string, from: number, until: number) {
  const row = await db
    .selectFrom('member_orders as o')
    .innerJoin('members as m', (join) => join.onRef('m.merchant_id', '=', 'o.merchant_id').onRef('m.id', '=', 'o.member_id'))
    .select([
      sql<Count>`count(distinct o.member_id)`.as('active'),
      sql<Count>`sum(case when o.refunded_amount < o.order_amount then 1 else 0 end)`.as('orders'),
      sql<Count>`sum(o.order_amount - o.refunded_amount)`.as('spend'),
    ])
    .where('o.merchant_id', '=', merchantId)
    .where('m.member_card_id', '=', memberCardId)
    .where('o.created_at', '>=', from)
    .where('o.created_at', '<', until)
    .executeTakeFirst()
  return { active: n(row?.active), orders: n(row?.orders), spend: n(row?.spend) }
}

/** Points the card's members earned (every positive entry) and spent on rewards (exchanges, net of their refunds) in [from, until). */
export async function pointsFlowIn(db: Db, merchantId: string, memberCardId: string, from: number, until: number) {
  const row = await db
    .selectFrom('points_entries as e')
    .innerJoin('members as m', (join) => join.onRef('m.merchant_id', '=', 'e.merchant_id').onRef('m.id', '=', 'e.member_id'))
    .select([
      sql<Count>`sum(case when e.delta > 0 and e.type not in ('exchange', 'refund') then e.delta else 0 end)`.as('earned'),
      sql<Count>`sum(case when e.type = 'exchange' then -e.delta else 0 end)`.as('exchanged'),
    ])
    .where('e.merchant_id', '=', merchantId)
    .where('m.member_card_id', '=', memberCardId)
    .where('e.created_at', '>=', from)
    .where('e.created_at', '<', until)
    .executeTakeFirst()
  return { earned: n(row?.earned), exchanged: n(row?.exchanged) }
}

/** The merchant's redemptions in [from, until) that stand (not reversed). */
function standingRedemptionsIn(db: Db, merchantId: string, from: number, until: number) {
  return db
    .selectFrom('redemptions as r')
    .where((eb) => eb.and([eb('r.merchant_id', '=', merchantId), eb('r.redeemed_at', '>=', from), eb('r.redeemed_at', '<', until), eb('r.reversed_at', 'is', null)]))
}

/** Redemptions standing (not reversed) in [from, until) that no member order names: what customers who are not members spent. */
export async function nonMemberRedemptionsIn(db: Db, merchantId: string, from: number, until: number) {
  const row = await standingRedemptionsIn(db, merchantId, from, until)
    .select([(eb) => eb.fn.countAll<number | string>().as('orders'), sql<Count>`sum(coalesce(r.order_amount, 0))`.as('spend')])
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('member_orders as o').select('o.id').whereRef('o.merchant_id', '=', 'r.merchant_id').whereRef('o.redemption_id', '=', 'r.id'))),
    )
    .executeTakeFirst()
  return { orders: n(row?.orders), spend: n(row?.spend) }
}

/** Distinct customers with a redemption in [from, until) that stands, of one card or of all. */
export async function redeemerIds(db: Db, merchantId: string, cardId: string | undefined, from: number, until: number): Promise<string[]> {
  let q = standingRedemptionsIn(db, merchantId, from, until)
    .innerJoin('coupons as c', (join) => join.onRef('c.merchant_id', '=', 'r.merchant_id').onRef('c.id', '=', 'r.coupon_id'))
    .select('c.user_id')
    .distinct()
  if (cardId !== undefined) q = q.where('r.card_id', '=', cardId)
  return (await q.execute()).map((r) => r.user_id)
}

/** The profiles these users gave with consent, through any of the merchant's member cards (oldest membership first). */
export async function consentedProfiles(db: Db, merchantId: string, userIds: string[]) {
  if (userIds.length === 0) return []
  return db
    .selectFrom('members')
    .select(['user_id', 'profile', 'birthday'])
    .where('merchant_id', '=', merchantId)
    .where('user_id', 'in', userIds)
    .where('consented_at', 'is not', null)
    .orderBy('id')
    .execute()
}

// ---- RFM scoring, set-based: every member of a selection scored in one statement --------------------------

const DAY_MS = 86_400_000

type ScoredSelection = { memberCardId?: string; userId?: string; memberNumber?: string }

/** The member cards' thresholds: `own` of the cards that have their own, `defaults` of the others. */
export interface ThresholdsByCard {
  own: Map<string, RfmThresholds>
  defaults: RfmThresholds
}

/**
 * Each member of the selection with what RFM scoring reads (their last order ever; orders not refunded in
 * full and net spend within their card's window) and the segment that scores to, against their card's
 * thresholds, at `now`: the orders grouped per member (index member_orders_member_time_idx) joined to the
 * members, in one statement. The same rules as domain/rfm.ts scoreRfm: the last order is recent when its
 * whole days ago are at most recency_days, that is when it is later than now − (recency_days + 1) days.
 */
function scoredMembersQuery(db: Db, merchantId: string, filter: ScoredSelection, thresholds: ThresholdsByCard, now: number) {
  // Each threshold as a constant per member card: `case card when … then … else <default> end`.
  const perCard = (card: RawBuilder<unknown>, value: (t: RfmThresholds) => number) => {
    const whens = [...thresholds.own].map(([id, t]) => sql`when ${id} then ${sql.lit(value(t))}`)
    return whens.length === 0 ? sql`${sql.lit(value(thresholds.defaults))}` : sql`(case ${card} ${sql.join(whens, sql` `)} else ${sql.lit(value(thresholds.defaults))} end)`
  }
  const windowStart = perCard(sql.ref('om.member_card_id'), (t) => now - t.window_days * DAY_MS)
  const orders = db
    .selectFrom('member_orders as o')
    .innerJoin('members as om', (join) => join.onRef('om.merchant_id', '=', 'o.merchant_id').onRef('om.id', '=', 'o.member_id'))
    .select([
      'o.member_id',
      (eb) => eb.fn.max('o.created_at').as('last_order_at'),
      sql<Count>`sum(case when o.created_at >= ${windowStart} and o.refunded_amount < o.order_amount then 1 else 0 end)`.as('orders'),
      sql<Count>`sum(case when o.created_at >= ${windowStart} then o.order_amount - o.refunded_amount else 0 end)`.as('spend'),
    ])
    .where('o.merchant_id', '=', merchantId)
    .groupBy('o.member_id')
  const card = sql.ref('m.member_card_id')
  const recent = sql`a.last_order_at > ${perCard(card, (t) => now - (t.recency_days + 1) * DAY_MS)}`
  const frequent = sql`a.orders >= ${perCard(card, (t) => t.frequency)}`
  const big = sql`a.spend >= ${perCard(card, (t) => t.monetary)}`
  const is = (cond: RawBuilder<unknown>, score: string | null) => (score === 'high' ? sql`(${cond})` : sql`not (${cond})`)
  const whens = RFM_SEGMENTS.filter((s) => s.r !== null).map((s) => sql`when ${is(recent, s.r)} and ${is(frequent, s.f)} and ${is(big, s.m)} then ${sql.lit(s.segment)}`)
  let q = db
    .selectFrom('members as m')
    .leftJoin((filter.memberCardId ? orders.where('om.member_card_id', '=', filter.memberCardId) : orders).as('a'), 'a.member_id', 'm.id')
    .select([
      'm.id as member_id',
      'a.last_order_at',
      sql<Count>`coalesce(a.orders, 0)`.as('orders'),
      sql<Count>`coalesce(a.spend, 0)`.as('spend'),
      sql<RfmSegment>`case when a.last_order_at is null then ${sql.lit('no_orders')} ${sql.join(whens, sql` `)} end`.as('segment'),
    ])
    .where('m.merchant_id', '=', merchantId)
  if (filter.memberCardId) q = q.where('m.member_card_id', '=', filter.memberCardId)
  if (filter.userId) q = q.where('m.user_id', '=', filter.userId)
  if (filter.memberNumber) q = q.where('m.member_number', '=', filter.memberNumber)
  return q
}

/** Every member card's own thresholds of the merchant (cards with the defaults are absent). */
export async function allThresholds(db: Db, merchantId: string): Promise<Map<string, RfmThresholds>> {
  const rows = await db.selectFrom('rfm_thresholds').selectAll().where('merchant_id', '=', merchantId).execute()
  return new Map(rows.map((r) => [r.member_card_id, { window_days: n(r.window_days), recency_days: n(r.recency_days), frequency: n(r.frequency), monetary: n(r.monetary) }]))
}

/** How many of a member card's members are in each RFM segment at `now` (segments without members are absent). */
export async function rfmSegmentCounts(db: Db, merchantId: string, memberCardId: string, thresholds: ThresholdsByCard, now: number): Promise<Map<RfmSegment, number>> {
  const rows = await db
    .selectFrom(scoredMembersQuery(db, merchantId, { memberCardId }, thresholds, now).as('s'))
    .select(['s.segment', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy('s.segment')
    .execute()
  return new Map(rows.map((r) => [r.segment, n(r.n)]))
}

/**
 * A page of the selection's members in one RFM segment at `now`, in id order after `after`, each with its
 * card's terms and what their score was computed from.
 */
export async function membersOfSegment(db: Db, merchantId: string, filter: ScoredSelection, segment: RfmSegment, thresholds: ThresholdsByCard, now: number, after: string | null, limit: number) {
  let q = db
    .selectFrom(scoredMembersQuery(db, merchantId, filter, thresholds, now).as('s'))
    .innerJoin('members', (join) => join.on('members.merchant_id', '=', merchantId).onRef('members.id', '=', 's.member_id'))
    .innerJoin('member_cards', (join) => join.onRef('member_cards.merchant_id', '=', 'members.merchant_id').onRef('member_cards.id', '=', 'members.member_card_id'))
    .selectAll('members')
    .select(['member_cards.terms', 's.last_order_at', 's.orders', 's.spend'])
    .where('s.segment', '=', segment)
  if (after) q = q.where('s.member_id', '>', after)
  const rows = await q.orderBy('s.member_id').limit(limit).execute()
  return rows.map(({ last_order_at, orders, spend, ...member }) => ({
    member,
    inputs: { last_order_at: last_order_at === null ? null : n(last_order_at), orders: n(orders), spend: n(spend) } satisfies RfmInputs,
  }))
}
