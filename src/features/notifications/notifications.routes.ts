import { Type } from 'typebox'
import { pick } from '../../pick.ts'
import type { AppContext } from '../../app-context.ts'
import { customerOf, merchantOf } from '../../http/auth.ts'
import { AppError } from '../../errors.ts'
import { IdParam, UserId, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { fromJson, type Db } from '../../db/database.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import { countUnreadNotifications, findNotification, listNotifications, markAllNotificationsRead, markNotificationRead, type NotificationRow } from './notifications.repository.ts'
import { MarkedReadSchema, NotificationListSchema, NotificationQuery, NotificationSchema } from './notifications.schemas.ts'

const customerOnly = { auth: 'customer' as const }

function presentNotification(row: NotificationRow, tz: string) {
  return {
    ...pick(row, ['id', 'kind', 'title', 'body']),
    data: fromJson<object>(row.data),
    created_at: formatInstant(row.created_at, tz),
    read_at: formatOptionalInstant(row.read_at, tz),
  }
}

/** A customer's notifications, newest first, with how many are unread in all. */
async function notificationsPage(db: Db, merchantId: string, userId: string, tz: string, query: { limit?: number; cursor?: string; unread?: boolean }) {
  const limit = query.limit ?? 50
  const rows = await listNotifications(db, merchantId, userId, { unreadOnly: query.unread === true, before: decodeCursor(query.cursor), limit: limit + 1 })
  return { ...page(rows, limit, (row) => presentNotification(row, tz)), unread_count: await countUnreadNotifications(db, merchantId, userId) }
}

/**
 * The customer inbox: what the notifier told a customer (expiry reminders, points and level changes,
 * gifts received), listed in the wallet and marked read there; merchants may read it for support.
 */
export async function notificationsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.get(
    '/v1/wallet/notifications',
    {
      config: customerOnly,
      schema: { tags: ['wallet'], summary: 'My notifications, newest first, with the unread count', querystring: NotificationQuery, response: responses({ 200: NotificationListSchema }) },
    },
    async (request) => {
      const customer = customerOf(request)
      return notificationsPage(db, customer.merchantId, customer.userId, customer.merchantTz, request.query)
    },
  )

  app.post(
    '/v1/wallet/notifications/:notification_id/read',
    {
      config: customerOnly,
      schema: { tags: ['wallet'], summary: 'Mark one of my notifications read', params: IdParam('notification_id'), response: responses({ 200: NotificationSchema }) },
    },
    async (request) => {
      const customer = customerOf(request)
      const id = request.params.notification_id
      const found = await findNotification(db, customer.merchantId, customer.userId, id)
      if (!found) throw new AppError('notification_not_found', 'You have no notification with this id.')
      // Read once: the first time it was read stays.
      await markNotificationRead(db, customer.merchantId, id, ctx.clock.now())
      const read = await findNotification(db, customer.merchantId, customer.userId, id)
      return presentNotification(read ?? found, customer.merchantTz)
    },
  )

  app.post(
    '/v1/wallet/notifications/read-all',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'Mark all my notifications read', response: responses({ 200: MarkedReadSchema }) } },
    async (request) => {
      const customer = customerOf(request)
      return { marked_read: await markAllNotificationsRead(db, customer.merchantId, customer.userId, ctx.clock.now()) }
    },
  )

  app.get(
    '/v1/users/:user_id/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'What a customer was notified of, newest first',
        params: Type.Object({ user_id: UserId }),
        querystring: NotificationQuery,
        response: responses({ 200: NotificationListSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return notificationsPage(db, merchantId, request.params.user_id, merchantTz, request.query)
    },
  )
}
