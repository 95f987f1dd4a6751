import type { Database, Db } from '../../db/database.ts'
import { runStatement, statement, type Statement } from '../../db/statements.ts'
import type { CodeType } from '../cards/cards.table.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import type { CouponSource, CouponState } from '../coupons/coupons.table.ts'

/** How each of these cards shows its coupons' codes (qrcode, barcode or text), by card id. */
export async function cardCodeTypes(db: Db, merchantId: string, cardIds: string[]): Promise<Map<string, CodeType>> {
  if (cardIds.length === 0) return new Map()
  const cards = await db.selectFrom('cards').select(['id', 'code_type']).where('merchant_id', '=', merchantId).where('id', 'in', cardIds).execute()
  return new Map(cards.map((c) => [c.id, c.code_type]))
}

export interface StoreSummary {
  id: string
  name: string
  address: string | null
  latitude: number | null
  longitude: number | null
}

/** The stores a card names, in the card's order (ids of stores since removed are left out). */
export async function storesOf(db: Db, merchantId: string, storeIds: string[]): Promise<StoreSummary[]> {
  if (storeIds.length === 0) return []
  const rows = await db
    .selectFrom('stores')
    .select(['id', 'name', 'address', 'latitude', 'longitude'])
    .where('merchant_id', '=', merchantId)
    .where('id', 'in', storeIds)
    .execute()
  const byId = new Map(rows.map((row) => [row.id, row]))
  return storeIds.flatMap((id) => byId.get(id) ?? [])
}

/** What the wallet's list shows of a coupon, with its card's code type (one row per coupon). */
export interface WalletListRow {
  id: string
  card_id: string
  card_version_id: string
  state: CouponState
  source: CouponSource
  valid_from: number
  valid_until: number
  issued_at: number
  redeemed_at: number | null
  unlock_after_friends: number | null
  code_type: CodeType | null
}

export interface WalletListQuery {
  /** The state they read as at `now` (any when absent). */
  state?: CouponState
  now: number
  /** Soonest-expiring first, after this (valid_until, id) pair; only with state `available`. */
  after?: { validUntil: number; id: string } | null
  /** Newest first, below this id. */
  before?: string | null
  limit: number
}

const LIST_COLUMNS = 'c.id, c.card_id, c.card_version_id, c.state, c.source, c.valid_from, c.valid_until, c.issued_at, c.redeemed_at, c.unlock_after_friends, k.code_type'
const listStatements = new Map<string, Statement>()

/**
 * The list's statement for one shape of query (ordering, state filter, cursor), written once and, on
 * PostgreSQL, prepared once per connection: the coupons and their cards' code types in one indexed read
 * (coupons_user_idx), only the columns the list shows.
 */
function listStatement(shape: { byExpiry: boolean; filter: 'any' | 'unexpired' | 'expired' | 'state'; cursor: boolean }): Statement {
  const key = `${shape.byExpiry}/${shape.filter}/${shape.cursor}`
  let st = listStatements.get(key)
  if (st) return st
  // Coupons their holder removed are gone from the wallet whatever the state asked for.
  const where = ['c.merchant_id = ?', 'c.user_id = ?', "coalesce(c.voided_by, '') <> 'holder'"]
  // valid_until is the last valid second: a coupon reads expired from valid_until + 1 s on (couponStateFilter).
  if (shape.filter === 'unexpired') where.push('c.state = ?', 'c.valid_until > ?')
  if (shape.filter === 'expired') where.push("(c.state = 'expired' or (c.state in ('available', 'locked') and c.valid_until <= ?))")
  if (shape.filter === 'state') where.push('c.state = ?')
  if (shape.cursor) where.push(shape.byExpiry ? '(c.valid_until > ? or (c.valid_until = ? and c.id > ?))' : 'c.id < ?')
  const order = shape.byExpiry ? 'c.valid_until, c.id' : 'c.id desc'
  st = statement(`
    select ${LIST_COLUMNS} from coupons c
    left join cards k on k.merchant_id = c.merchant_id and k.id = c.card_id
    where ${where.join(' and ')}
    order by ${order} limit ?`)
  listStatements.set(key, st)
  return st
}

/**
 * A page of a user's coupons that read as `query.state` at `now`: with `after`, soonest-expiring first
 * (ordered by (valid_until, id), the state must be `available`), otherwise newest first.
 */
export async function listWalletRows(database: Database, merchantId: string, userId: string, query: WalletListQuery): Promise<WalletListRow[]> {
  const byExpiry = query.after !== undefined
  const lastValidSecond = query.now - 1000
  const { state } = query
  const filter = state === undefined ? 'any' : state === 'available' || state === 'locked' ? 'unexpired' : state === 'expired' ? 'expired' : 'state'
  const parameters: unknown[] = [merchantId, userId]
  if (filter === 'unexpired') parameters.push(state, lastValidSecond)
  if (filter === 'expired') parameters.push(lastValidSecond)
  if (filter === 'state') parameters.push(state)
  const { after, before } = query
  const cursor = byExpiry ? after !== null && after !== undefined : before !== null && before !== undefined
  if (after) parameters.push(after.validUntil, after.validUntil, after.id)
  else if (before) parameters.push(before)
  parameters.push(query.limit)
  return runStatement<WalletListRow>(database, listStatement({ byExpiry, filter, cursor }), parameters)
}

/** One of the user's own coupons; undefined for anyone else's. */
export async function findUserCoupon(db: Db, merchantId: string, userId: string, couponId: string): Promise<CouponRow | undefined> {
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', couponId).where('user_id', '=', userId).executeTakeFirst()
}
