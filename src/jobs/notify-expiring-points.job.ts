import type { Job } from './runner.ts'
import { formatInstant } from '../domain/time.ts'
import { recordEvent } from '../features/events/events.repository.ts'
import { notifyPointsExpiring, type PointsExpiringData } from '../features/members/member-notices.ts'
import { listLotsDueNotice, markLotNoticed } from '../features/points/points.repository.ts'

const BATCH = 500

/**
 * Tells members ahead of time that points will expire (the card's `notice_days` before): one
 * `points.expiring` event and notification per member and expiry date, each lot announced once.
 */
export const notifyExpiringPoints: Job = {
  name: 'notify-expiring-points',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      const due = await listLotsDueNotice(tx, now, BATCH)
      const notices = new Map<string, { lot: (typeof due)[number]; points: number }>()
      for (const lot of due) {
        if (!(await markLotNoticed(tx, lot.merchant_id, lot.id, now))) continue
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
          expires_at: formatInstant(lot.expires_at, lot.timezone),
        }
        await recordEvent(tx, { merchantId: lot.merchant_id, type: 'points.expiring', data, now })
        await notifyPointsExpiring(ctx.notifier, tx, lot.merchant_id, data, lot.id, now)
      }
      return due.length
    })
  },
}
