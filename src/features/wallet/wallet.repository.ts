import type { Db } from '../../db/database.ts'
import type { CodeType } from '../cards/cards.table.ts'
import { couponStateFilter, type CouponRow } from '../coupons/coupons.repository.ts'
import type { CouponState } from '../coupons/coupons.table.ts'

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

/**
 * A page of a user's coupons that read as `state` at `now`, soonest-expiring first: ordered by
 * (valid_until, id), after the cursor's pair.
 */
export async function listUserCouponsByExpiry(
  db: Db,
  merchantId: string,
  userId: string,
  query: { state: CouponState; now: number; after: { validUntil: number; id: string } | null; limit: number },
): Promise<CouponRow[]> {
  let q = db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId).where(couponStateFilter(query.state, query.now))
  const { after } = query
  if (after) q = q.where((eb) => eb.or([eb('valid_until', '>', after.validUntil), eb.and([eb('valid_until', '=', after.validUntil), eb('id', '>', after.id)])]))
  return q.orderBy('valid_until').orderBy('id').limit(query.limit).execute()
}

/** One of the user's own coupons; undefined for anyone else's. */
export async function findUserCoupon(db: Db, merchantId: string, userId: string, couponId: string): Promise<CouponRow | undefined> {
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', couponId).where('user_id', '=', userId).executeTakeFirst()
}
