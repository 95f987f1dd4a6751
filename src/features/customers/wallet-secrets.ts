import { randomBytes } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import type { Database } from '../../db/database.ts'
import { AppError } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { formatOptionalInstant } from '../../domain/time.ts'
import { recordEvent } from '../events/events.repository.ts'
import { findWalletSecretSetBy, findWalletSecretState, findWalletSigningRow, replaceWalletSecret, setFirstWalletSecret } from './customers.repository.ts'

/** After a rotation the previous secret keeps verifying this long, so merchant backends can switch over. */
export const SECRET_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000
/** Every wallet request verifies a token; the unsealed secrets are kept this long between lookups. */
const CACHE_TTL_MS = 30 * 1000
const CACHE_MAX_MERCHANTS = 10_000

/** What verifying and minting a merchant's wallet tokens needs, unsealed. */
export interface WalletSigning {
  merchantId: string
  name: string
  timezone: string
  current: string | null
  previous: string | null
  previousUntil: number | null
  /** Served from this process's memory rather than just read from the database. */
  cached: boolean
}

interface CacheEntry {
  signing: WalletSigning
  loadedAt: number
}

// One cache per open database, so test apps in one process never see each other's merchants.
const caches = new WeakMap<Database, Map<string, CacheEntry>>()

function cacheOf(ctx: AppContext): Map<string, CacheEntry> {
  let cache = caches.get(ctx.database)
  if (!cache) {
    cache = new Map()
    caches.set(ctx.database, cache)
  }
  return cache
}

function remember(ctx: AppContext, signing: WalletSigning): void {
  const cache = cacheOf(ctx)
  cache.delete(signing.merchantId)
  if (cache.size >= CACHE_MAX_MERCHANTS) cache.delete(cache.keys().next().value as string)
  cache.set(signing.merchantId, { signing: { ...signing, cached: true }, loadedAt: ctx.clock.now() })
}

/** A new wallet signing secret: 256 random bits as base64url text. */
export function newWalletSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** The secrets a token may be signed with at `now`: the current one, and the previous one during its grace period. */
export function signingSecretsAt(signing: WalletSigning, now: number): string[] {
  const secrets: string[] = []
  if (signing.current !== null) secrets.push(signing.current)
  if (signing.previous !== null && signing.previousUntil !== null && now < signing.previousUntil) secrets.push(signing.previous)
  return secrets
}

/** The merchant's signing secrets and zone, from memory when recently read; null for an unknown merchant. */
export async function loadWalletSigning(ctx: AppContext, merchantId: string, options: { fresh?: boolean } = {}): Promise<WalletSigning | null> {
  const entry = cacheOf(ctx).get(merchantId)
  if (entry && !options.fresh && ctx.clock.now() - entry.loadedAt < CACHE_TTL_MS) return entry.signing
  const row = await findWalletSigningRow(ctx.database.db, merchantId)
  if (!row) {
    cacheOf(ctx).delete(merchantId)
    return null
  }
  const signing: WalletSigning = {
    merchantId: row.id,
    name: row.name,
    timezone: row.timezone,
    current: row.wallet_secret_enc === null ? null : ctx.secrets.unseal(row.wallet_secret_enc),
    previous: row.wallet_secret_prev_enc === null ? null : ctx.secrets.unseal(row.wallet_secret_prev_enc),
    previousUntil: row.wallet_secret_prev_until,
    cached: false,
  }
  remember(ctx, signing)
  return signing
}

/** The merchant's current secret, created on first use for a merchant that has none yet. */
export async function currentWalletSecret(ctx: AppContext, merchantId: string): Promise<{ secret: string; signing: WalletSigning }> {
  const signing = await loadWalletSigning(ctx, merchantId)
  if (!signing) throw new AppError('merchant_not_found', 'There is no merchant with this id.')
  if (signing.current !== null) return { secret: signing.current, signing }
  await setFirstWalletSecret(ctx.database.db, merchantId, ctx.secrets.seal(newWalletSecret()), ctx.clock.now())
  // Whoever wrote first won; read what is stored now.
  const fresh = await loadWalletSigning(ctx, merchantId, { fresh: true })
  if (!fresh || fresh.current === null) throw new Error(`merchant ${merchantId} has no wallet secret after creating one`)
  return { secret: fresh.current, signing: fresh }
}

/**
 * Replaces the merchant's wallet secret. The previous one keeps verifying for 24 hours (an older one
 * stops at once); this process uses the new secrets immediately, others within seconds. The merchant
 * records the Idempotency-Key request that set the secret (`requestRef`): a retry after a crash between the
 * commit and the stored answer is answered with that secret, rather than rotating again and dropping the
 * secret in use without its grace period.
 */
export async function rotateWalletSecret(ctx: AppContext, merchantId: string, requestRef: string | null = null): Promise<{ secret: string; previousValidUntil: number | null }> {
  const { db } = ctx.database
  const rotatedBy = async (ref: string) => {
    const row = await findWalletSecretSetBy(db, merchantId, ref)
    return row && { secret: ctx.secrets.unseal(row.wallet_secret_enc as string), previousValidUntil: row.wallet_secret_prev_until }
  }
  return onceForRequest(requestRef, rotatedBy, () => rotate(ctx, merchantId, requestRef))
}

const rotatedMeanwhile = () => new AppError('request_in_progress', 'The wallet secret was rotated at the same moment; retry.')

/** Rotates, unless this request already did (a run of it that committed meanwhile: onceForRequest then finds it). */
async function rotate(ctx: AppContext, merchantId: string, requestRef: string | null): Promise<{ secret: string; previousValidUntil: number | null }> {
  const now = ctx.clock.now()
  const secret = newWalletSecret()
  const previousValidUntil = await ctx.database.db.transaction().execute(async (tx) => {
    const row = await findWalletSecretState(tx, merchantId)
    if (!row) throw new AppError('merchant_not_found', 'There is no merchant with this id.')
    if (requestRef !== null && row.wallet_secret_request_ref === requestRef) throw rotatedMeanwhile()
    const previousUntil = row.wallet_secret_enc === null ? null : now + SECRET_ROTATION_GRACE_MS
    // Only if nobody rotated in between: otherwise their new secret would be dropped without a grace period.
    const replaced = await replaceWalletSecret(tx, merchantId, { replaced: row.wallet_secret_enc, sealedSecret: ctx.secrets.seal(secret), previousUntil, requestRef, now })
    if (!replaced) throw rotatedMeanwhile()
    await recordEvent(tx, { merchantId, type: 'wallet_secret.rotated', data: { previous_secret_valid_until: formatOptionalInstant(previousUntil, row.timezone) }, now })
    return previousUntil
  })
  await loadWalletSigning(ctx, merchantId, { fresh: true })
  return { secret, previousValidUntil }
}
