import { Type } from 'typebox'
import { pick } from '../../pick.ts'
import type { AppContext } from '../../app-context.ts'
import { forgetApiKeys, merchantOf } from '../../http/auth.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { IdParam, ListQuery, Nullable, ScopeSchema, Timestamp, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { canonicalTimeZone, formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { DEFAULT_LIMITS, LIMIT_CEILING } from '../../domain/limits.ts'
import { toJson } from '../../db/database.ts'
import { findStore } from '../stores/stores.repository.ts'
import { apiKeyOnce, forgetLimits, insertApiKey, loadMerchant, type MerchantRow } from './merchants.service.ts'
import { holdsLease, idempotencyRefOf } from '../../http/idempotency.ts'
import { findApiKey, listApiKeys, revokeApiKey, setApiKeyExpiry, updateMerchant, type ApiKeyListRow } from './merchants.repository.ts'

const Limit = (description: string) => Type.Integer({ minimum: 1, maximum: LIMIT_CEILING, description: `${description} (1 to ${LIMIT_CEILING})` })

const PolicySchema = Type.Object(
  {
    min_validity_days: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 3650 }))),
    max_reduce_ratio_percent: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
    max_percent_off: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
    require_notice: Type.Optional(Type.Boolean()),
    allow_no_threshold: Type.Optional(Type.Boolean({ description: 'Cash coupons without a spend threshold (least_cost) are allowed' })),
    max_order_amount: Type.Optional(Limit('The largest order amount in fen a redemption, member order or payment may name; above it 422 order_amount_too_large')),
    max_points_balance: Type.Optional(Limit('The most points a member may hold; a posting past it is 409 balance_limit_exceeded')),
    max_stored_value_balance: Type.Optional(Limit('The most stored value in fen a member may hold; a posting past it is 409 balance_limit_exceeded')),
    max_gifts_per_user_day: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'The most gifts one customer may send in a day (merchant’s zone); past it 409 gift_not_allowed; 0 switches gifting off (0 to 1000)' })),
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

/** The policy as it is stored and answered: every rule present, null where switched off. */
const PolicyAnswer = Type.Object({
  min_validity_days: Nullable(Type.Number()),
  max_reduce_ratio_percent: Nullable(Type.Integer()),
  max_percent_off: Nullable(Type.Integer()),
  require_notice: Type.Boolean(),
  allow_no_threshold: Type.Boolean(),
  max_order_amount: Type.Integer({ description: `Fen; ${DEFAULT_LIMITS.max_order_amount} (¥100,000) unless changed` }),
  max_points_balance: Type.Integer({ description: `${DEFAULT_LIMITS.max_points_balance} unless changed` }),
  max_stored_value_balance: Type.Integer({ description: `Fen; ${DEFAULT_LIMITS.max_stored_value_balance} (¥100,000) unless changed` }),
  max_gifts_per_user_day: Type.Integer({ description: `Gifts one customer may send per day; ${DEFAULT_LIMITS.max_gifts_per_user_day} unless changed` }),
})

const MerchantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  language: Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'Of customer notifications' }),
  capabilities: Type.Object({
    card_types: Type.Array(Type.String(), { description: 'The card types the merchant may create' }),
    store_limited_cards: Type.Boolean({ description: 'Whether its coupons may be limited to a list of stores' }),
  }),
  policy: PolicyAnswer,
  created_at: Timestamp,
})

const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: ScopeSchema,
  store_id: Nullable(Type.String()),
  key_hint: Type.String({ description: 'The key’s last four characters, after …' }),
  created_at: Timestamp,
  revoked_at: Nullable(Timestamp),
  expires_at: Nullable(Timestamp),
})
const NewApiKeySchema = Type.Object({ ...ApiKeySchema.properties, api_key: Type.String({ description: 'The key itself: shown only in this answer' }) })
const RotatedApiKeySchema = Type.Object({ ...NewApiKeySchema.properties, replaces: Type.String({ description: 'The key this one replaces, which keeps working for 24 hours' }) })

function presentMerchant(m: MerchantRow) {
  return { ...pick(m, ['id', 'name', 'timezone', 'language', 'capabilities', 'policy']), created_at: formatInstant(m.created_at, m.timezone) }
}

function presentKey(row: ApiKeyListRow, tz: string) {
  return {
    ...pick(row, ['id', 'name', 'scope', 'store_id']),
    key_hint: `…${row.key_hint}`,
    created_at: formatInstant(row.created_at, tz),
    revoked_at: formatOptionalInstant(row.revoked_at, tz),
    expires_at: formatOptionalInstant(row.expires_at, tz),
  }
}

/** How long a rotated key keeps working, so tills can be switched over without downtime. */
const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

export async function merchantsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.get('/v1/merchant', { schema: { tags: ['merchant'], summary: 'The merchant this key belongs to', response: responses({ 200: MerchantSchema }) } }, async (request) =>
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
        response: responses({ 200: MerchantSchema }),
      },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { body } = request
      const timezone = body.timezone === undefined ? undefined : canonicalTimeZone(body.timezone)
      if (timezone === null) throw validationFailed([{ field: 'timezone', code: 'invalid', message: 'is not an IANA time zone' }])
      await updateMerchant(db, merchantId, { ...(body.name ? { name: body.name } : {}), ...(timezone ? { timezone } : {}), ...(body.language ? { language: body.language } : {}), updated_at: ctx.clock.now() })
      // Keys carry their merchant's time zone.
      forgetApiKeys(ctx.database)
      return presentMerchant(await loadMerchant(db, merchantId))
    },
  )

  app.get('/v1/merchant/policy', { schema: { tags: ['merchant'], summary: 'The policy: compliance rules cards are checked against, limits on order amounts and balances', response: responses({ 200: PolicyAnswer }) } }, async (request) =>
    (await loadMerchant(db, merchantOf(request).merchantId)).policy,
  )

  app.put(
    '/v1/merchant/policy',
    { schema: { tags: ['merchant'], summary: 'Change the policy (null switches a compliance rule off; the limits are always on)', body: PolicySchema, response: responses({ 200: PolicyAnswer }) } },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const merchant = await loadMerchant(db, merchantId)
      const policy = { ...merchant.policy, ...request.body }
      await updateMerchant(db, merchantId, { policy: toJson(policy), updated_at: ctx.clock.now() })
      forgetLimits(merchantId)
      return policy
    },
  )

  app.post(
    '/v1/api-keys',
    {
      config: { ownerOnly: true },
      schema: { tags: ['api keys'], summary: 'Create an API key; the key is shown only in this response', body: ApiKeyBody, response: responses({ 201: NewApiKeySchema }) },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { body } = request
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

  app.get(
    '/v1/api-keys',
    { schema: { tags: ['api keys'], summary: 'List API keys (never their secrets)', querystring: ListQuery, response: responses({ 200: listOf(ApiKeySchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      return page(await listApiKeys(db, merchantId, decodeCursor(request.query.cursor), limit + 1), limit, (row) => presentKey(row, merchantTz))
    },
  )

  const KeyParams = Type.Object({ key_id: IdParam('key_id').properties.key_id })
  const findKey = async (merchantId: string, keyId: string) => {
    const row = await findApiKey(db, merchantId, keyId)
    if (!row) throw new AppError('api_key_not_found', 'There is no API key with this id.')
    return row
  }

  app.post(
    '/v1/api-keys/:key_id/revoke',
    { config: { ownerOnly: true }, schema: { tags: ['api keys'], summary: 'Revoke an API key at once', params: KeyParams, response: responses({ 200: ApiKeySchema }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { key_id } = request.params
      const row = await findKey(merchantId, key_id)
      if (row.revoked_at === null) {
        row.revoked_at = ctx.clock.now()
        await revokeApiKey(db, merchantId, key_id, row.revoked_at)
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
        params: KeyParams,
        response: responses({ 201: RotatedApiKeySchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { key_id } = request.params
      const now = ctx.clock.now()
      // A retry after a crash replaces the key its first run made and leaves the old key's grace period as it was.
      const created = await apiKeyOnce(db, { merchantId, requestRef: idempotencyRefOf(request), now, holdsLease: () => holdsLease(db, request) }, (requestRef) =>
        db.transaction().execute(async (tx) => {
          const old = await findApiKey(tx, merchantId, key_id)
          if (!old) throw new AppError('api_key_not_found', 'There is no API key with this id.')
          if (old.revoked_at !== null) throw new AppError('invalid_state', 'A revoked key cannot be rotated.')
          const expiresAt = Math.min(old.expires_at ?? Infinity, now + ROTATION_GRACE_MS)
          await setApiKeyExpiry(tx, merchantId, key_id, expiresAt)
          return insertApiKey(tx, { merchantId, name: old.name, scope: old.scope, storeId: old.store_id, now, requestRef })
        }),
      )
      forgetApiKeys(ctx.database)
      return reply
        .code(201)
        .send({ ...presentKey({ ...created, key_hint: created.api_key.slice(-4), revoked_at: null, expires_at: null }, merchantTz), api_key: created.api_key, replaces: key_id })
    },
  )
}
