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

/**
 * A coupon by its code's keyed hash, with the terms it was issued under: one indexed query, the terms
 * coming from memory once read; where it was redeemed is looked up only for a redeemed coupon.
 */
export async function findCouponByCodeHash(db: Db, merchantId: string, codeHash: string, code: string): Promise<CouponWithTerms | undefined> {
  const coupon = await db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('code_hash', '=', codeHash).executeTakeFirst()
  if (!coupon) return undefined
  const terms = (await findVersionTerms(db, merchantId, [coupon.card_version_id])).get(coupon.card_version_id)
  if (!terms) throw new Error(`coupon ${coupon.id} has no card version ${coupon.card_version_id}`)
  let redeemedStoreId: string | null = null
  if (coupon.redemption_id !== null) {
    const redemption = await db.selectFrom('redemptions').select('store_id').where('merchant_id', '=', merchantId).where('id', '=', coupon.redemption_id).executeTakeFirst()
    redeemedStoreId = redemption?.store_id ?? null
  }
  return { coupon, code, terms, redeemedStoreId }
}
