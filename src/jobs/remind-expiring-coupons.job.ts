import type { Job } from './runner.ts'
import type { AppContext } from '../app-context.ts'
import { fromJson } from '../db/database.ts'
import type { CardTerms } from '../domain/types.ts'
import { formatInstant } from '../domain/time.ts'
import { recordEvent } from '../features/events/events.repository.ts'
import { tellCustomer } from '../features/notifications/inbox.ts'

const BATCH = 200
const DAY = 86_400_000

/**
 * Reminds holders that a coupon expires soon: once its card's `remind_days_before` days before its last
 * valid second, while it is still available. Each coupon is reminded once: the conditional update that
 * sets `reminded_at`, the `coupon.expiring` event and the customer's notification share one transaction.
 */
export const remindExpiringCoupons: Job = {
  name: 'remind-expiring-coupons',
  async run(ctx, now) {
    // One query per setting in use (a handful: 1, 3, 7 days…), each an index range over coupons expiring within it.
    const settings = await ctx.database.db
      .selectFrom('cards')
      .select('remind_days_before')
      .distinct()
      .where('remind_days_before', 'is not', null)
      .execute()
    let handled = 0
    for (const { remind_days_before: days } of settings) handled += await remindBatch(ctx, days as number, now)
    return handled
  },
}

async function remindBatch(ctx: AppContext, days: number, now: number): Promise<number> {
  return ctx.database.db.transaction().execute(async (tx) => {
    const due = await tx
      .selectFrom('coupons')
      .innerJoin('cards', (join) => join.onRef('cards.merchant_id', '=', 'coupons.merchant_id').onRef('cards.id', '=', 'coupons.card_id'))
      .innerJoin('card_versions', (join) =>
        join.onRef('card_versions.merchant_id', '=', 'coupons.merchant_id').onRef('card_versions.id', '=', 'coupons.card_version_id'),
      )
      .innerJoin('merchants', 'merchants.id', 'coupons.merchant_id')
      .select(['coupons.merchant_id', 'coupons.id', 'coupons.card_id', 'coupons.user_id', 'coupons.valid_until', 'card_versions.terms', 'merchants.timezone', 'merchants.language'])
      .where('coupons.state', '=', 'available')
      .where('coupons.reminded_at', 'is', null)
      // Still valid (its last valid second has not passed) and within the reminder window.
      .where('coupons.valid_until', '>', now - 1000)
      .where('coupons.valid_until', '<=', now + days * DAY)
      .where('cards.remind_days_before', '=', days)
      .orderBy('coupons.valid_until')
      .limit(BATCH)
      .execute()
    let reminded = 0
    for (const coupon of due) {
      const marked = await tx
        .updateTable('coupons')
        .set({ reminded_at: now })
        .where('merchant_id', '=', coupon.merchant_id)
        .where('id', '=', coupon.id)
        .where('state', '=', 'available')
        .where('reminded_at', 'is', null)
        .executeTakeFirst()
      if (Number(marked.numUpdatedRows) !== 1) continue
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
