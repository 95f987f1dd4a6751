import type { Database, Db } from '../../db/database.ts'
import { columnList, runStatement, statement } from '../../db/statements.ts'
import type { CouponsTable } from '../../db/schema.ts'
import type { CardTerms } from '../../domain/types.ts'
import { findVersionTerms } from '../cards/cards.repository.ts'

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
  'valid_from', 'valid_until', 'issued_at', 'redeemed_at', 'redemption_id', 'voided_at', 'updated_at', 'reminded_at',
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
