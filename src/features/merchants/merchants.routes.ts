import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { forgetApiKeys, merchantOf } from '../../http/auth.ts'
import { type Scope } from '../../principals.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { IdParam, ListQuery, Nullable, listOf } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { canonicalTimeZone, formatInstant } from '../../domain/time.ts'
import { toJson } from '../../db/database.ts'
import { findStore } from '../stores/stores.repository.ts'
import { apiKeyOnce, insertApiKey, loadMerchant, type MerchantRow } from './merchants.service.ts'
import { holdsLease, idempotencyRefOf } from '../../http/idempotency.ts'
import type { ApiKeysTable } from '../../db/schema.ts'
import type { Language } from '../notifications/messages.ts'

const PolicySchema = Type.Object(
  {
    min_validity_days: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 3650 }))),
    max_reduce_ratio_percent: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
    max_percent_off: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
    require_notice: Type.Optional(Type.Boolean()),
    allow_no_threshold: Type.Optional(Type.Boolean({ description: 'Cash coupons without a spend threshold (least_cost) are allowed' })),
  },
  { additionalProperties: false },
)

const ApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scope: Type.Union([Type.Literal('full'), Type.Literal('redeem'), Type.Literal('read')]),
    store_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  },
  { additionalProperties: false },
)

function presentMerchant(m: MerchantRow) {
  return {
    id: m.id,
    name: m.name,
    timezone: m.timezone,
    language: m.language,
    capabilities: m.capabilities,
    policy: m.policy,
    created_at: formatInstant(m.created_at, m.timezone),
  }
}

function presentKey(row: Pick<ApiKeysTable, 'id' | 'name' | 'scope' | 'store_id' | 'key_hint' | 'created_at' | 'revoked_at' | 'expires_at'>, tz: string) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    store_id: row.store_id,
    key_hint: `…${row.key_hint}`,
    created_at: formatInstant(row.created_at, tz),
    revoked_at: row.revoked_at === null ? null : formatInstant(row.revoked_at, tz),
    expires_at: row.expires_at === null ? null : formatInstant(row.expires_at, tz),
  }
}

/** How long a rotated key keeps working, so tills can be switched over without downtime. */
const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

export async function merchantsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.get('/v1/merchant', { schema: { tags: ['merchant'], summary: 'The merchant this key belongs to' } }, async (request) =>
    presentMerchant(await loadMerchant(db, merchantOf(request).merchantId)),
  )

  app.patch(
    '/v1/merchant',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Change the merchant name, time zone or the language its customers are told in',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            language: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'Of customer notifications; zh-CN until changed' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const body = request.body as { name?: string; timezone?: string; language?: Language }
      const timezone = body.timezone === undefined ? undefined : canonicalTimeZone(body.timezone)
      if (timezone === null) throw validationFailed([{ field: 'timezone', code: 'invalid', message: 'is not an IANA time zone' }])
      await db
        .updateTable('merchants')
        .set({ ...(body.name ? { name: body.name } : {}), ...(timezone ? { timezone } : {}), ...(body.language ? { language: body.language } : {}), updated_at: ctx.clock.now() })
        .where('id', '=', merchantId)
        .execute()
      // Keys carry their merchant's time zone.
      forgetApiKeys(ctx.database)
      return presentMerchant(await loadMerchant(db, merchantId))
    },
  )

  app.get('/v1/merchant/policy', { schema: { tags: ['merchant'], summary: 'The compliance policy cards are checked against' } }, async (request) =>
    (await loadMerchant(db, merchantOf(request).merchantId)).policy,
  )

  app.put(
    '/v1/merchant/policy',
    { schema: { tags: ['merchant'], summary: 'Change the compliance policy (null switches a rule off)', body: PolicySchema } },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const merchant = await loadMerchant(db, merchantId)
      const policy = { ...merchant.policy, ...(request.body as object) }
      await db.updateTable('merchants').set({ policy: toJson(policy), updated_at: ctx.clock.now() }).where('id', '=', merchantId).execute()
      return policy
    },
  )

  app.post(
    '/v1/api-keys',
    { config: { ownerOnly: true }, schema: { tags: ['api keys'], summary: 'Create an API key; the key is shown only in this response', body: ApiKeyBody } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = request.body as { name: string; scope: Scope; store_id?: string | null }
      const storeId = body.store_id ?? null
      if (storeId !== null && !(await findStore(db, merchantId, storeId))) {
        throw validationFailed([{ field: 'store_id', code: 'not_found', message: 'is not a store of this merchant' }])
      }
      const now = ctx.clock.now()
      const key = await apiKeyOnce(db, { merchantId, requestRef: idempotencyRefOf(request), now, holdsLease: () => holdsLease(db, request) }, (requestRef) =>
        insertApiKey(db, { merchantId, name: body.name, scope: body.scope, storeId, now, requestRef }),
      )
      forgetApiKeys(ctx.database)
      return reply.code(201).send({ ...presentKey({ ...key, key_hint: key.api_key.slice(-4), revoked_at: null, expires_at: null }, merchantTz), api_key: key.api_key })
    },
  )

  app.get('/v1/api-keys', { schema: { tags: ['api keys'], summary: 'List API keys (never their secrets)', querystring: ListQuery } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const query = request.query as { limit?: number; cursor?: string }
    const limit = query.limit ?? 50
    const after = decodeCursor(query.cursor)
    let q = db.selectFrom('api_keys').select(['id', 'name', 'scope', 'store_id', 'key_hint', 'created_at', 'revoked_at', 'expires_at']).where('merchant_id', '=', merchantId)
    if (after) q = q.where('id', '>', after)
    const rows = await q.orderBy('id').limit(limit + 1).execute()
    return page(rows, limit, (row) => presentKey(row, merchantTz))
  })

  const findKey = async (merchantId: string, keyId: string) => {
    const row = await db.selectFrom('api_keys').selectAll().where('merchant_id', '=', merchantId).where('id', '=', keyId).executeTakeFirst()
    if (!row) throw new AppError('api_key_not_found', 'There is no API key with this id.')
    return row
  }

  app.post(
    '/v1/api-keys/:key_id/revoke',
    { config: { ownerOnly: true }, schema: { tags: ['api keys'], summary: 'Revoke an API key at once', params: IdParam('key_id') } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { key_id } = request.params as { key_id: string }
      const row = await findKey(merchantId, key_id)
      if (row.revoked_at === null) {
        row.revoked_at = ctx.clock.now()
        await db.updateTable('api_keys').set({ revoked_at: row.revoked_at }).where('merchant_id', '=', merchantId).where('id', '=', key_id).where('revoked_at', 'is', null).execute()
        forgetApiKeys(ctx.database)
      }
      return presentKey(row, merchantTz)
    },
  )

  app.post(
    '/v1/api-keys/:key_id/rotate',
    {
      config: { ownerOnly: true },
      schema: {
        tags: ['api keys'],
        summary: 'Replace a key by a new one with the same scope; the old one keeps working for 24 hours',
        params: IdParam('key_id'),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { key_id } = request.params as { key_id: string }
      const now = ctx.clock.now()
      // A retry after a crash replaces the key its first run made and leaves the old key's grace period as it was.
      const created = await apiKeyOnce(db, { merchantId, requestRef: idempotencyRefOf(request), now, holdsLease: () => holdsLease(db, request) }, (requestRef) =>
        db.transaction().execute(async (tx) => {
          const old = await tx.selectFrom('api_keys').selectAll().where('merchant_id', '=', merchantId).where('id', '=', key_id).executeTakeFirst()
          if (!old) throw new AppError('api_key_not_found', 'There is no API key with this id.')
          if (old.revoked_at !== null) throw new AppError('invalid_state', 'A revoked key cannot be rotated.')
          const expiresAt = Math.min(old.expires_at ?? Infinity, now + ROTATION_GRACE_MS)
          await tx.updateTable('api_keys').set({ expires_at: expiresAt }).where('merchant_id', '=', merchantId).where('id', '=', key_id).execute()
          return insertApiKey(tx, { merchantId, name: old.name, scope: old.scope as Scope, storeId: old.store_id, now, requestRef })
        }),
      )
      forgetApiKeys(ctx.database)
      return reply
        .code(201)
        .send({ ...presentKey({ ...created, key_hint: created.api_key.slice(-4), revoked_at: null, expires_at: null }, merchantTz), api_key: created.api_key, replaces: key_id })
    },
  )
}
