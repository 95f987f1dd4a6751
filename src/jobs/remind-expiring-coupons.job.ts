import type { Job } from './runner.ts'
import type { AppContext } from '../app-context.ts'
import { fromJson } from '../db/database.ts'
import type { CardTerms } from '../domain/types.ts'
import { formatInstant } from '../domain/time.ts'
import { recordEvent } from '../features/events/events.repository.ts'
import { tellCustomer } from '../features/notifications/inbox.ts'
import { listCouponsToRemind, listRemindDaysInUse, markCouponReminded } from '../features/coupons/coupon-reminders.repository.ts'

const BATCH = 200

/**
 * Reminds holders that a coupon expires soon: once its card's `remind_days_before` days before its last
 * valid second, while it is still available. Each coupon is reminded once: the conditional update that
 * sets `reminded_at`, the `coupon.expiring` event and the customer's notification share one transaction.
 */
export const remindExpiringCoupons: Job = {
  name: 'remind-expiring-coupons',
  async run(ctx, now) {
    // One query per setting in use (a handful: 1, 3, 7 days…), each an index range over coupons expiring within it.
    const settings = await listRemindDaysInUse(ctx.database.db)
    let handled = 0
    for (const days of settings) handled += await remindBatch(ctx, days, now)
    return handled
  },
}

async function remindBatch(ctx: AppContext, days: number, now: number): Promise<number> {
  return ctx.database.db.transaction().execute(async (tx) => {
    const due = await listCouponsToRemind(tx, days, now, BATCH)
    let reminded = 0
    for (const coupon of due) {
      if (!(await markCouponReminded(tx, coupon.merchant_id, coupon.id, now))) continue
      reminded++
      const validUntil = formatInstant(coupon.valid_until, coupon.timezone)
      const title = fromJson<CardTerms>(coupon.terms).title
      const data = { coupon_id: coupon.id, card_id: coupon.card_id, user_id: coupon.user_id, title, valid_until: validUntil, days_before: days }
      await recordEvent(tx, { merchantId: coupon.merchant_id, type: 'coupon.expiring', data, now })
      await tellCustomer(ctx.notifier, tx, {
        merchantId: coupon.merchant_id,
        userId: coupon.user_id,
        kind: 'coupon.expiring',
        params: { title, validUntil },
        data,
        language: coupon.language,
        dedupeKey: `coupon.expiring:${coupon.id}`,
        now,
      })
    }
    return reminded
  })
}
