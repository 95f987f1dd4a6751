import type { Job } from './runner.ts'
import { recordCouponExpired } from '../features/coupons/coupon-expiry.ts'
import { couponsDueToExpire, markCouponExpired } from './jobs.repository.ts'

const BATCH = 500

/**
 * Writes down that coupons past their last valid second are expired, with a `coupon.expired` event each.
 * Reads already treat them as expired; this makes the state and the event durable.
 */
export const expireCoupons: Job = {
  name: 'expire-coupons',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      const due = await couponsDueToExpire(tx, now - 1000, BATCH)
      let expired = 0
      for (const coupon of due) {
        if (!(await markCouponExpired(tx, coupon.merchant_id, coupon.id, now))) continue
        expired++
        await recordCouponExpired(tx, coupon, coupon.timezone, now)
      }
      return expired
    })
  },
}
