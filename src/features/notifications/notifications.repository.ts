import type { Db } from '../../db/database.ts'
import { DEFAULT_LANGUAGE, type Language } from './messages.ts'
import type { NotificationsTable } from './notifications.table.ts'

export type NotificationRow = NotificationsTable

/** The language the merchant tells its customers things in. */
export async function findMerchantLanguage(db: Db, merchantId: string): Promise<Language> {
  const row = await db.selectFrom('merchants').select('language').where('id', '=', merchantId).executeTakeFirst()
  return row?.language ?? DEFAULT_LANGUAGE
}

/** Inserts a notification unless its dedupe key was used already; true when it was inserted. */
export async function insertNotification(db: Db, row: NotificationRow): Promise<boolean> {
  const inserted = await db
    .insertInto('notifications')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'dedupe_key']).doNothing())
    .executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
}

/** A page of a customer's notifications, newest first, before the cursor's id. */
export async function listNotifications(db: Db, merchantId: string, userId: string, options: { unreadOnly: boolean; before: string | null; limit: number }): Promise<NotificationRow[]> {
  let q = db.selectFrom('notifications').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId)
  if (options.unreadOnly) q = q.where('read_at', 'is', null)
  if (options.before) q = q.where('id', '<', options.before)
  return q.orderBy('id', 'desc').limit(options.limit).execute()
}

export async function countUnreadNotifications(db: Db, merchantId: string, userId: string): Promise<number> {
  const unread = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('merchant_id', '=', merchantId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(unread.n)
}

export async function findNotification(db: Db, merchantId: string, userId: string, notificationId: string): Promise<NotificationRow | undefined> {
  return db.selectFrom('notifications').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId).where('id', '=', notificationId).executeTakeFirst()
}

/** Marks one notification read, unless it was: the first time it was read stays. */
export async function markNotificationRead(db: Db, merchantId: string, notificationId: string, now: number): Promise<void> {
  await db.updateTable('notifications').set({ read_at: now }).where('merchant_id', '=', merchantId).where('id', '=', notificationId).where('read_at', 'is', null).execute()
}

/** Marks every unread notification of a customer read; returns how many. */
export async function markAllNotificationsRead(db: Db, merchantId: string, userId: string, now: number): Promise<number> {
  const result = await db.updateTable('notifications').set({ read_at: now }).where('merchant_id', '=', merchantId).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}
