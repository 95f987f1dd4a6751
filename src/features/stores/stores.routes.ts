import { Type } from 'typebox'
import { pick } from '../../pick.ts'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { IdParam, ListQuery, Nullable, Timestamp, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { canonicalTimeZone, formatInstant } from '../../domain/time.ts'
import { newId } from '../../ports/ids.ts'
import { findStore, insertStore, listStores, updateStore, type StoreRow } from './stores.repository.ts'

const StoreFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  latitude: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  longitude: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA name; defaults to the merchant’s' })),
}

const StoreSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  timezone: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
})

function presentStore(row: StoreRow) {
  return {
    ...pick(row, ['id', 'name', 'address', 'latitude', 'longitude', 'timezone']),
    created_at: formatInstant(row.created_at, row.timezone),
    updated_at: formatInstant(row.updated_at, row.timezone),
  }
}

function zoneOrError(timezone: string): string {
  const zone = canonicalTimeZone(timezone)
  if (zone === null) throw validationFailed([{ field: 'timezone', code: 'invalid', message: 'is not an IANA time zone' }])
  return zone
}

export async function storesRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/stores',
    { schema: { tags: ['stores'], summary: 'Create a store', body: Type.Object(StoreFields, { additionalProperties: false }), response: responses({ 201: StoreSchema }) } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { body } = request
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
        await insertStore(db, row)
        return row
      })
      return reply.code(201).send(presentStore(store))
    },
  )

  app.get('/v1/stores', { schema: { tags: ['stores'], summary: 'List stores', querystring: ListQuery, response: responses({ 200: listOf(StoreSchema) }) } }, async (request) => {
    const { merchantId } = merchantOf(request)
    const limit = request.query.limit ?? 50
    return page(await listStores(db, merchantId, decodeCursor(request.query.cursor), limit + 1), limit, presentStore)
  })

  app.get('/v1/stores/:store_id', { schema: { tags: ['stores'], summary: 'Get a store', params: IdParam('store_id'), response: responses({ 200: StoreSchema }) }, config: { till: true } }, async (request) => {
    const { merchantId } = merchantOf(request)
    const store = await findStore(db, merchantId, request.params.store_id)
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
        response: responses({ 200: StoreSchema }),
      },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { store_id } = request.params
      const { body } = request
      const store = await findStore(db, merchantId, store_id)
      if (!store) throw new AppError('store_not_found', 'There is no store with this id.')
      const changes = { ...body, ...(body.timezone !== undefined ? { timezone: zoneOrError(body.timezone) } : {}), updated_at: ctx.clock.now() }
      await updateStore(db, merchantId, store_id, changes)
      return presentStore({ ...store, ...changes })
    },
  )
}
