import type { Db } from '../../db/database.ts'
import { fromJson } from '../../db/database.ts'
import type { CouponsTable } from '../../db/schema.ts'
import type { CardTerms } from '../../domain/types.ts'

export type CouponRow = CouponsTable

export interface CouponWithTerms {
  coupon: CouponRow
  terms: CardTerms
  /** Where it was redeemed, when it is. */
  redeemedStoreId: string | null
}

/** A coupon by its code's keyed hash, with the terms it was issued under: one indexed query. */
export async function findCouponByCodeHash(db: Db, merchantId: string, codeHash: string): Promise<CouponWithTerms | undefined> {
  const row = await db
    .selectFrom('coupons')
    .innerJoin('card_versions', (join) =>
      join.onRef('card_versions.merchant_id', '=', 'coupons.merchant_id').onRef('card_versions.id', '=', 'coupons.card_version_id'),
    )
    .leftJoin('redemptions', (join) =>
      join.onRef('redemptions.merchant_id', '=', 'coupons.merchant_id').onRef('redemptions.id', '=', 'coupons.redemption_id'),
    )
    .selectAll('coupons')
    .select(['card_versions.terms', 'redemptions.store_id as redeemed_store_id'])
    .where('coupons.merchant_id', '=', merchantId)
    .where('coupons.code_hash', '=', codeHash)
    .executeTakeFirst()
  if (!row) return undefined
  const { terms, redeemed_store_id, ...coupon } = row
  return { coupon, terms: fromJson<CardTerms>(terms), redeemedStoreId: redeemed_store_id }
}
