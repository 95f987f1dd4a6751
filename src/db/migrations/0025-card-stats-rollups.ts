import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'
import { localDate } from '../../domain/time.ts'
import { reachOfDays } from '../../domain/reach.ts'

/**
 * A card's statistics from counters kept as events happen, so that answering never scans its coupons,
 * redemptions or views however many there are:
 *
 * - `card_activity_days`: per card, local day, issue channel and the coupons' channel and campaign tags,
 *   the day's claims, voids, redemptions, reversals and amounts, and what still stands of the day's claims
 *   and redemptions;
 * - `card_person_days`: how many of a person's claims (not voided) and redemptions (not reversed) fall on
 *   a day, so that the first and the last one of a day are known;
 * - `card_reach`: people per (active day, previous active day), from which distinct viewers, claimers and
 *   redeemers over any range are a sum (see domain/reach.ts);
 * - `card_day_viewers_viewer_idx` finds a viewer's previous day with a view.
 *
 * Existing coupons, redemptions and day viewers are counted in here, merchant by merchant (backfillMerchantRollUps).
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  let table = db.schema
    .createTable('card_activity_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('channel_tag', 'text', (c) => c.notNull())
    .addColumn('campaign', 'text', (c) => c.notNull())
  for (const counter of COUNTERS) table = table.addColumn(counter, t.bigint, (c) => c.notNull())
  await table.addPrimaryKeyConstraint('card_activity_days_pk', ['merchant_id', 'card_id', 'day', 'channel', 'channel_tag', 'campaign']).execute()

  await db.schema
    .createTable('card_person_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('person', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('n', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('card_person_days_pk', ['merchant_id', 'card_id', 'action', 'person', 'day'])
    .execute()

  await db.schema
    .createTable('card_reach')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('prev_day', 'text', (c) => c.notNull())
    .addColumn('people', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('card_reach_pk', ['merchant_id', 'card_id', 'action', 'day', 'prev_day'])
    .execute()

  await db.schema.createIndex('card_day_viewers_viewer_idx').on('card_day_viewers').columns(['merchant_id', 'card_id', 'viewer', 'day']).execute()

  const merchants: { id: string; timezone: string }[] = await db.selectFrom('merchants').select(['id', 'timezone']).execute()
  for (const merchant of merchants) await backfillMerchantRollUps(db, merchant.id, merchant.timezone)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('card_day_viewers_viewer_idx').execute()
  for (const table of ['card_reach', 'card_person_days', 'card_activity_days']) await db.schema.dropTable(table).execute()
}

const COUNTERS = ['issued', 'voided', 'claims_kept', 'redeemed', 'reversed', 'redemptions_kept', 'discount_amount', 'order_amount', 'discount_kept', 'order_kept'] as const
type Counters = Record<(typeof COUNTERS)[number], number>

const PAGE = 5_000
const BATCH = 500

async function insertInBatches(db: Kysely<any>, tableName: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await db.insertInto(tableName).values(rows.slice(i, i + BATCH)).execute()
}

type Coupon = { id: string; card_id: string; user_id: string; source: string; channel_tag: string | null; campaign: string | null; state: string; issued_at: number | string; voided_at: number | string | null }
type Redemption = { coupon_id: string; redeemed_at: number | string; reversed_at: number | string | null; discount_amount: number | string; order_amount: number | string }

/** The local day (YYYY-MM-DD) of an instant in `tz`, remembered per quarter hour (zone offsets are whole quarter hours). */
export function localDayOf(tz: string): (ms: number) => string {
  const days = new Map<number, string>()
  return (ms) => {
    const slot = Math.floor(ms / 900_000)
    let day = days.get(slot)
    if (day === undefined) {
      const d = localDate(slot * 900_000, tz)
      day = `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`
      days.set(slot, day)
    }
    return day
  }
}

/**
 * Counts a merchant's existing coupons, redemptions and day viewers into the roll-up tables, which must
 * hold nothing of the merchant yet. Coupons are read a page at a time in customer order (index
 * coupons_user_idx) with their redemptions, and viewers in card and viewer order, so memory holds the
 * counters and one person's days, never the rows. Days are the merchant's zone `tz`.
 */
export async function backfillMerchantRollUps(db: Kysely<any>, merchantId: string, tz: string): Promise<void> {
  const dayOf = localDayOf(tz)
  const activity = new Map<string, Record<string, string | number>>()
  const count = (c: Coupon, day: string, changes: Partial<Counters>) => {
    const k = JSON.stringify([c.card_id, day, c.source, c.channel_tag ?? '', c.campaign ?? ''])
    let row = activity.get(k)
    if (!row) {
      row = { merchant_id: merchantId, card_id: c.card_id, day, channel: c.source, channel_tag: c.channel_tag ?? '', campaign: c.campaign ?? '', ...Object.fromEntries(COUNTERS.map((n) => [n, 0])) }
      activity.set(k, row)
    }
    for (const [n, by] of Object.entries(changes)) (row[n] as number) += by
  }
  const reach = new Map<string, number>()
  const personRows: Record<string, unknown>[] = []
  /** One person's active days per card and action, flushed when the next person comes. */
  let person: { user: string; days: Map<string, number> } | null = null
  const flushPerson = async (force: boolean) => {
    if (person !== null) {
      for (const [k, n] of person.days) {
        const [cardId, action, day] = k.split('|')
        personRows.push({ merchant_id: merchantId, card_id: cardId, action, person: person.user, day, n })
      }
      const byCardAction = new Map<string, string[]>()
      for (const k of person.days.keys()) {
        const [cardId, action, day] = k.split('|')
        const group = `${cardId}|${action}`
        byCardAction.set(group, [...(byCardAction.get(group) ?? []), day])
      }
      for (const [group, list] of byCardAction) for (const c of reachOfDays(list)) addReachCount(reach, `${group}|${c.day}|${c.prev_day}`, c.people)
      person = null
    }
    if (force || personRows.length >= BATCH * 4) await insertInBatches(db, 'card_person_days', personRows.splice(0))
  }
  const personDay = async (user: string, cardId: string, action: 'claim' | 'redeem', day: string) => {
    if (person === null || person.user !== user) {
      await flushPerson(false)
      person = { user, days: new Map() }
    }
    const k = `${cardId}|${action}|${day}`
    person.days.set(k, (person.days.get(k) ?? 0) + 1)
  }

  for (let after: { user: string; id: string } | null = null; ; ) {
    let q = db
      .selectFrom('coupons')
      .select(['id', 'card_id', 'user_id', 'source', 'channel_tag', 'campaign', 'state', 'issued_at', 'voided_at'])
      .where('merchant_id', '=', merchantId)
      .orderBy('user_id')
      .orderBy('id')
      .limit(PAGE)
    if (after !== null) {
      const { user, id } = after
      q = q.where((eb) => eb.or([eb('user_id', '>', user), eb.and([eb('user_id', '=', user), eb('id', '>', id)])]))
    }
    const coupons: Coupon[] = await q.execute()
    if (coupons.length === 0) break
    const redeemed = new Map<string, Redemption[]>()
    for (let i = 0; i < coupons.length; i += BATCH) {
      const ids = coupons.slice(i, i + BATCH).map((c) => c.id)
      const rows: Redemption[] = await db
        .selectFrom('redemptions')
        .select(['coupon_id', 'redeemed_at', 'reversed_at', 'discount_amount', 'order_amount'])
        .where('merchant_id', '=', merchantId)
        .where('coupon_id', 'in', ids)
        .execute()
      for (const r of rows) redeemed.set(r.coupon_id, [...(redeemed.get(r.coupon_id) ?? []), r])
    }
    for (const c of coupons) {
      const issuedDay = dayOf(Number(c.issued_at))
      const kept = c.state !== 'voided'
      count(c, issuedDay, { issued: 1, claims_kept: kept ? 1 : 0 })
      if (c.voided_at !== null) count(c, dayOf(Number(c.voided_at)), { voided: 1 })
      if (kept) await personDay(c.user_id, c.card_id, 'claim', issuedDay)
      for (const r of redeemed.get(c.id) ?? []) {
        const day = dayOf(Number(r.redeemed_at))
        const [discount, order] = [Number(r.discount_amount), Number(r.order_amount)]
        const standing = r.reversed_at === null
        count(c, day, { redeemed: 1, discount_amount: discount, order_amount: order, ...(standing ? { redemptions_kept: 1, discount_kept: discount, order_kept: order } : {}) })
        if (!standing) count(c, dayOf(Number(r.reversed_at)), { reversed: 1, discount_amount: -discount, order_amount: -order })
        if (standing) await personDay(c.user_id, c.card_id, 'redeem', day)
      }
    }
    const lastCoupon = coupons[coupons.length - 1]
    after = { user: lastCoupon.user_id, id: lastCoupon.id }
  }
  await flushPerson(true)
  await insertInBatches(db, 'card_activity_days', [...activity.values()])

  // Viewers in card, viewer and day order, a page at a time: each viewer's days are linked as they come.
  let last: { card_id: string; viewer: string; day: string } | null = null
  for (;;) {
    let q = db
      .selectFrom('card_day_viewers')
      .select(['card_id', 'viewer', 'day'])
      .where('merchant_id', '=', merchantId)
      .orderBy('card_id')
      .orderBy('viewer')
      .orderBy('day')
      .limit(PAGE)
    if (last !== null) {
      const { card_id, viewer, day } = last
      q = q.where((eb) =>
        eb.or([
          eb('card_id', '>', card_id),
          eb.and([eb('card_id', '=', card_id), eb('viewer', '>', viewer)]),
          eb.and([eb('card_id', '=', card_id), eb('viewer', '=', viewer), eb('day', '>', day)]),
        ]),
      )
    }
    const page: { card_id: string; viewer: string; day: string }[] = await q.execute()
    if (page.length === 0) break
    for (const row of page) {
      const prev = last !== null && last.card_id === row.card_id && last.viewer === row.viewer ? last.day : ''
      addReachCount(reach, `${row.card_id}|view|${row.day}|${prev}`, 1)
      last = row
    }
  }
  const reachRows = [...reach].map(([k, people]) => {
    const [card_id, action, day, prev_day] = k.split('|')
    return { merchant_id: merchantId, card_id, action, day, prev_day, people }
  })
  await insertInBatches(db, 'card_reach', reachRows)
}

function addReachCount(reach: Map<string, number>, key: string, people: number): void {
  reach.set(key, (reach.get(key) ?? 0) + people)
}
