import type { Job } from './runner.ts'
import { recordEvent } from '../features/events/events.repository.ts'

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
        .select(['merchant_id', 'id', 'card_id', 'user_id', 'valid_until'])
        .where('state', '=', 'available')
        .where('valid_until', '<=', now - 1000)
        .orderBy('valid_until')
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
        await recordEvent(tx, {
          merchantId: coupon.merchant_id,
          type: 'coupon.expired',
          data: { coupon_id: coupon.id, card_id: coupon.card_id, user_id: coupon.user_id, valid_until: new Date(coupon.valid_until).toISOString() },
          now,
        })
      }
      return expired
    })
  },
}
