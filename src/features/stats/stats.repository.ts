import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely'
import type { Db } from '../../db/database.ts'
import { runStatementIn, statement } from '../../db/statements.ts'
import type { DB } from '../../db/schema.ts'
import type { CouponSource } from '../coupons/coupons.table.ts'
import { ALL_CARDS, mergeReach, reachOnAdd, reachOnRemove, type Neighbours, type ReachChange } from '../../domain/reach.ts'
import type { CardActivityDaysTable, CardPersonDaysTable, CardReachTable, DailyChannelStatsTable, DailyStatsTable, ReachAction } from './stats.table.ts'

export type DailyStatsRow = DailyStatsTable

/**
 * Which of the days an instant falls in, as SQL: `case when t < <start of day 2> then 0 … end`. Day
 * boundaries are the merchant's local midnights (computed by the caller, so daylight saving is handled),
 * which lets both engines group by local day without knowing time zones.
 */
function dayIndex(column: string, starts: number[]): RawBuilder<number> {
  // One day: still an expression (a bare literal would be a column position to group by).
  if (starts.length === 1) return sql<number>`(case when ${sql.ref(column)} is null then ${sql.lit(0)} else ${sql.lit(0)} end)`
  const whens = starts.slice(1).map((start, i) => sql`when ${sql.ref(column)} < ${sql.lit(start)} then ${sql.lit(i)}`)
  return sql<number>`case ${sql.join(whens, sql` `)} else ${sql.lit(starts.length - 1)} end`
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
  const rows = await db.selectFrom('daily_channel_stats').selectAll().where((eb) => eb.and({ merchant_id: merchantId, card_id: cardId })).where('day', '>=', fromDay).where('day', '<=', toDay).execute()
  const numeric = ['issued', 'redeemed', 'reversed', 'expired', 'voided', 'discount_amount', 'order_amount'] as const
  return rows.map((row) => ({ ...row, ...Object.fromEntries(numeric.map((k) => [k, Number(row[k])])) }))
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

// ---- Live roll-ups, changed in the transaction of each event --------------------------------------------

/** Which row of card_activity_days an event counts in. */
export type ActivityKey = Pick<CardActivityDaysTable, 'merchant_id' | 'card_id' | 'day' | 'channel' | 'channel_tag' | 'campaign'>

export const ACTIVITY_COUNTERS = ['issued', 'voided', 'claims_kept', 'redeemed', 'reversed', 'redemptions_kept', 'discount_amount', 'order_amount', 'discount_kept', 'order_kept', 'gifted'] as const
export type ActivityCounter = (typeof ACTIVITY_COUNTERS)[number]
const ACTIVITY_KEY = ['merchant_id', 'card_id', 'day', 'channel', 'channel_tag', 'campaign'] as const

/** Adds `changes` to the rows' counters (one upsert for them all; keys must differ). */
export async function addActivity(db: Db, rows: { key: ActivityKey; changes: Partial<Record<ActivityCounter, number>> }[]): Promise<void> {
  if (rows.length === 0) return
  const values = rows.map(({ key, changes }) => ({ ...key, ...Object.fromEntries(ACTIVITY_COUNTERS.map((c) => [c, changes[c] ?? 0])) }) as CardActivityDaysTable)
  await db
    .insertInto('card_activity_days')
    .values(values)
    .onConflict((oc) =>
      oc.columns([...ACTIVITY_KEY]).doUpdateSet(Object.fromEntries(ACTIVITY_COUNTERS.map((c) => [c, sql`card_activity_days.${sql.ref(c)} + excluded.${sql.ref(c)}`]))),
    )
    .execute()
}

/** One row's counters moved (a redemption's, as it is written): hand-written, so nothing is built per request. */
const ADD_ACTIVITY_ROW = statement(`
  insert into card_activity_days (${ACTIVITY_KEY.join(', ')}, ${ACTIVITY_COUNTERS.join(', ')})
  values (${[...ACTIVITY_KEY, ...ACTIVITY_COUNTERS].map(() => '?').join(', ')})
  on conflict (${ACTIVITY_KEY.join(', ')}) do update set ${ACTIVITY_COUNTERS.map((c) => `${c} = card_activity_days.${c} + excluded.${c}`).join(', ')}`)

/** Adds `changes` to one row's counters: what addActivity does for one row, in one prepared statement. */
export async function addActivityRow(db: Db, key: ActivityKey, changes: Partial<Record<ActivityCounter, number>>): Promise<void> {
  await runStatementIn(db, ADD_ACTIVITY_ROW, [key.merchant_id, key.card_id, key.day, key.channel, key.channel_tag, key.campaign, ...ACTIVITY_COUNTERS.map((c) => changes[c] ?? 0)])
}

/** A card's counters for days in [fromDay, toDay]. */
export async function cardActivity(db: Db, merchantId: string, cardId: string, fromDay: string, toDay: string): Promise<CardActivityDaysTable[]> {
  const rows = await db.selectFrom('card_activity_days').selectAll().where((eb) => eb.and({ merchant_id: merchantId, card_id: cardId })).where('day', '>=', fromDay).where('day', '<=', toDay).execute()
  return rows.map((row) => ({ ...row, ...Object.fromEntries(ACTIVITY_COUNTERS.map((c) => [c, Number(row[c])])) }))
}

export type PersonDayKey = Omit<CardPersonDaysTable, 'n' | 'person'>
export type ReachKey = Pick<CardReachTable, 'merchant_id' | 'card_id' | 'action'>

/**
 * Counts more (positive) or fewer (negative) of people's claims, redemptions or shares on one day, `deltas`
 * per person; for each person the day becomes active for, or stops being, the (day, previous day) counters
 * follow (domain/reach.ts). One upsert, one read and one upsert whatever the number of people. Claims and
 * redemptions of a card count the same way under ALL_CARDS too (the merchant's distinct claimers and
 * redeemers); `deltas` of several cards may be given there at once (`key.card_id` ALL_CARDS).
 */
export async function addPersonDays(db: Db, key: PersonDayKey, deltas: Map<string, number>): Promise<void> {
  // The merchant's rows first, then the card's: the order a redemption's one statement takes them in on
  // PostgreSQL (its parts run last to first), so that a reversal and a redemption never wait on each other in a cycle.
  if (key.card_id !== ALL_CARDS && MERCHANT_WIDE.has(key.action)) await addPersonDays(db, { ...key, card_id: ALL_CARDS }, deltas)
  const changed = [...deltas].filter(([, delta]) => delta !== 0)
  for (let i = 0; i < changed.length; i += PEOPLE_PER_STATEMENT) await addSomePersonDays(db, key, changed.slice(i, i + PEOPLE_PER_STATEMENT), deltas)
}

/** What the merchant's distinct people are counted of, across its cards. */
const MERCHANT_WIDE = new Set<PersonDayKey['action']>(['claim', 'redeem'])

/** Few enough for the engines' limits on bound parameters. */
const PEOPLE_PER_STATEMENT = 1000

async function addSomePersonDays(db: Db, key: PersonDayKey, changed: [string, number][], deltas: Map<string, number>): Promise<void> {
  await addReach(db, key, await addPersonDaysOnly(db, key, changed, deltas))
}

/**
 * The person-day rows of addPersonDays, without the reach counters: the changes of those it returns, for
 * the caller to write (an issue writes them with the card's stock, in one statement). `changed` at most
 * PEOPLE_PER_STATEMENT.
 */
export async function addPersonDaysOnly(db: Db, key: PersonDayKey, changed: [string, number][], deltas: Map<string, number>): Promise<ReachChange[]> {
  if (changed.length === 0) return []
  const rows = await db
    .insertInto('card_person_days')
    .values(changed.map(([person, n]) => ({ ...key, person, n })))
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'action', 'person', 'day']).doUpdateSet({ n: sql`card_person_days.n + excluded.n` }))
    .returning(['person', 'n'])
    .execute()
  const added = new Set<string>()
  const removed = new Set<string>()
  for (const row of rows) {
    const [n, delta] = [Number(row.n), deltas.get(row.person) ?? 0]
    if (delta > 0 && n === delta) added.add(row.person)
    if (delta < 0 && n === 0) removed.add(row.person)
  }
  if (added.size + removed.size === 0) return []
  const around = await personDayNeighbours(db, key, [...added, ...removed])
  const changes = [...added].flatMap((p) => reachOnAdd(key.day, around.get(p) ?? NO_NEIGHBOURS))
  changes.push(...[...removed].flatMap((p) => reachOnRemove(key.day, around.get(p) ?? NO_NEIGHBOURS)))
  return mergeReach(changes)
}

/** One card's people and how much each one's count changes (addPersonDaysOfCards). */
export interface CardDeltas {
  card_id: string
  deltas: Map<string, number>
}

/** Rows of one addPersonDaysOfCards statement: two cards' (a card's and ALL_CARDS) batch of bulk issue in one. */
const PERSON_ROWS_PER_STATEMENT = 2000

/**
 * addPersonDaysOnly and addReach of several cards (ALL_CARDS among them) on one day, for one action: one
 * upsert of every card's person-day rows, one read of their neighbours and one upsert of the reach counters,
 * whatever the number of cards and people. Each card's rows count exactly as addPersonDays would count them
 * one card after the other: a card's rows never touch another's. Rows go in the order of `cards` (pass
 * ALL_CARDS first, as addPersonDays takes it), people sorted, so concurrent writers lock them in one order.
 */
export async function addPersonDaysOfCards(db: Db, key: Omit<PersonDayKey, 'card_id'>, cards: CardDeltas[]): Promise<void> {
  const rows = cards.flatMap(({ card_id, deltas }) =>
    [...deltas].filter(([, delta]) => delta !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([person, n]) => ({ ...key, card_id, person, n })),
  )
  const deltasOf = new Map(cards.map((c) => [c.card_id, c.deltas]))
  for (let i = 0; i < rows.length; i += PERSON_ROWS_PER_STATEMENT) await addSomePersonDaysOfCards(db, key, rows.slice(i, i + PERSON_ROWS_PER_STATEMENT), deltasOf)
}

async function addSomePersonDaysOfCards(db: Db, key: Omit<PersonDayKey, 'card_id'>, rows: CardPersonDaysTable[], deltasOf: Map<string, Map<string, number>>): Promise<void> {
  if (rows.length === 0) return
  const written = await db
    .insertInto('card_person_days')
    .values(rows)
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'action', 'person', 'day']).doUpdateSet({ n: sql`card_person_days.n + excluded.n` }))
    .returning(['card_id', 'person', 'n'])
    .execute()
  // Per card: the people whose day became active (added) or stopped being (removed).
  const moved = new Map<string, { added: string[]; removed: string[] }>()
  for (const row of written) {
    const [n, delta] = [Number(row.n), deltasOf.get(row.card_id)?.get(row.person) ?? 0]
    const added = delta > 0 && n === delta
    if (!added && !(delta < 0 && n === 0)) continue
    const card = moved.get(row.card_id) ?? { added: [], removed: [] }
    moved.set(row.card_id, card)
    ;(added ? card.added : card.removed).push(row.person)
  }
  if (moved.size === 0) return
  const people = [...new Set([...moved.values()].flatMap((card) => [...card.added, ...card.removed]))]
  const around = await personDayNeighboursOfCards(db, key, [...moved.keys()], people)
  const reach: CardReachTable[] = []
  // In the order of the rows (ALL_CARDS first), as addPersonDays writes the counters.
  for (const cardId of new Set(rows.map((row) => row.card_id))) {
    const card = moved.get(cardId)
    if (!card) continue
    const of = (person: string) => around.get(`${cardId}\u0000${person}`) ?? NO_NEIGHBOURS
    const changes = [...card.added.flatMap((p) => reachOnAdd(key.day, of(p))), ...card.removed.flatMap((p) => reachOnRemove(key.day, of(p)))]
    for (const c of mergeReach(changes)) reach.push({ merchant_id: key.merchant_id, card_id: cardId, action: key.action, day: c.day, prev_day: c.prev_day, people: c.people })
  }
  if (reach.length === 0) return
  await db
    .insertInto('card_reach')
    .values(reach)
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'action', 'day', 'prev_day']).doUpdateSet({ people: sql`card_reach.people + excluded.people` }))
    .execute()
}

/** personDayNeighbours of several cards at once, keyed by card id and person (NUL between). */
async function personDayNeighboursOfCards(db: Db, key: Omit<PersonDayKey, 'card_id'>, cardIds: string[], people: string[]): Promise<Map<string, Neighbours>> {
  const rows = await db
    .selectFrom('card_person_days')
    .select([
      'card_id',
      'person',
      sql<string | null>`max(case when day < ${key.day} then day end)`.as('prev'),
      sql<string | null>`min(case when day > ${key.day} then day end)`.as('next'),
    ])
    .where('merchant_id', '=', key.merchant_id)
    .where('card_id', 'in', cardIds)
    .where('action', '=', key.action)
    .where('person', 'in', people)
    .where('n', '>', 0)
    .where('day', '!=', key.day)
    .groupBy(['card_id', 'person'])
    .execute()
  return new Map(rows.map((r) => [`${r.card_id}\u0000${r.person}`, { prev: r.prev ?? null, next: r.next ?? null }]))
}

const ADD_PERSON_DAY = statement(`
  insert into card_person_days (merchant_id, card_id, action, person, day, n) values (?, ?, ?, ?, ?, ?)
  on conflict (merchant_id, card_id, action, person, day) do update set n = card_person_days.n + excluded.n
  returning n`)

/**
 * A day just became one of the person's active days, and it is their latest (no active day after it, as
 * for anything counted when it happens): one person more with (day, their previous active day). No row
 * is written, nor answered, when a later active day exists; then the caller relinks it (reachOnAdd).
 */
const REACH_ON_LATEST_DAY = statement(`
  insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
  select ?, ?, ?, ?, coalesce((
    select max(day) from card_person_days where merchant_id = ? and card_id = ? and action = ? and person = ? and day < ? and n > 0
  ), ''), 1
  where not exists (select 1 from card_person_days where merchant_id = ? and card_id = ? and action = ? and person = ? and day > ? and n > 0)
  on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + 1
  returning people`)

/**
 * addPersonDays for one person, with prepared statements: the person-day's upsert and, when the day
 * becomes active and is the person's latest, one upsert of its reach counter (its previous day read in
 * the same statement). Any other change of the active days takes addPersonDays's way (neighbours, then
 * reachOnAdd or reachOnRemove).
 */
export async function addPersonDay(db: Db, key: PersonDayKey, person: string, delta: number): Promise<void> {
  if (delta === 0) return
  // As addPersonDays: the merchant's rows first, then the card's.
  if (key.card_id !== ALL_CARDS && MERCHANT_WIDE.has(key.action)) await addPersonDay(db, { ...key, card_id: ALL_CARDS }, person, delta)
  const { merchant_id, card_id, action, day } = key
  const [row] = await runStatementIn<{ n: number | string | bigint }>(db, ADD_PERSON_DAY, [merchant_id, card_id, action, person, day, delta])
  const n = Number(row.n)
  if (delta > 0 && n === delta) {
    const who = [merchant_id, card_id, action, person, day]
    const linked = await runStatementIn(db, REACH_ON_LATEST_DAY, [merchant_id, card_id, action, day, ...who, ...who])
    if (linked.length > 0) return
    const around = await personDayNeighbours(db, key, [person])
    await addReach(db, key, reachOnAdd(day, around.get(person) ?? NO_NEIGHBOURS))
  } else if (delta < 0 && n === 0) {
    const around = await personDayNeighbours(db, key, [person])
    await addReach(db, key, reachOnRemove(day, around.get(person) ?? NO_NEIGHBOURS))
  }
}

/** The merchant's (ALL_CARDS) and the card's person-day of one person, in one upsert (addPersonDaysOfCard). */
const ADD_PERSON_DAY_OF_CARD = statement(`
  insert into card_person_days (merchant_id, card_id, action, person, day, n) values (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)
  on conflict (merchant_id, card_id, action, person, day) do update set n = card_person_days.n + excluded.n
  returning card_id, n`)

/** REACH_ON_LATEST_DAY of two (card, person) rows at once: answers the card ids linked. */
const REACH_ON_LATEST_DAY_OF_TWO = statement(`
  insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
  select k.merchant_id, k.card_id, k.action, k.day, coalesce((
    select max(d.day) from card_person_days d where d.merchant_id = k.merchant_id and d.card_id = k.card_id and d.action = k.action and d.person = k.person and d.day < k.day and d.n > 0
  ), ''), 1
  from (select cast(? as text) as merchant_id, cast(? as text) as card_id, cast(? as text) as action, cast(? as text) as person, cast(? as text) as day
        union all select ?, ?, ?, ?, ?) k
  where not exists (select 1 from card_person_days d where d.merchant_id = k.merchant_id and d.card_id = k.card_id and d.action = k.action and d.person = k.person and d.day > k.day and d.n > 0)
  on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + 1
  returning card_id`)

/**
 * addPersonDay of a card and, for the actions counted merchant-wide, of ALL_CARDS, for one person: both
 * person-days in one upsert and, when both days become active and are the person's latest (a redemption
 * by someone new that day, the usual case), both reach counters in one more. Counts exactly as
 * addPersonDay does (ALL_CARDS's rows first, then the card's); any other change takes its way per card.
 */
export async function addPersonDayOfCard(db: Db, key: PersonDayKey, person: string, delta: number): Promise<void> {
  if (delta === 0) return
  if (key.card_id === ALL_CARDS || !MERCHANT_WIDE.has(key.action)) return addPersonDay(db, key, person, delta)
  const { merchant_id, card_id, action, day } = key
  const rows = await runStatementIn<{ card_id: string; n: number | string | bigint }>(db, ADD_PERSON_DAY_OF_CARD, [
    merchant_id, ALL_CARDS, action, person, day, delta,
    merchant_id, card_id, action, person, day, delta,
  ])
  const nOf = new Map(rows.map((r) => [r.card_id, Number(r.n)]))
  const cards = [ALL_CARDS, card_id]
  if (delta > 0 && cards.every((c) => nOf.get(c) === delta)) {
    const linked = await runStatementIn<{ card_id: string }>(db, REACH_ON_LATEST_DAY_OF_TWO, [merchant_id, ALL_CARDS, action, person, day, merchant_id, card_id, action, person, day])
    const done = new Set(linked.map((r) => r.card_id))
    for (const c of cards) {
      if (done.has(c)) continue
      const cardKey = { ...key, card_id: c }
      const around = await personDayNeighbours(db, cardKey, [person])
      await addReach(db, cardKey, reachOnAdd(day, around.get(person) ?? NO_NEIGHBOURS))
    }
    return
  }
  for (const c of cards) {
    const cardKey = { ...key, card_id: c }
    const n = nOf.get(c) ?? 0
    if (delta > 0 && n === delta) {
      const who = [merchant_id, c, action, person, day]
      const linked = await runStatementIn(db, REACH_ON_LATEST_DAY, [merchant_id, c, action, day, ...who, ...who])
      if (linked.length > 0) continue
      const around = await personDayNeighbours(db, cardKey, [person])
      await addReach(db, cardKey, reachOnAdd(day, around.get(person) ?? NO_NEIGHBOURS))
    } else if (delta < 0 && n === 0) {
      const around = await personDayNeighbours(db, cardKey, [person])
      await addReach(db, cardKey, reachOnRemove(day, around.get(person) ?? NO_NEIGHBOURS))
    }
  }
}

const NO_NEIGHBOURS: Neighbours = { prev: null, next: null }

/** Each person's active days just before and just after `key.day`. */
async function personDayNeighbours(db: Db, key: PersonDayKey, people: string[]): Promise<Map<string, Neighbours>> {
  const rows = await db
    .selectFrom('card_person_days')
    .select([
      'person',
      sql<string | null>`max(case when day < ${key.day} then day end)`.as('prev'),
      sql<string | null>`min(case when day > ${key.day} then day end)`.as('next'),
    ])
    .where('merchant_id', '=', key.merchant_id)
    .where('card_id', '=', key.card_id)
    .where('action', '=', key.action)
    .where('person', 'in', people)
    .where('n', '>', 0)
    .where('day', '!=', key.day)
    .groupBy('person')
    .execute()
  return new Map(rows.map((r) => [r.person, { prev: r.prev ?? null, next: r.next ?? null }]))
}

/** A viewer's days with a view of the card just before and just after `day` (card_day_viewers). */
export async function viewerDayNeighbours(db: Db, key: { merchant_id: string; card_id: string; viewer: string; day: string }): Promise<Neighbours> {
  const days = (eb: ExpressionBuilder<DB, never>) =>
    eb.selectFrom('card_day_viewers').where('merchant_id', '=', key.merchant_id).where('card_id', '=', key.card_id).where('viewer', '=', key.viewer)
  const row = await db
    .selectNoFrom((eb) => [
      days(eb).select((e) => e.fn.max('day').as('d')).where('day', '<', key.day).$asScalar().as('prev'),
      days(eb).select((e) => e.fn.min('day').as('d')).where('day', '>', key.day).$asScalar().as('next'),
    ])
    .executeTakeFirstOrThrow()
  return { prev: (row.prev as string | null) ?? null, next: (row.next as string | null) ?? null }
}

/** Applies counter changes of (day, previous day), in one upsert. */
export async function addReach(db: Db, key: ReachKey, changes: ReachChange[]): Promise<void> {
  const merged = mergeReach(changes)
  if (merged.length === 0) return
  await db
    .insertInto('card_reach')
    .values(merged.map((c) => ({ merchant_id: key.merchant_id, card_id: key.card_id, action: key.action, day: c.day, prev_day: c.prev_day, people: c.people })))
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'action', 'day', 'prev_day']).doUpdateSet({ people: sql`card_reach.people + excluded.people` }))
    .execute()
}

/** Distinct viewers, claimers and redeemers of a card over days [fromDay, toDay], from the counters. */
export async function cardReach(db: Db, merchantId: string, cardId: string, fromDay: string, toDay: string): Promise<Record<ReachAction, number>> {
  const rows = await db
    .selectFrom('card_reach')
    .select(['action', (eb) => eb.fn.sum<number | string>('people').as('n')])
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('action', 'in', ['view', 'claim', 'redeem', 'share'])
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .where('prev_day', '<', fromDay)
    .groupBy('action')
    .execute()
  const of = (action: ReachAction) => Number(rows.find((r) => r.action === action)?.n ?? 0)
  return { view: of('view'), claim: of('claim'), redeem: of('redeem'), share: of('share') }
}

/** Distinct viewers, claimers and redeemers across all the merchant's cards over days [fromDay, toDay]. */
export function merchantReach(db: Db, merchantId: string, fromDay: string, toDay: string): Promise<Record<ReachAction, number>> {
  return cardReach(db, merchantId, ALL_CARDS, fromDay, toDay)
}

/** One more share of a card on its day. */
export async function addShareDay(db: Db, key: { merchant_id: string; card_id: string; day: string }): Promise<void> {
  await db
    .insertInto('card_share_days')
    .values({ ...key, shares: 1 })
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'day']).doUpdateSet({ shares: sql`card_share_days.shares + 1` }))
    .execute()
}

/** Shares of a card over days [fromDay, toDay]. */
export async function cardShares(db: Db, merchantId: string, cardId: string, fromDay: string, toDay: string): Promise<number> {
  const row = await db
    .selectFrom('card_share_days')
    .select((eb) => eb.fn.sum<number | string>('shares').as('n'))
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

/** Changes how many of the coupons claimed on `day` are redeemed now, by `delta` (a redemption +1, its reversal −1). */
const ADD_CLAIM_DAY_REDEEMED = statement(`
  insert into merchant_claim_days (merchant_id, day, redeemed) values (?, ?, ?)
  on conflict (merchant_id, day) do update set redeemed = merchant_claim_days.redeemed + excluded.redeemed`)

export async function addClaimDayRedeemed(db: Db, merchantId: string, day: string, delta: number): Promise<void> {
  // Prepared once: a redemption runs it in its transaction (countRedeemed) on SQLite.
  await runStatementIn(db, ADD_CLAIM_DAY_REDEEMED, [merchantId, day, delta])
}

/**
 * The merchant's days in [fromDay, toDay] across its cards: coupons claimed (issued, voided since or not),
 * redemptions that stand, and of the day's claims how many are redeemed now; days with nothing are absent.
 * Sums of the cards' counters (index card_activity_days_day_idx) and merchant_claim_days.
 */
export async function merchantDays(db: Db, merchantId: string, fromDay: string, toDay: string): Promise<Map<string, { claims: number; redemptions: number; redeemed: number }>> {
  const activity = await db
    .selectFrom('card_activity_days')
    .select(['day', (eb) => eb.fn.sum<number | string>('issued').as('claims'), (eb) => eb.fn.sum<number | string>('redemptions_kept').as('redemptions')])
    .where('merchant_id', '=', merchantId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .groupBy('day')
    .execute()
  const claimDays = await db
    .selectFrom('merchant_claim_days')
    .select(['day', 'redeemed'])
    .where('merchant_id', '=', merchantId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .execute()
  const days = new Map<string, { claims: number; redemptions: number; redeemed: number }>()
  const day = (d: string) => days.get(d) ?? days.set(d, { claims: 0, redemptions: 0, redeemed: 0 }).get(d)!
  for (const r of activity) Object.assign(day(r.day), { claims: Number(r.claims ?? 0), redemptions: Number(r.redemptions ?? 0) })
  for (const r of claimDays) day(r.day).redeemed = Number(r.redeemed)
  return days
}

/**
 * How many coupons of each of these cards are redeemed now: their redemptions that stand, summed over the
 * cards' counters (a coupon is redeemed while exactly one redemption of it stands).
 */
export async function redeemedCouponsByCard(db: Db, merchantId: string, cardIds: string[]): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('card_activity_days')
    .select(['card_id', (eb) => eb.fn.sum<number | string>('redemptions_kept').as('redeemed')])
    .where('merchant_id', '=', merchantId)
    .where('card_id', 'in', cardIds)
    .groupBy('card_id')
    .execute()
  return new Map(rows.map((r) => [r.card_id, Number(r.redeemed ?? 0)]))
}

/**
 * Coupons of a card now expired whose last valid second falls in one of the days (`dayStarts`, the day after
 * the last ending at `until`), per day index and issue channel (index coupons_expiry_idx). A coupon expires
 * the second after its last valid one.
 */
export async function expiredPerDay(db: Db, merchantId: string, cardId: string, dayStarts: number[], until: number) {
  const shifted = dayStarts.map((start) => start - 1000)
  const day = dayIndex('valid_until', shifted)
  const rows = await db
    .selectFrom('coupons')
    .select([day.as('day'), 'source', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('state', '=', 'expired')
    .where('valid_until', '>=', shifted[0])
    .where('valid_until', '<', until - 1000)
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .groupBy([day, 'source'])
    .execute()
  return rows.map((r) => ({ day: Number(r.day), channel: r.source, n: Number(r.n) }))
}
