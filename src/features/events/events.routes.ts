import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { fromJson } from '../../db/database.ts'
import { formatInstant } from '../../domain/time.ts'
import { AppError } from '../../errors.ts'
import { Nullable, Timestamp, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { listEvents } from './events.repository.ts'

/** An event as GET /v1/events lists it and as webhook receivers get it. */
const EventSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  created_at: Timestamp,
  merchant_id: Type.String(),
  data: Type.Object({}, { additionalProperties: true, description: 'What happened; its shape depends on the type' }),
})

export async function eventsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
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
        response: responses({
          200: Type.Object({ data: Type.Array(EventSchema), next_cursor: Nullable(Type.String({ description: 'The last event id of the page; pass it as cursor (or since) to read on' })) }),
        }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { query } = request
      const limit = query.limit ?? 50
      // Like every list, it pages with ?cursor=; a cursor here is the last event id seen, as `since` is.
      const field = query.cursor !== undefined ? 'cursor' : 'since'
      const since = query.cursor ?? query.since
      if (since !== undefined && !/^evt_[0-9a-z]{26}$/.test(since)) {
        throw new AppError('validation_failed', `${field} must be an event id.`, [{ field, code: 'invalid', message: 'must be an event id' }])
      }
      const rows = await listEvents(db, merchantId, { type: query.type, after: since }, limit + 1)
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
