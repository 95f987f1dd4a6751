import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'

/** Something a customer is told: an expiry reminder, a points or level change, a gift received, … */
export interface CustomerNotification {
  merchantId: string
  userId: string
  /** What it is about, in the event catalogue's words: `coupon.expiring`, `points.changed`, `member.level_changed`, `coupon.gifted`. */
  kind: string
  title: string
  body: string
  data: object
  /** A second notification with the same key is dropped: what must be said once is said once. */
  dedupeKey?: string | null
  now: number
}

/**
 * The customer's inbox (what the wallet lists), plus a `notification.created` event so the merchant's own
 * channels (SMS, its app, a WeChat template message) can pass it on through a webhook. Written in the
 * caller's transaction: the customer hears of a change exactly when it commits. Returns the notification's
 * id, or null when its dedupe key was used already.
 */
export async function writeToInbox(tx: Db, notification: CustomerNotification): Promise<string | null> {
  const { merchantId, userId, kind, title, body, data, now } = notification
  const id = newId('ntf', now)
  const inserted = await tx
    .insertInto('notifications')
    .values({ id, merchant_id: merchantId, user_id: userId, kind, title, body, data: toJson(data), dedupe_key: notification.dedupeKey ?? null, created_at: now, read_at: null })
    .onConflict((oc) => oc.columns(['merchant_id', 'dedupe_key']).doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return null
  await recordEvent(tx, { merchantId, type: 'notification.created', data: { notification_id: id, user_id: userId, kind, title, body, data }, now })
  return id
}
