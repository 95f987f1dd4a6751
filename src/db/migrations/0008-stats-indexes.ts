import { sql, type Kysely } from 'kysely'

/**
 * Indexes for the daily statistics roll-up, which counts a merchant's coupons issued and voided, and its
 * redemptions reversed, within one local day: without them each count read every coupon (or redemption)
 * the merchant ever had. Voids and reversals are rare, so those two indexes hold only the rows that have one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('coupons_issued_idx').on('coupons').columns(['merchant_id', 'issued_at']).execute()
  await db.schema.createIndex('coupons_voided_idx').on('coupons').columns(['merchant_id', 'voided_at']).where(sql.ref('voided_at'), 'is not', null).execute()
  await db.schema
    .createIndex('redemptions_reversed_idx')
    .on('redemptions')
    .columns(['merchant_id', 'reversed_at'])
    .where(sql.ref('reversed_at'), 'is not', null)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['redemptions_reversed_idx', 'coupons_voided_idx', 'coupons_issued_idx']) await db.schema.dropIndex(index).execute()
}
