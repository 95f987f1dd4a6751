import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { fromJson } from '../../db/database.ts'
import { formatInstant } from '../../domain/time.ts'
import { AppError } from '../../errors.ts'

export async function eventsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Events for reconciliation, oldest first; those after `since` when given',
        querystring: Type.Object(
          {
            type: Type.Optional(Type.String({ maxLength: 100 })),
            since: Type.Optional(Type.String({ maxLength: 100, description: 'An event id: only later events are listed' })),
            cursor: Type.Optional(Type.String({ maxLength: 100, description: 'The previous page’s next_cursor (the same as since)' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const query = request.query as { type?: string; since?: string; cursor?: string; limit?: number }
      const limit = query.limit ?? 50
      // Like every list, it pages with ?cursor=; a cursor here is the last event id seen, as `since` is.
      const field = query.cursor !== undefined ? 'cursor' : 'since'
      const since = query.cursor ?? query.since
      if (since !== undefined && !/^evt_[0-9a-z]{26}$/.test(since)) {
        throw new AppError('validation_failed', `${field} must be an event id.`, [{ field, code: 'invalid', message: 'must be an event id' }])
      }
      let q = db.selectFrom('events').selectAll().where('merchant_id', '=', merchantId)
      if (query.type) q = q.where('type', '=', query.type)
      if (since) q = q.where('id', '>', since)
      const rows = await q.orderBy('id').limit(limit + 1).execute()
      const more = rows.length > limit
      const data = rows.slice(0, limit).map((row) => ({
        id: row.id,
        type: row.type,
        created_at: formatInstant(row.created_at, merchantTz),
        merchant_id: row.merchant_id,
        data: fromJson<object>(row.data),
      }))
      // Pass the last id as `since` to read on.
      return { data, next_cursor: more ? data[data.length - 1].id : null }
    },
  )
}
