import type { Db } from '../../db/database.ts'
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

/**
 * A coupon by its code's keyed hash, with the terms it was issued under: one indexed query, the terms
 * coming from memory once read; where it was redeemed is looked up only for a redeemed coupon. Given a
 * store id, the same query reads that store too (`store` is null when the merchant has no such store), so
 * a redemption reads all it needs at once.
 */
export async function findCouponByCodeHash(
  db: Db,
  merchantId: string,
  codeHash: string,
  code: string,
  storeId: string | null = null,
): Promise<(CouponWithTerms & { store: StoreRef | null }) | undefined> {
  const row = await db
    .selectFrom('coupons')
    .leftJoin('stores', (join) => join.onRef('stores.merchant_id', '=', 'coupons.merchant_id').on('stores.id', '=', storeId ?? ''))
    .selectAll('coupons')
    .select(['stores.id as found_store_id', 'stores.timezone as found_store_timezone'])
    .where('coupons.merchant_id', '=', merchantId)
    .where('coupons.code_hash', '=', codeHash)
    .executeTakeFirst()
  if (!row) return undefined
  const { found_store_id, found_store_timezone, ...coupon } = row
  const terms = (await findVersionTerms(db, merchantId, [coupon.card_version_id])).get(coupon.card_version_id)
  if (!terms) throw new Error(`coupon ${coupon.id} has no card version ${coupon.card_version_id}`)
  let redeemedStoreId: string | null = null
  if (coupon.redemption_id !== null) {
    const redemption = await db.selectFrom('redemptions').select('store_id').where('merchant_id', '=', merchantId).where('id', '=', coupon.redemption_id).executeTakeFirst()
    redeemedStoreId = redemption?.store_id ?? null
  }
  const store = found_store_id === null || found_store_timezone === null ? null : { id: found_store_id, timezone: found_store_timezone }
  return { coupon, code, terms, redeemedStoreId, store }
}
