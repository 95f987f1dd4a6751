import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { AppError, validationFailed } from '../../http/errors.ts'
import { idempotencyRefOf, madeByRequest, onceForRequest } from '../../http/idempotency.ts'
import { IdParam, ListQuery, Nullable, decodeCursor, page } from '../../http/schemas.ts'
import { canonicalTimeZone, formatInstant } from '../../domain/time.ts'
import { newId } from '../../ports/ids.ts'
import { findStore, type StoreRow } from './stores.repository.ts'

const StoreFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  latitude: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  longitude: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA name; defaults to the merchant’s' })),
}

function presentStore(row: StoreRow) {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    latitude: row.latitude,
    longitude: row.longitude,
    timezone: row.timezone,
    created_at: formatInstant(row.created_at, row.timezone),
    updated_at: formatInstant(row.updated_at, row.timezone),
  }
}

function zoneOrError(timezone: string): string {
  const zone = canonicalTimeZone(timezone)
  if (zone === null) throw validationFailed([{ field: 'timezone', code: 'invalid', message: 'is not an IANA time zone' }])
  return zone
}

export async function storesRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/stores',
    { schema: { tags: ['stores'], summary: 'Create a store', body: Type.Object(StoreFields, { additionalProperties: false }) } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = request.body as { name: string; address?: string | null; latitude?: number | null; longitude?: number | null; timezone?: string }
      const requestRef = idempotencyRefOf(request)
      // A retry of the request after a crash between the commit and the stored answer finds the store it made.
      const made = madeByRequest(db, 'stores', merchantId, async (id) => (await findStore(db, merchantId, id)) as StoreRow)
      const store = await onceForRequest(requestRef, made, async () => {
        const now = ctx.clock.now()
        const row: StoreRow = {
          id: newId('sto', now),
          merchant_id: merchantId,
          name: body.name,
          address: body.address ?? null,
          latitude: body.latitude ?? null,
          longitude: body.longitude ?? null,
          timezone: body.timezone === undefined ? merchantTz : zoneOrError(body.timezone),
          created_at: now,
          updated_at: now,
          request_ref: requestRef,
        }
        await db.insertInto('stores').values(row).execute()
        return row
      })
      return reply.code(201).send(presentStore(store))
    },
  )

  app.get('/v1/stores', { schema: { tags: ['stores'], summary: 'List stores', querystring: ListQuery } }, async (request) => {
    const { merchantId } = merchantOf(request)
    const query = request.query as { limit?: number; cursor?: string }
    const limit = query.limit ?? 50
    const after = decodeCursor(query.cursor)
    let q = db.selectFrom('stores').selectAll().where('merchant_id', '=', merchantId)
    if (after) q = q.where('id', '>', after)
    return page(await q.orderBy('id').limit(limit + 1).execute(), limit, presentStore)
  })

  app.get('/v1/stores/:store_id', { schema: { tags: ['stores'], summary: 'Get a store', params: IdParam('store_id') }, config: { till: true } }, async (request) => {
    const { merchantId } = merchantOf(request)
    const store = await findStore(db, merchantId, (request.params as { store_id: string }).store_id)
    if (!store) throw new AppError('store_not_found', 'There is no store with this id.')
    return presentStore(store)
  })

  app.patch(
    '/v1/stores/:store_id',
    {
      schema: {
        tags: ['stores'],
        summary: 'Change a store',
        params: IdParam('store_id'),
        body: Type.Object({ ...StoreFields, name: Type.Optional(StoreFields.name) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { store_id } = request.params as { store_id: string }
      const body = request.body as Partial<StoreRow>
      const store = await findStore(db, merchantId, store_id)
      if (!store) throw new AppError('store_not_found', 'There is no store with this id.')
      const changes = { ...body, ...(body.timezone !== undefined ? { timezone: zoneOrError(body.timezone) } : {}), updated_at: ctx.clock.now() }
      await db.updateTable('stores').set(changes).where('merchant_id', '=', merchantId).where('id', '=', store_id).execute()
      return presentStore({ ...store, ...changes })
    },
  )
}
