import { sql } from 'kysely'
import type { Db } from '../../db/database.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'

/**
 * Set-based writes for bulk issuing: one statement per batch of rows, never an SQL error for a business
 * outcome (a refused row is a row the conditional statement did not return), so one refusal never aborts
 * the batch's transaction.
 */

export interface CardKey {
  merchantId: string
  cardId: string
}

/** The merchant (and its time zone) that owns a card: for the operator's CLI, which starts from a card id alone. */
export async function findCardOwner(db: Db, cardId: string, merchantId?: string): Promise<{ merchantId: string; merchantTz: string } | undefined> {
  let query = db
    .selectFrom('cards')
    .innerJoin('merchants', 'merchants.id', 'cards.merchant_id')
    .select(['cards.merchant_id', 'merchants.timezone'])
    .where('cards.id', '=', cardId)
  if (merchantId !== undefined) query = query.where('cards.merchant_id', '=', merchantId)
  const row = await query.executeTakeFirst()
  return row && { merchantId: row.merchant_id, merchantTz: row.timezone }
}

/** Coupons already holding these source references: what an earlier run of the same upload issued. */
export async function findIssuedRefs(tx: Db, merchantId: string, refs: string[]): Promise<Map<string, { card_id: string; user_id: string }>> {
  if (refs.length === 0) return new Map()
  const rows = await tx
    .selectFrom('coupons')
    .select(['source_ref', 'card_id', 'user_id'])
    .where('merchant_id', '=', merchantId)
    .where('source_ref', 'in', refs)
    .execute()
  return new Map(rows.map((row) => [row.source_ref as string, row]))
}

/**
 * Counts one more coupon against each user's allowance, for the users still under `getLimit`; returns them.
 * Each user at most once per call (PostgreSQL cannot upsert one row twice in a statement), in a fixed order
 * so that concurrent runs lock allowances in the same order and never deadlock.
 */
export async function takeAllowances(tx: Db, card: CardKey, getLimit: number, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set()
  const ordered = [...userIds].sort()
  const rows = await tx
    .insertInto('card_user_claims')
    .values(ordered.map((user_id) => ({ merchant_id: card.merchantId, card_id: card.cardId, user_id, claimed: 1 })))
    .onConflict((oc) =>
      oc
        .columns(['merchant_id', 'card_id', 'user_id'])
        .doUpdateSet({ claimed: sql`card_user_claims.claimed + 1` })
        .where('card_user_claims.claimed', '<', getLimit),
    )
    .returning('user_id')
    .execute()
  return new Set(rows.map((row) => row.user_id))
}

/** How many coupons of the card each of these users has taken so far. */
export async function readClaims(tx: Db, card: CardKey, userIds: string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map()
  const rows = await tx
    .selectFrom('card_user_claims')
    .select(['user_id', 'claimed'])
    .where('merchant_id', '=', card.merchantId)
    .where('card_id', '=', card.cardId)
    .where('user_id', 'in', [...new Set(userIds)])
    .execute()
  return new Map(rows.map((row) => [row.user_id, row.claimed]))
}

/** Gives back allowances taken for rows that were not issued after all: `counts` maps a user to how many. */
export async function giveBackAllowances(tx: Db, card: CardKey, counts: Map<string, number>): Promise<void> {
  const usersByCount = new Map<number, string[]>()
  for (const [userId, count] of counts) usersByCount.set(count, [...(usersByCount.get(count) ?? []), userId])
  for (const [count, userIds] of usersByCount) {
    await tx
      .updateTable('card_user_claims')
      .set({ claimed: sql`claimed - ${count}` })
      .where('merchant_id', '=', card.merchantId)
      .where('card_id', '=', card.cardId)
      .where('user_id', 'in', userIds)
      .execute()
  }
}

export interface StockTaken {
  taken: number
  /** Stock left right after this take (meaningful when something was taken). */
  stockRemaining: number
  /** False when the card stopped issuing (paused or ended) since the batch read it. */
  active: boolean
}

/**
 * Takes up to `wanted` from the card's stock in one conditional update, as much as is left when that is
 * less. A concurrent issue can change the stock between our read and our write; the condition catches that
 * and we read again.
 */
export async function takeStock(tx: Db, card: CardKey, wanted: number, now: number): Promise<StockTaken> {
  let want = wanted
  while (want > 0) {
    const taken = await tx
      .updateTable('cards')
      .set((eb) => ({ stock_remaining: eb('stock_remaining', '-', want), issued_count: eb('issued_count', '+', want), updated_at: now }))
      .where('merchant_id', '=', card.merchantId)
      .where('id', '=', card.cardId)
      .where('status', '=', 'active')
      .where('stock_remaining', '>=', want)
      .returning('stock_remaining')
      .executeTakeFirst()
    if (taken) return { taken: want, stockRemaining: taken.stock_remaining, active: true }
    const current = await readStock(tx, card)
    if (current.status !== 'active') return { taken: 0, stockRemaining: current.stock_remaining, active: false }
    want = Math.min(want, current.stock_remaining)
  }
  return { taken: 0, stockRemaining: 0, active: true }
}

async function readStock(tx: Db, card: CardKey): Promise<{ status: string; stock_remaining: number }> {
  return tx
    .selectFrom('cards')
    .select(['status', 'stock_remaining'])
    .where('merchant_id', '=', card.merchantId)
    .where('id', '=', card.cardId)
    .executeTakeFirstOrThrow()
}

/** Returns stock taken for coupons that were not issued after all. */
export async function giveBackStock(tx: Db, card: CardKey, count: number, now: number): Promise<void> {
  if (count === 0) return
  await tx
    .updateTable('cards')
    .set((eb) => ({ stock_remaining: eb('stock_remaining', '+', count), issued_count: eb('issued_count', '-', count), updated_at: now }))
    .where('merchant_id', '=', card.merchantId)
    .where('id', '=', card.cardId)
    .execute()
}

/**
 * Inserts the coupons, skipping any that clash on a unique key (a code drawn twice, or a source reference
 * another run of the same upload stored first); returns the ids inserted.
 */
export async function insertCoupons(tx: Db, coupons: CouponRow[]): Promise<Set<string>> {
  const ids = new Set<string>()
  if (coupons.length === 0) return ids
  for (const chunk of chunkRows(coupons, Object.keys(coupons[0]).length)) {
    const rows = await tx
      .insertInto('coupons')
      .values(chunk)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute()
    for (const row of rows) ids.add(row.id)
  }
  return ids
}

/** Values one statement binds at most: under SQLite's 32,766 (PostgreSQL allows 65,535). */
const MAX_BOUND_VALUES = 30_000

/** `rows` cut into runs that one multi-row statement of `columns` values per row can bind. */
export function chunkRows<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_BOUND_VALUES / columns))
  const chunks: T[][] = []
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size))
  return chunks
}

