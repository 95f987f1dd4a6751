import { randomBytes } from 'node:crypto'
import { pick } from '../../pick.ts'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import { CARD_TYPES, DEFAULT_MERCHANT_POLICY, type FieldError, type MerchantPolicy } from '../../domain/types.ts'
import { isValidTimeZone } from '../../domain/time.ts'
import { decideOrderAmount, type AmountLimits } from '../../domain/limits.ts'
import type { Json } from '../../db/json.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { hashApiKey } from '../../ports/secrets.ts'
import type { Scope } from '../../principals.ts'
import { newWalletSecret } from '../customers/wallet-secrets.ts'
import { DEFAULT_LANGUAGE, type Language } from '../notifications/messages.ts'
import { findApiKeyByRequest, findMerchantPolicy, findMerchantRow, insertApiKeyRow, insertMerchantRow, revokeApiKeyOfRequest, updateMerchant } from './merchants.repository.ts'

export const DEFAULT_TIMEZONE = 'Asia/Shanghai'

/** What a merchant may do; a merchant made by the operator's CLI may do everything. */
export interface Capabilities {
  card_types: string[]
  /** Coupons limited to a list of stores (cross-store coupons may need approval). */
  store_limited_cards: boolean
}

export const FULL_CAPABILITIES: Capabilities = { card_types: [...CARD_TYPES], store_limited_cards: true }

export interface MerchantRow {
  id: string
  name: string
  timezone: string
  language: Language
  capabilities: Capabilities
  policy: MerchantPolicy
  created_at: number
}

/** The stored policy with every rule present: a rule added since it was stored has its default. */
function policyOf(stored: Json): MerchantPolicy {
  return { ...DEFAULT_MERCHANT_POLICY, ...fromJson<Partial<MerchantPolicy>>(stored) }
}

/** The limits of the merchant's policy on order amounts and balances. */
export async function loadLimits(db: Db, merchantId: string): Promise<AmountLimits> {
  const stored = await findMerchantPolicy(db, merchantId)
  if (stored === undefined) throw new AppError('not_found', 'The merchant does not exist.')
  const { max_order_amount, max_points_balance, max_stored_value_balance, max_gifts_per_user_day } = policyOf(stored)
  return { max_order_amount, max_points_balance, max_stored_value_balance, max_gifts_per_user_day }
}

/**
 * Order-amount limits read in the last second, by merchant: every redemption and order checks one, and the
 * limit guards against a mistyped amount, not money held. A change made here is seen at once (forgetLimits);
 * one made by another process of the deployment within LIMITS_CACHE_MS, as for API keys.
 */
const LIMITS_CACHE_MS = 1000
const LIMITS_CACHE_SIZE = 10_000
const limitsCache = new Map<string, { limits: AmountLimits; until: number }>()

async function recentLimits(db: Db, merchantId: string): Promise<AmountLimits> {
  const at = performance.now()
  const cached = limitsCache.get(merchantId)
  if (cached && cached.until > at) return cached.limits
  const limits = await loadLimits(db, merchantId)
  limitsCache.delete(merchantId)
  if (limitsCache.size >= LIMITS_CACHE_SIZE) limitsCache.delete(limitsCache.keys().next().value as string)
  limitsCache.set(merchantId, { limits, until: at + LIMITS_CACHE_MS })
  return limits
}

/** Call after changing a merchant's policy: the next check reads it again. */
export function forgetLimits(merchantId: string): void {
  limitsCache.delete(merchantId)
}

/** Refuses an order amount above the merchant's limit (422 order_amount_too_large), before anything is written. */
export async function ensureOrderAmountAllowed(db: Db, merchantId: string, amount: number): Promise<void> {
  const decided = decideOrderAmount(amount, (await recentLimits(db, merchantId)).max_order_amount)
  if (!decided.ok) throw new AppError(decided.error, decided.detail)
}

export async function loadMerchant(db: Db, merchantId: string): Promise<MerchantRow> {
  const row = await findMerchantRow(db, merchantId)
  if (!row) throw new AppError('not_found', 'The merchant does not exist.')
  return { ...pick(row, ['id', 'name', 'timezone', 'language', 'created_at']), capabilities: fromJson<Capabilities>(row.capabilities), policy: policyOf(row.policy) }
}

/** A new API key's secret: shown once, stored only as a hash. */
export function generateApiKey(): string {
  return `kb_${randomBytes(24).toString('base64url')}`
}

export interface NewApiKey {
  id: string
  name: string
  scope: Scope
  store_id: string | null
  created_at: number
  api_key: string
}

export async function insertApiKey(
  db: Db,
  input: { merchantId: string; name: string; scope: Scope; storeId: string | null; now: number; expiresAt?: number | null; requestRef?: string | null },
): Promise<NewApiKey> {
  const apiKey = generateApiKey()
  const id = newId('key', input.now)
  await insertApiKeyRow(db, {
    id,
    merchant_id: input.merchantId,
    name: input.name,
    scope: input.scope,
    store_id: input.storeId,
    key_hash: hashApiKey(apiKey),
    key_hint: apiKey.slice(-4),
    created_at: input.now,
    revoked_at: null,
    expires_at: input.expiresAt ?? null,
    request_ref: input.requestRef ?? null,
  })
  return { id, name: input.name, scope: input.scope, store_id: input.storeId, created_at: input.now, api_key: apiKey }
}

/**
 * Makes an API key once per keyed request (`make` records `requestRef` on the key it inserts). A retry after
 * a crash between the commit and the stored response finds the key its first run made, whose secret went
 * with the lost answer and is stored only as a hash, so it cannot be answered again: that key is revoked
 * (nobody saw it) and a fresh one with the same name, scope and store takes over the reference, in one
 * transaction; the retry answers it as the first run would have. Nothing else is done again (a rotated
 * key's grace period stays as the first run set it). Only a run still holding the request's lease
 * replaces a key: one whose lease was taken over answers `request_in_progress` rather than revoke the key
 * the run that took over answers.
 */
export async function apiKeyOnce(
  db: Db,
  input: { merchantId: string; requestRef: string | null; now: number; holdsLease: () => Promise<boolean> },
  make: (requestRef: string | null) => Promise<NewApiKey>,
): Promise<NewApiKey> {
  const { merchantId, now } = input
  const inProgress = () => new AppError('request_in_progress', 'A request with this Idempotency-Key is being processed; retry shortly.')
  const replaceLost = async (requestRef: string): Promise<NewApiKey | undefined> => {
    const lost = await findApiKeyByRequest(db, merchantId, requestRef)
    if (!lost) return undefined
    if (!(await input.holdsLease())) throw inProgress()
    return db.transaction().execute(async (tx) => {
      if (!(await revokeApiKeyOfRequest(tx, merchantId, lost.id, requestRef, lost.revoked_at ?? now))) throw inProgress()
      return insertApiKey(tx, { merchantId, name: lost.name, scope: lost.scope, storeId: lost.store_id, now, requestRef })
    })
  }
  return onceForRequest(input.requestRef, replaceLost, () => make(input.requestRef))
}

/** Checks a new merchant's name and time zone; returns them cleaned up. */
export function merchantInput(input: { name: string; timezone?: string }): { name: string; timezone: string } {
  const name = input.name.trim()
  const timezone = input.timezone ?? DEFAULT_TIMEZONE
  const errors: FieldError[] = []
  if (name.length < 1 || name.length > 100) errors.push({ field: 'name', code: 'invalid', message: 'must be 1 to 100 characters' })
  if (!isValidTimeZone(timezone)) errors.push({ field: 'timezone', code: 'invalid', message: 'is not an IANA time zone' })
  if (errors.length > 0) throw validationFailed(errors)
  return { name, timezone }
}

/** Inserts a merchant with every capability, the default policy and its own wallet secret. */
export async function insertMerchant(db: Db, secrets: AppContext['secrets'], input: { name: string; timezone: string }, now: number): Promise<string> {
  const merchantId = newId('mch', now)
  await insertMerchantRow(db, {
    id: merchantId,
    name: input.name,
    timezone: input.timezone,
    language: DEFAULT_LANGUAGE,
    capabilities: toJson(FULL_CAPABILITIES),
    policy: toJson(DEFAULT_MERCHANT_POLICY),
    wallet_secret_enc: secrets.seal(newWalletSecret()),
    created_at: now,
    updated_at: now,
  })
  return merchantId
}

/** Creates a merchant with every capability, the default policy and its first full-scope API key. */
export async function createMerchant(
  ctx: Pick<AppContext, 'database' | 'clock' | 'secrets'>,
  input: { name: string; timezone?: string },
): Promise<{ merchant_id: string; api_key: string; key_id: string }> {
  const checked = merchantInput(input)
  const now = ctx.clock.now()
  return ctx.database.db.transaction().execute(async (tx) => {
    const merchantId = await insertMerchant(tx, ctx.secrets, checked, now)
    const key = await insertApiKey(tx, { merchantId, name: 'default', scope: 'full', storeId: null, now })
    return { merchant_id: merchantId, api_key: key.api_key, key_id: key.id }
  })
}

/**
 * The operator restricts (or widens) what a merchant may do, e.g. an unverified merchant may only issue
 * cash coupons. Cards already created keep working; the tier applies to cards created or changed later.
 */
export async function setCapabilities(
  ctx: Pick<AppContext, 'database' | 'clock'>,
  merchantId: string,
  change: Partial<Capabilities>,
): Promise<Capabilities> {
  const { db } = ctx.database
  const current = await loadMerchant(db, merchantId)
  const unknown = (change.card_types ?? []).filter((t) => !(CARD_TYPES as readonly string[]).includes(t))
  if (unknown.length > 0) {
    throw validationFailed([{ field: 'card_types', code: 'invalid', message: `unknown card types: ${unknown.join(', ')}` }])
  }
  const capabilities = { ...current.capabilities, ...change }
  await updateMerchant(db, merchantId, { capabilities: toJson(capabilities), updated_at: ctx.clock.now() })
  return capabilities
}

