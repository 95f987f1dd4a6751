import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { newId } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { messageText, type Language, type MessageParams } from './messages.ts'
import type { NotificationKind } from './notifications.table.ts'
import { findMerchantLanguage, insertNotification } from './notifications.repository.ts'

/** Something a customer is told: an expiry reminder, a points or level change, a gift received, … */
export interface CustomerNotification {
  merchantId: string
  userId: string
  /** What it is about, in the event catalogue's words: `coupon.expiring`, `points.changed`, `member.level_changed`, … */
  kind: NotificationKind
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
  const inserted = await insertNotification(tx, { id, merchant_id: merchantId, user_id: userId, kind, title, body, data: toJson(data), dedupe_key: notification.dedupeKey ?? null, created_at: now, read_at: null })
  if (!inserted) return null
  await recordEvent(tx, { merchantId, type: 'notification.created', data: { notification_id: id, user_id: userId, kind, title, body, data }, now })
  return id
}

/**
 * Tells a customer one of the catalogue's messages in their merchant's language (looked up unless the
 * caller has it already), through the notifier, inside the caller's transaction.
 */
export async function tellCustomer<Kind extends NotificationKind>(
  notifier: Notifier,
  tx: Db,
  input: { merchantId: string; userId: string; kind: Kind; params: MessageParams[Kind]; data: object; dedupeKey?: string | null; language?: Language; now: number },
): Promise<string | null> {
  const { merchantId, userId, kind, params, data, dedupeKey, now } = input
  const language = input.language ?? (await findMerchantLanguage(tx, merchantId))
  return notifier.notifyCustomer(tx, { merchantId, userId, kind, ...messageText(language, kind, params), data, dedupeKey, now })
}
