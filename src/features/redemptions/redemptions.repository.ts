import type { Database, Db } from '../../db/database.ts'
import { runStatement, statement } from '../../db/statements.ts'
import { COUPON_COLUMNS, type CouponRow } from '../coupons/coupons.repository.ts'
import type { outboxRow } from '../events/events.repository.ts'
import type { RedemptionsTable } from './redemptions.table.ts'

export type RedemptionRow = RedemptionsTable
type OutboxRow = ReturnType<typeof outboxRow>

const REDEMPTION_COLUMNS = 'id, merchant_id, coupon_id, card_id, store_id, api_key_id, staff_id, channel, order_amount, discount_amount, redeemed_at, request_ref'

/**
 * The coupon, the redemption and the event in one statement; no row when the coupon was no longer available.
 * PostgreSQL runs the parts the final select does not read last to first, so the counter rows are taken in
 * the order merchant_claim_days, the merchant's person and reach rows, the card's, card_activity_days: a
 * reversal's transaction (stats countReversed) takes them in that order too.
 */
const REDEEM_AT_ONCE = statement(`
  with redeemed as (
    update coupons set state = 'redeemed', redeemed_at = ?::bigint, redemption_id = ?::text, updated_at = ?::bigint
    where merchant_id = ?::text and id = ?::text and state = 'available'
    returning ${COUPON_COLUMNS.join(', ')}
  ), recorded as (
    insert into redemptions (${REDEMPTION_COLUMNS})
    select ?::text, merchant_id, id, card_id, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::bigint, ?::text from redeemed
  ), announced as (
    insert into events (id, merchant_id, type, data, created_at)
    select ?::text, merchant_id, ?::text, ?::jsonb, ?::bigint from redeemed
  ), counted as (
    insert into card_activity_days (merchant_id, card_id, day, channel, channel_tag, campaign, issued, voided, claims_kept, redeemed, reversed, redemptions_kept, discount_amount, order_amount, discount_kept, order_kept)
    select merchant_id, card_id, ?::text, source, coalesce(channel_tag, ''), coalesce(campaign, ''), 0, 0, 0, 1, 0, 1, ?::bigint, ?::bigint, ?::bigint, ?::bigint from redeemed
    on conflict (merchant_id, card_id, day, channel, channel_tag, campaign) do update set
      redeemed = card_activity_days.redeemed + 1, redemptions_kept = card_activity_days.redemptions_kept + 1,
      discount_amount = card_activity_days.discount_amount + excluded.discount_amount, order_amount = card_activity_days.order_amount + excluded.order_amount,
      discount_kept = card_activity_days.discount_kept + excluded.discount_kept, order_kept = card_activity_days.order_kept + excluded.order_kept
  ), person as (
    insert into card_person_days (merchant_id, card_id, action, person, day, n)
    select merchant_id, card_id, 'redeem', user_id, ?::text, 1 from redeemed
    on conflict (merchant_id, card_id, action, person, day) do update set n = card_person_days.n + 1
    returning merchant_id, card_id, person, day, n
  ), reached as (
    insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
    select p.merchant_id, p.card_id, 'redeem', c.day, c.prev_day, c.people from person p
    cross join lateral (
      select coalesce(max(d.day) filter (where d.day < p.day), '') as prev, min(d.day) filter (where d.day > p.day) as next from card_person_days d
      where d.merchant_id = p.merchant_id and d.card_id = p.card_id and d.action = 'redeem' and d.person = p.person and d.day <> p.day and d.n > 0
    ) around
    cross join lateral (values (p.day, around.prev, 1), (around.next, around.prev, -1), (around.next, p.day, 1)) as c (day, prev_day, people)
    where p.n = 1 and c.day is not null
    on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + excluded.people
  ), all_person as (
    insert into card_person_days (merchant_id, card_id, action, person, day, n)
    select merchant_id, '', 'redeem', user_id, ?::text, 1 from redeemed
    on conflict (merchant_id, card_id, action, person, day) do update set n = card_person_days.n + 1
    returning merchant_id, person, day, n
  ), all_reached as (
    insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
    select p.merchant_id, '', 'redeem', c.day, c.prev_day, c.people from all_person p
    cross join lateral (
      select coalesce(max(d.day) filter (where d.day < p.day), '') as prev, min(d.day) filter (where d.day > p.day) as next from card_person_days d
      where d.merchant_id = p.merchant_id and d.card_id = '' and d.action = 'redeem' and d.person = p.person and d.day <> p.day and d.n > 0
    ) around
    cross join lateral (values (p.day, around.prev, 1), (around.next, around.prev, -1), (around.next, p.day, 1)) as c (day, prev_day, people)
    where p.n = 1 and c.day is not null
    on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + excluded.people
  ), claim_day as (
    insert into merchant_claim_days (merchant_id, day, redeemed)
    select merchant_id, ?::text, 1 from redeemed
    on conflict (merchant_id, day) do update set redeemed = merchant_claim_days.redeemed + 1
  )
  select ${COUPON_COLUMNS.join(', ')} from redeemed`)

/** Where the engine cannot write several tables in one statement (inside the transaction): the same write as three. */
const MARK_REDEEMED = statement(`update coupons set state = 'redeemed', redeemed_at = ?, redemption_id = ?, updated_at = ? where merchant_id = ? and id = ? and state = 'available' returning id`)
const INSERT_REDEMPTION = statement(`insert into redemptions (${REDEMPTION_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
const INSERT_EVENT = statement('insert into events (id, merchant_id, type, data, created_at) values (?, ?, ?, ?, ?)')

/** Whether a redemption's write is one statement on this database, and so needs no transaction around it. */
export function redeemsAtOnce(database: Database): boolean {
  return database.writeAtOnce !== undefined
}

/**
 * Marks the coupon `read` redeemed, if it is still available, and inserts the redemption and its event
 * with it; without `tx` only where redeemsAtOnce. Answers the redeemed coupon, or undefined when another
 * redemption took the coupon since it was read (then nothing is written). Where the write is one
 * statement, that statement also counts the redemption in the card's statistics of `counted.day` (its
 * local day: the redemption, and the redeemer when it is their first of the card, or of any card ('', the
 * merchant's), that day, relinking their next active day if they have a later one, see domain/reach.ts
 * reachOnAdd) and one more of the claims of `counted.issuedDay` (the coupon's) redeemed; elsewhere the
 * caller counts it in the same transaction (stats countRedeemed).
 */
export async function insertRedemption(database: Database, read: CouponRow, r: RedemptionRow, event: OutboxRow, counted: { day: string; issuedDay: string }, tx?: Db): Promise<CouponRow | undefined> {
  const { day } = counted
  if (database.writeAtOnce) {
    const order = r.order_amount ?? 0
    const [coupon] = await database.writeAtOnce<CouponRow>(REDEEM_AT_ONCE, [
      r.redeemed_at, r.id, r.redeemed_at, r.merchant_id, r.coupon_id,
      r.id, r.store_id, r.api_key_id, r.staff_id, r.channel, r.order_amount, r.discount_amount, r.redeemed_at, r.request_ref,
      event.id, event.type, event.data, event.created_at,
      day, r.discount_amount, order, r.discount_amount, order,
      day,
      day,
      counted.issuedDay,
    ], tx)
    return coupon
  }
  if (tx === undefined) throw new Error('a redemption is written in a transaction on this database')
  const [updated] = await runStatement(database, MARK_REDEEMED, [r.redeemed_at, r.id, r.redeemed_at, r.merchant_id, r.coupon_id], tx)
  if (!updated) return undefined
  await runStatement(database, INSERT_REDEMPTION, [r.id, r.merchant_id, r.coupon_id, r.card_id, r.store_id, r.api_key_id, r.staff_id, r.channel, r.order_amount, r.discount_amount, r.redeemed_at, r.request_ref], tx)
  await runStatement(database, INSERT_EVENT, [event.id, event.merchant_id, event.type, event.data, event.created_at], tx)
  // Read in this same transaction, so the rest of the row is as read.
  return { ...read, state: 'redeemed', redeemed_at: r.redeemed_at, redemption_id: r.id, updated_at: r.redeemed_at }
}

export function findRedemption(db: Db, merchantId: string, redemptionId: string): Promise<RedemptionRow | undefined> {
  return db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('id', '=', redemptionId).executeTakeFirst()
}

/** The redemption an Idempotency-Key request made. */
export function findRedemptionByRequest(db: Db, merchantId: string, requestRef: string): Promise<RedemptionRow | undefined> {
  return db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
}

/** The redemption, if an Idempotency-Key request reversed it. */
export function findRedemptionReversedBy(db: Db, merchantId: string, redemptionId: string, requestRef: string): Promise<RedemptionRow | undefined> {
  return db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('reversal_request_ref', '=', requestRef).where('id', '=', redemptionId).executeTakeFirst()
}

/** The coupon a redemption redeemed. */
export function findRedeemedCoupon(db: Db, merchantId: string, couponId: string): Promise<CouponRow> {
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', couponId).executeTakeFirstOrThrow()
}

/** The encrypted code of the coupon a redemption redeemed. */
export async function findRedeemedCode(db: Db, merchantId: string, couponId: string): Promise<string> {
  return (await db.selectFrom('coupons').select('code_enc').where('merchant_id', '=', merchantId).where('id', '=', couponId).executeTakeFirstOrThrow()).code_enc
}

/** A page of redemptions, newest first, before the cursor's id, each with its coupon's encrypted code. */
export function listRedemptions(
  db: Db,
  merchantId: string,
  filter: { storeId: string | null; cardId: string | null },
  before: string | null,
  limit: number,
): Promise<(RedemptionRow & { code_enc: string })[]> {
  let q = db
    .selectFrom('redemptions')
    .innerJoin('coupons', (join) => join.onRef('coupons.merchant_id', '=', 'redemptions.merchant_id').onRef('coupons.id', '=', 'redemptions.coupon_id'))
    .selectAll('redemptions')
    .select('coupons.code_enc')
    .where('redemptions.merchant_id', '=', merchantId)
  if (filter.storeId) q = q.where('redemptions.store_id', '=', filter.storeId)
  if (filter.cardId) q = q.where('redemptions.card_id', '=', filter.cardId)
  if (before) q = q.where('redemptions.id', '<', before)
  return q.orderBy('redemptions.id', 'desc').limit(limit).execute()
}

/** Marks a redemption reversed, if it is not yet; undefined when it already was. */
export function markReversed(tx: Db, merchantId: string, redemptionId: string, reversal: { now: number; reason: string | null; requestRef: string | null }): Promise<RedemptionRow | undefined> {
  return tx
    .updateTable('redemptions')
    .set({ reversed_at: reversal.now, reversal_reason: reversal.reason, reversal_request_ref: reversal.requestRef })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', redemptionId)
    .where('reversed_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

/** Gives a reversed redemption's coupon back, in `state`. */
export function restoreCoupon(tx: Db, merchantId: string, couponId: string, redemptionId: string, state: 'available' | 'expired', now: number): Promise<CouponRow> {
  return tx
    .updateTable('coupons')
    .set({ state, redeemed_at: null, redemption_id: null, updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', couponId)
    .where('redemption_id', '=', redemptionId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The discount a store gave since an instant, reversed redemptions left out (index redemptions_store_time_idx). */
export async function discountGivenSince(db: Db, merchantId: string, storeId: string, since: number): Promise<number> {
  const row = await db
    .selectFrom('redemptions')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('discount_amount'), eb.lit(0)).as('given'))
    .where('merchant_id', '=', merchantId)
    .where('store_id', '=', storeId)
    .where('redeemed_at', '>=', since)
    .where('reversed_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.given)
}
