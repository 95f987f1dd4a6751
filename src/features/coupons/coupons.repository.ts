import { sql, type ExpressionBuilder, type ExpressionWrapper, type SqlBool } from 'kysely'
import type { Database, Db } from '../../db/database.ts'
import { columnList, runStatement, statement } from '../../db/statements.ts'
import type { DB } from '../../db/schema.ts'
import type { CardTerms } from '../../domain/types.ts'
import { findVersionTerms, type CardRow, type CardWithTerms } from '../cards/cards.repository.ts'
import type { CouponsTable, CouponState } from './coupons.table.ts'

export type CouponRow = CouponsTable

export interface CouponWithTerms {
  coupon: CouponRow
  /** The coupon's code, in canonical form. */
  code: string
  terms: CardTerms
  /** Where it was redeemed, when it is. */
  redeemedStoreId: string | null
}

export interface StoreRef {
  id: string
  timezone: string
}

/** Every column of a coupon, named (hand-written statements never select `*`). */
export const COUPON_COLUMNS = [
  'id', 'merchant_id', 'card_id', 'card_version_id', 'code_hash', 'code_enc', 'user_id', 'state', 'source', 'source_ref',
  'valid_from', 'valid_until', 'issued_at', 'redeemed_at', 'redemption_id', 'voided_at', 'updated_at', 'reminded_at', 'gifted_by',
  'channel_tag', 'campaign', 'shared_by', 'unlock_after_friends',
] as const satisfies readonly (keyof CouponRow)[]
// A column added to the table must be added to the list above.
const everyColumnListed: Exclude<keyof CouponRow, (typeof COUPON_COLUMNS)[number]> extends never ? true : never = true
void everyColumnListed

/** The coupon and the store named (if the merchant has it). */
const COUPON_BY_CODE = statement(`
  select ${columnList('c', COUPON_COLUMNS)}, s.id as found_store_id, s.timezone as found_store_timezone
  from coupons c
  left join stores s on s.merchant_id = c.merchant_id and s.id = ?
  where c.merchant_id = ? and c.code_hash = ?`)

/**
 * Where a redeemed coupon was redeemed: a statement of its own, read only for a redeemed coupon. (Joined
 * into the lookup, PostgreSQL's plan for it, made once per connection while the table was still empty,
 * scanned the whole table.)
 */
const REDEEMED_STORE = statement('select store_id from redemptions where merchant_id = ? and id = ?')

type CouponByCodeRow = CouponRow & { found_store_id: string | null; found_store_timezone: string | null }

/**
 * A coupon by its code's keyed hash, with the terms it was issued under and where it was redeemed: one
 * indexed query (two for a redeemed coupon), the terms coming from memory once read. Given a store id,
 * the same query reads that store too (`store` is null when the merchant has no such store), so a
 * redemption reads all it needs at once.
 * Pass `tx` to read inside a transaction.
 */
export async function findCouponByCodeHash(
  database: Database,
  merchantId: string,
  codeHash: string,
  code: string,
  storeId: string | null = null,
  tx?: Db,
): Promise<(CouponWithTerms & { store: StoreRef | null }) | undefined> {
  const [row] = await runStatement<CouponByCodeRow>(database, COUPON_BY_CODE, [storeId ?? '', merchantId, codeHash], tx)
  if (!row) return undefined
  const { found_store_id, found_store_timezone } = row
  // Copied column by column: a rest pattern over a row this wide cost more than the query's own work.
  const coupon: Record<string, unknown> = {}
  for (const column of COUPON_COLUMNS) coupon[column] = row[column]
  const terms = (await findVersionTerms(tx ?? database.db, merchantId, [row.card_version_id])).get(row.card_version_id)
  if (!terms) throw new Error(`coupon ${row.id} has no card version ${row.card_version_id}`)
  const redeemedStoreId = row.redemption_id === null ? null : ((await runStatement<{ store_id: string | null }>(database, REDEEMED_STORE, [merchantId, row.redemption_id], tx))[0]?.store_id ?? null)
  const store = found_store_id === null || found_store_timezone === null ? null : { id: found_store_id, timezone: found_store_timezone }
  return { coupon: coupon as unknown as CouponRow, code, terms, redeemedStoreId, store }
}

/** Every column of a card, named. */
const CARD_COLUMNS = [
  'id', 'merchant_id', 'type', 'status', 'version', 'stock_remaining', 'issued_count', 'get_limit', 'code_type', 'created_at', 'updated_at',
  'stock_low_threshold', 'stock_low_at', 'remind_days_before', 'request_ref', 'share_rewards', 'code_format', 'unlock_after_friends',
] as const satisfies readonly (keyof CardRow)[]
const everyCardColumnListed: Exclude<keyof CardRow, (typeof CARD_COLUMNS)[number]> extends never ? true : never = true
void everyCardColumnListed

/** The card, its current version and how many of its coupons the user holds, in one read. */
const CARD_FOR_ISSUE = statement(`
  select ${columnList('k', CARD_COLUMNS)}, v.id as found_version_id,
    (select u.claimed from card_user_claims u where u.merchant_id = k.merchant_id and u.card_id = k.id and u.user_id = ?) as found_claimed
  from cards k
  join card_versions v on v.merchant_id = k.merchant_id and v.card_id = k.id and v.version = k.version
  where k.merchant_id = ? and k.id = ?`)

/**
 * What an issue reads before it decides: the card with its current terms (from memory once read), and how
 * many coupons of it the user has been issued (what counts against get_limit): one indexed query, so a
 * refusal (sold out, limit reached) needs no other.
 */
export async function findCardForIssue(database: Database, merchantId: string, cardId: string, userId: string): Promise<(CardWithTerms & { claimed: number }) | undefined> {
  const [row] = await runStatement<CardRow & { found_version_id: string; found_claimed: number | null }>(database, CARD_FOR_ISSUE, [userId, merchantId, cardId])
  if (!row) return undefined
  const card: Record<string, unknown> = {}
  for (const column of CARD_COLUMNS) card[column] = row[column]
  const versionId = row.found_version_id
  const terms = (await findVersionTerms(database.db, merchantId, [versionId])).get(versionId)
  if (!terms) throw new Error(`card ${cardId} has no version ${versionId}`)
  return { card: card as unknown as CardRow, versionId, terms, claimed: Number(row.found_claimed ?? 0) }
}

/** The coupon a source reference (an issue's idempotency reference) issued, if any. */
export async function findCouponBySourceRef(db: Db, merchantId: string, sourceRef: string): Promise<CouponRow | undefined> {
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('source_ref', '=', sourceRef).executeTakeFirst()
}

/**
 * Counts one more coupon of the card against the user's allowance, unless `limit` (the card's get_limit)
 * is already reached: one conditional upsert, so parallel issues can never pass the limit. No limit
 * (null) counts it anyway. False when the limit was reached and nothing was written.
 */
export async function takeFromAllowance(tx: Db, merchantId: string, cardId: string, userId: string, limit: number | null): Promise<boolean> {
  const allowance = await tx
    .insertInto('card_user_claims')
    .values({ merchant_id: merchantId, card_id: cardId, user_id: userId, claimed: 1 })
    .onConflict((oc) => {
      const counted = oc.columns(['merchant_id', 'card_id', 'user_id']).doUpdateSet({ claimed: sql`card_user_claims.claimed + 1` })
      return limit === null ? counted : counted.where('card_user_claims.claimed', '<', limit)
    })
    .returning('claimed')
    .executeTakeFirst()
  return allowance !== undefined
}

/** Counts a coupon issued from stock held for it (the stock was taken when it was held); the stock left. */
export async function countHeldIssue(tx: Db, merchantId: string, cardId: string, now: number): Promise<number> {
  const card = await tx
    .updateTable('cards')
    .set((eb) => ({ issued_count: eb('issued_count', '+', 1), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', cardId)
    .returning('stock_remaining')
    .executeTakeFirstOrThrow()
  return card.stock_remaining
}

/** Gives back one coupon of the user's allowance of the card (a group they were in failed). */
export async function giveBackAllowance(tx: Db, merchantId: string, cardId: string, userId: string): Promise<void> {
  await tx
    .updateTable('card_user_claims')
    .set((eb) => ({ claimed: eb('claimed', '-', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('user_id', '=', userId)
    .where('claimed', '>', 0)
    .execute()
}

/** How many coupons of the card the user has been issued (what counts against get_limit). */
export async function claimedCount(db: Db, merchantId: string, cardId: string, userId: string): Promise<number> {
  const claims = await db
    .selectFrom('card_user_claims')
    .select('claimed')
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return claims?.claimed ?? 0
}

/** Inserts a coupon; false, with nothing written, when the merchant already has a coupon with its code. */
export async function insertCouponUnlessCodeTaken(tx: Db, row: CouponRow): Promise<boolean> {
  const result = await tx
    .insertInto('coupons')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'code_hash']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

/** Voids the coupon if it is still stored as available (or locked, waiting for friends); the voided row, or undefined when it was not. */
export async function markCouponVoided(tx: Db, merchantId: string, couponId: string, now: number): Promise<CouponRow | undefined> {
  return tx
    .updateTable('coupons')
    .set({ state: 'voided', voided_at: now, updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', couponId)
    .where('state', 'in', ['available', 'locked'])
    .returningAll()
    .executeTakeFirst()
}

/**
 * A filter on the state a coupon reads as at `now`: a stored `available` (or `locked`) past its last valid
 * second is expired even before the expiry job has written that down.
 */
export function couponStateFilter(state: CouponState, now: number) {
  // valid_until is the last valid second: expired from valid_until + 1 s on.
  const lastValidSecond = now - 1000
  return (eb: ExpressionBuilder<DB, 'coupons'>): ExpressionWrapper<DB, 'coupons', SqlBool> => {
    if (state === 'available' || state === 'locked') return eb.and([eb('state', '=', state), eb('valid_until', '>', lastValidSecond)])
    if (state === 'expired') {
      return eb.or([eb('state', '=', 'expired'), eb.and([eb('state', 'in', ['available', 'locked']), eb('valid_until', '<=', lastValidSecond)])])
    }
    return eb('state', '=', state)
  }
}

export interface UserCouponsQuery {
  /** The state they read as at `now`. */
  state?: CouponState
  cardId?: string
  now: number
  /** The id the page starts below (newest first). */
  before: string | null
  limit: number
}

/** A page of a user's coupons with the merchant, newest first. */
export async function listUserCoupons(db: Db, merchantId: string, userId: string, query: UserCouponsQuery): Promise<CouponRow[]> {
  let q = db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId)
  if (query.state) q = q.where(couponStateFilter(query.state, query.now))
  if (query.cardId) q = q.where('card_id', '=', query.cardId)
  if (query.before) q = q.where('id', '<', query.before)
  return q.orderBy('id', 'desc').limit(query.limit).execute()
}
