import type { AppContext } from '../../app-context.ts'
import { hmacHex, safeEqual } from '../../ports/secrets.ts'
import { loadWalletSigning, signingSecretsAt, type WalletSigning } from './wallet-secrets.ts'

/**
 * Wallet tokens say "this merchant vouches that the bearer is its user `user_id` until `exp`":
 *
 *   wt1.<merchant_id>.<base64url(user_id)>.<exp unix seconds>.<hex HMAC-SHA256(secret, everything before the last dot)>
 *
 * A merchant's backend mints them with its wallet secret (like WeChat's signed card_ext); Kabao mints
 * them too, for customers who sign in with a one-time code. docs/wallet-tokens.md is the public spec.
 */
export const WALLET_TOKEN_VERSION = 'wt1'

/** A token may live at most this long, so a leaked one is soon useless; a little leeway for clock drift. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60
const CLOCK_LEEWAY_SECONDS = 5 * 60

const MAX_USER_ID_LENGTH = 128

export interface WalletClaims {
  merchantId: string
  merchantTz: string
  userId: string
}

export interface ParsedWalletToken {
  merchantId: string
  userId: string
  expiresAtSeconds: number
  /** What the signature covers. */
  signedPart: string
  signature: string
}

function signedPartOf(merchantId: string, userId: string, expiresAtSeconds: number): string {
  return `${WALLET_TOKEN_VERSION}.${merchantId}.${Buffer.from(userId, 'utf8').toString('base64url')}.${expiresAtSeconds}`
}

/** Signs a token with the merchant's secret (the secret's text, as UTF-8 bytes, is the HMAC key). */
export function mintWalletToken(secret: string, merchantId: string, userId: string, expiresAtSeconds: number): string {
  const signedPart = signedPartOf(merchantId, userId, expiresAtSeconds)
  return `${signedPart}.${hmacHex(secret, signedPart)}`
}

/** Splits a token into its parts, or null when it is not shaped like a wallet token. Checks no signature. */
export function parseWalletToken(token: string): ParsedWalletToken | null {
  if (token.length > 600) return null
  const parts = token.split('.')
  if (parts.length !== 5) return null
  const [version, merchantId, userB64, exp, signature] = parts
  if (version !== WALLET_TOKEN_VERSION) return null
  if (!/^[a-z]+_[0-9a-z]{26}$/.test(merchantId)) return null
  if (!/^[A-Za-z0-9_-]+$/.test(userB64) || !/^[1-9][0-9]{0,11}$/.test(exp) || !/^[0-9a-f]{64}$/.test(signature)) return null
  const userId = Buffer.from(userB64, 'base64url').toString('utf8')
  // Only the canonical encoding of valid UTF-8 is accepted, so one user has exactly one spelling.
  if (Buffer.from(userId, 'utf8').toString('base64url') !== userB64) return null
  if (userId.length < 1 || userId.length > MAX_USER_ID_LENGTH) return null
  return { merchantId, userId, expiresAtSeconds: Number(exp), signedPart: `${version}.${merchantId}.${userB64}.${exp}`, signature }
}

/** Whether the expiry is still ahead of `now` and not further ahead than a token may live. */
export function isWithinLifetime(expiresAtSeconds: number, now: number): boolean {
  const nowSeconds = Math.floor(now / 1000)
  return expiresAtSeconds > nowSeconds && expiresAtSeconds <= nowSeconds + MAX_TOKEN_LIFETIME_SECONDS + CLOCK_LEEWAY_SECONDS
}

function signedByAny(parsed: ParsedWalletToken, secrets: string[]): boolean {
  return secrets.some((secret) => safeEqual(hmacHex(secret, parsed.signedPart), parsed.signature))
}

/**
 * Tokens whose signature was verified, per database: a wallet request verifies a token, and a customer
 * sends the same one with every request. An entry holds only while the merchant's signing secrets it was
 * verified against are still the ones in memory (loadWalletSigning: the same object), so a rotation or a
 * re-read drops it, exactly as if its HMAC were computed again; expiry is checked on every use.
 */
const VERIFIED_CACHE_SIZE = 10_000
const verifiedCaches = new WeakMap<AppContext['database'], Map<string, { claims: WalletClaims; signing: WalletSigning; expiresAtSeconds: number }>>()

function verifiedCacheOf(ctx: AppContext) {
  let cache = verifiedCaches.get(ctx.database)
  if (!cache) verifiedCaches.set(ctx.database, (cache = new Map()))
  return cache
}

/**
 * The customer a wallet token names, or null when it is malformed, expired, for an unknown merchant or
 * not signed with the merchant's current secret (or its previous one during the rotation grace period).
 */
export async function verifyWalletToken(ctx: AppContext, token: string): Promise<WalletClaims | null> {
  const now = ctx.clock.now()
  const cache = verifiedCacheOf(ctx)
  const hit = cache.get(token)
  if (hit && isWithinLifetime(hit.expiresAtSeconds, now) && (await loadWalletSigning(ctx, hit.claims.merchantId)) === hit.signing) return hit.claims
  const parsed = parseWalletToken(token)
  if (!parsed || !isWithinLifetime(parsed.expiresAtSeconds, now)) return null
  let signing = await loadWalletSigning(ctx, parsed.merchantId)
  if (!signing) return null
  if (!signedByAny(parsed, signingSecretsAt(signing, now))) {
    // Another process may have rotated the secret since we cached it: look once more before refusing.
    if (!signing.cached) return null
    signing = await loadWalletSigning(ctx, parsed.merchantId, { fresh: true })
    if (!signing || !signedByAny(parsed, signingSecretsAt(signing, now))) return null
  }
  const claims = { merchantId: signing.merchantId, merchantTz: signing.timezone, userId: parsed.userId }
  // Only a token of the current secret is kept: one of the previous secret stops at the end of its grace.
  if (signing.cached && signing.current !== null && safeEqual(hmacHex(signing.current, parsed.signedPart), parsed.signature)) {
    cache.delete(token)
    if (cache.size >= VERIFIED_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
    cache.set(token, { claims, signing, expiresAtSeconds: parsed.expiresAtSeconds })
  }
  return claims
}
