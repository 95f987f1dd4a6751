import type { Job } from './runner.ts'
import { formatInstant } from '../domain/time.ts'
import { recordEvent } from '../features/events/events.repository.ts'
import { notifyPointsExpiring, type PointsExpiringData } from '../features/members/member-notices.ts'

const BATCH = 500

/**
 * Tells members ahead of time that points will expire (the card's `notice_days` before): one
 * `points.expiring` event and notification per member and expiry date, each lot announced once.
 */
export const notifyExpiringPoints: Job = {
  name: 'notify-expiring-points',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      const due = await tx
        .selectFrom('points_lots')
        .innerJoin('members', (join) => join.onRef('members.merchant_id', '=', 'points_lots.merchant_id').onRef('members.id', '=', 'points_lots.member_id'))
        .innerJoin('merchants', 'merchants.id', 'points_lots.merchant_id')
        .select(['points_lots.merchant_id', 'points_lots.id', 'points_lots.remaining', 'points_lots.expires_at', 'members.id as member_id', 'members.member_card_id', 'members.user_id', 'merchants.timezone'])
        .where('points_lots.notice_at', '<=', now)
        .where('points_lots.noticed_at', 'is', null)
        .where('points_lots.remaining', '>', 0)
        .where('points_lots.expires_at', '>', now)
        .orderBy('points_lots.notice_at')
        .limit(BATCH)
        .execute()
      const notices = new Map<string, { lot: (typeof due)[number]; points: number }>()
      for (const lot of due) {
        const marked = await tx.updateTable('points_lots').set({ noticed_at: now }).where('merchant_id', '=', lot.merchant_id).where('id', '=', lot.id).where('noticed_at', 'is', null).executeTakeFirst()
        if (Number(marked.numUpdatedRows) !== 1) continue
        const key = `${lot.merchant_id} ${lot.member_id} ${lot.expires_at}`
        const notice = notices.get(key) ?? { lot, points: 0 }
        notice.points += lot.remaining
        notices.set(key, notice)
      }
      for (const { lot, points } of notices.values()) {
        const data: PointsExpiringData = {
          member_id: lot.member_id,
          member_card_id: lot.member_card_id,
          user_id: lot.user_id,
          points,
          expires_at: formatInstant(lot.expires_at as number, lot.timezone),
        }
        await recordEvent(tx, { merchantId: lot.merchant_id, type: 'points.expiring', data, now })
        await notifyPointsExpiring(ctx.notifier, tx, lot.merchant_id, data, lot.id, now)
      }
      return due.length
    })
  },
}
