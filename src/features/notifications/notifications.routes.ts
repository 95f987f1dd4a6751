import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { customerOf, merchantOf } from '../../http/auth.ts'
import { AppError } from '../../errors.ts'
import { IdParam, ListQuery, UserId } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { fromJson, type Db } from '../../db/database.ts'
import { formatInstant } from '../../domain/time.ts'
import type { NotificationsTable } from '../../db/schema.ts'

const customerOnly = { auth: 'customer' as const }
const NotificationQuery = Type.Intersect([ListQuery, Type.Object({ unread: Type.Optional(Type.Boolean({ description: 'Only those not yet read' })) })])

function presentNotification(row: NotificationsTable, tz: string) {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: fromJson<object>(row.data),
    created_at: formatInstant(row.created_at, tz),
    read_at: row.read_at === null ? null : formatInstant(row.read_at, tz),
  }
}

/** A customer's notifications, newest first, with how many are unread in all. */
async function listNotifications(db: Db, merchantId: string, userId: string, tz: string, query: { limit?: number; cursor?: string; unread?: boolean }) {
  const limit = query.limit ?? 50
  const before = decodeCursor(query.cursor)
  let q = db.selectFrom('notifications').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId)
  if (query.unread) q = q.where('read_at', 'is', null)
  if (before) q = q.where('id', '<', before)
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute()
  const unread = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('merchant_id', '=', merchantId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow()
  return { ...page(rows, limit, (row) => presentNotification(row, tz)), unread_count: Number(unread.n) }
}

/**
 * The customer inbox: what the notifier told a customer (expiry reminders, points and level changes,
 * gifts received), listed in the wallet and marked read there; merchants may read it for support.
 */
export async function notificationsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.get(
    '/v1/wallet/notifications',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'My notifications, newest first, with the unread count', querystring: NotificationQuery } },
    async (request) => {
      const customer = customerOf(request)
      return listNotifications(db, customer.merchantId, customer.userId, customer.merchantTz, request.query as { limit?: number; cursor?: string; unread?: boolean })
    },
  )

  app.post(
    '/v1/wallet/notifications/:notification_id/read',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'Mark one of my notifications read', params: IdParam('notification_id') } },
    async (request) => {
      const customer = customerOf(request)
      const id = (request.params as { notification_id: string }).notification_id
      const mine = db.selectFrom('notifications').selectAll().where('merchant_id', '=', customer.merchantId).where('user_id', '=', customer.userId).where('id', '=', id)
      const found = await mine.executeTakeFirst()
      if (!found) throw new AppError('notification_not_found', 'You have no notification with this id.')
      // Read once: the first time it was read stays.
      await db
        .updateTable('notifications')
        .set({ read_at: ctx.clock.now() })
        .where('merchant_id', '=', customer.merchantId)
        .where('id', '=', id)
        .where('read_at', 'is', null)
        .execute()
      return presentNotification(await mine.executeTakeFirstOrThrow(), customer.merchantTz)
    },
  )

  app.post(
    '/v1/wallet/notifications/read-all',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'Mark all my notifications read' } },
    async (request) => {
      const customer = customerOf(request)
      const result = await db
        .updateTable('notifications')
        .set({ read_at: ctx.clock.now() })
        .where('merchant_id', '=', customer.merchantId)
        .where('user_id', '=', customer.userId)
        .where('read_at', 'is', null)
        .executeTakeFirst()
      return { marked_read: Number(result.numUpdatedRows) }
    },
  )

  app.get(
    '/v1/users/:user_id/notifications',
    { schema: { tags: ['notifications'], summary: 'What a customer was notified of, newest first', params: Type.Object({ user_id: UserId }), querystring: NotificationQuery } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return listNotifications(db, merchantId, (request.params as { user_id: string }).user_id, merchantTz, request.query as { limit?: number; cursor?: string; unread?: boolean })
    },
  )
}
