import type { Job } from './runner.ts'
import { recordCouponExpired } from '../features/coupons/coupon-expiry.ts'

const BATCH = 500

/**
 * Writes down that coupons past their last valid second are expired, with a `coupon.expired` event each.
 * Reads already treat them as expired; this makes the state and the event durable.
 */
export const expireCoupons: Job = {
  name: 'expire-coupons',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      const due = await tx
        .selectFrom('coupons')
        .innerJoin('merchants', 'merchants.id', 'coupons.merchant_id')
        .select(['coupons.merchant_id', 'coupons.id', 'coupons.card_id', 'coupons.user_id', 'coupons.valid_until', 'merchants.timezone'])
        .where('coupons.state', '=', 'available')
        .where('coupons.valid_until', '<=', now - 1000)
        .orderBy('coupons.valid_until')
        .limit(BATCH)
        .execute()
      let expired = 0
      for (const coupon of due) {
        const updated = await tx
          .updateTable('coupons')
          .set({ state: 'expired', updated_at: now })
          .where('merchant_id', '=', coupon.merchant_id)
          .where('id', '=', coupon.id)
          .where('state', '=', 'available')
          .executeTakeFirst()
        if (Number(updated.numUpdatedRows) !== 1) continue
        expired++
        await recordCouponExpired(tx, coupon, coupon.timezone, now)
      }
      return expired
    })
  },
}
