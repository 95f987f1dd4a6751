import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AppContext } from '../app-context.ts'
import type { Database } from '../db/database.ts'
import { AppError } from '../errors.ts'
import { hashApiKey, safeEqual } from '../ports/secrets.ts'
import { verifyWalletToken } from '../features/customers/wallet-token.ts'
import { CSRF_HEADER, SESSION_COOKIE, csrfTokenFor, findSession } from '../features/staff/sessions.ts'
import { scopeOfRole } from '../features/staff/staff-rules.ts'
import type { CustomerPrincipal, MerchantPrincipal, Permission, Scope, StaffPrincipal } from '../principals.ts'
import { findApiKeyByHash } from '../features/merchants/merchants.repository.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route; `merchant` (an API key, or a staff session cookie with the same
     * permissions) when absent; `staff` only a staff session; `optional_customer` anyone, the customer
     * known when a valid wallet token is sent; `merchant_or_customer` a wallet token or what `merchant` takes.
     */
    auth?: 'none' | 'merchant' | 'customer' | 'staff' | 'optional_customer' | 'merchant_or_customer'
    /** A write that only owners may make when signed in as staff (managing staff and keys). */
    ownerOnly?: boolean
    /** For merchant routes: what the key's scope must allow; `read` for GET, `write` otherwise when absent. */
    permission?: Permission
    /** A read route that till (redeem-only) keys may also call. */
    till?: boolean
  }
  interface FastifyRequest {
    merchant: MerchantPrincipal | null
    customer: CustomerPrincipal | null
    staff: StaffPrincipal | null
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match ? match[1] : null
}

/** Which keys may do what, in the words of the 403 detail. */
const KEYS_ALLOWED: Record<Permission, string> = { read: 'a read or full key', redeem: 'a redeem or full key', write: 'a full key' }

function allowed(scope: Scope, permission: Permission, till: boolean): boolean {
  if (scope === 'full') return true
  if (scope === 'read') return permission === 'read'
  return permission === 'redeem' || (permission === 'read' && till)
}

export function merchantOf(request: FastifyRequest): MerchantPrincipal {
  if (!request.merchant) throw new AppError('unauthenticated', 'An API key is required.')
  return request.merchant
}

export function customerOf(request: FastifyRequest): CustomerPrincipal {
  if (!request.customer) throw new AppError('unauthenticated', 'A wallet sign-in is required.')
  return request.customer
}

interface KeyRow {
  id: string
  merchant_id: string
  scope: string
  store_id: string | null
  revoked_at: number | null
  expires_at: number | null
  timezone: string
}

/**
 * Keys looked up in the last second, by hash, per database. Every request is authenticated, so this saves
 * a query on each; a key revoked or rotated here is forgotten at once (forgetApiKeys), one changed by
 * another process of the deployment stops working within KEY_CACHE_MS. Unknown keys are not remembered.
 */
const KEY_CACHE_MS = 1000
const KEY_CACHE_SIZE = 10_000
const keyCaches = new WeakMap<Database, Map<string, { row: KeyRow; until: number }>>()

async function findKey(database: Database, keyHash: string): Promise<KeyRow | undefined> {
  let cache = keyCaches.get(database)
  if (!cache) keyCaches.set(database, (cache = new Map()))
  const cached = cache.get(keyHash)
  const at = performance.now()
  if (cached && cached.until > at) return cached.row
  const row = await findApiKeyByHash(database.db, keyHash)
  cache.delete(keyHash)
  if (row) {
    if (cache.size >= KEY_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
    cache.set(keyHash, { row, until: at + KEY_CACHE_MS })
  }
  return row
}

/** Call after changing a key (revoke, rotate) or its merchant's time zone: the next request reads them again. */
export function forgetApiKeys(database: Database): void {
  keyCaches.get(database)?.clear()
}

export function staffOf(request: FastifyRequest): StaffPrincipal {
  if (!request.staff) throw new AppError('unauthenticated', 'Sign in first.')
  return request.staff
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * The staff member whose session cookie came with the request. Writes must also prove they come from
 * our own pages with the session's CSRF token.
 */
async function staffFromCookie(ctx: AppContext, request: FastifyRequest, token: string): Promise<StaffPrincipal> {
  const session = await findSession(ctx, token)
  if (!session) throw new AppError('unauthenticated', 'The session has ended; sign in again.')
  const csrfToken = csrfTokenFor(ctx, token)
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER]
    if (typeof sent !== 'string' || !safeEqual(sent, csrfToken)) {
      throw new AppError('csrf_token_invalid', `A change made with a session cookie needs the session's token in the ${CSRF_HEADER} header.`)
    }
  }
  return { kind: 'staff', ...session, csrfToken }
}

/** Authenticates every request by its route's `auth` setting, before the body is read. */
export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('merchant', null)
  app.decorateRequest('customer', null)
  app.decorateRequest('staff', null)

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    const mode = config?.auth ?? (request.routeOptions.url === undefined ? 'none' : 'merchant')
    if (mode === 'none') return
    const token = bearerToken(request)
    if (mode === 'optional_customer' || mode === 'merchant_or_customer') {
      const claims = token ? await verifyWalletToken(ctx, token) : null
      if (claims) {
        request.customer = { kind: 'customer', ...claims }
        return
      }
      // A public page stays public with a stale token; the other mode goes on to API keys and sessions.
      if (mode === 'optional_customer') return
    }
    if (mode === 'customer') {
      if (!token) throw new AppError('unauthenticated', 'Sign in to the wallet first.')
      const claims = await verifyWalletToken(ctx, token)
      if (!claims) throw new AppError('unauthenticated', 'The wallet token is invalid or has expired.')
      request.customer = { kind: 'customer', ...claims }
      return
    }
    const sessionToken = request.cookies?.[SESSION_COOKIE]
    if (mode === 'staff') {
      if (!sessionToken) throw new AppError('unauthenticated', 'Sign in first.')
      request.staff = await staffFromCookie(ctx, request, sessionToken)
      return
    }
    const permission = config?.permission ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write')
    if (!token && sessionToken) {
      const staff = await staffFromCookie(ctx, request, sessionToken)
      const scope = scopeOfRole(staff.role)
      if (!allowed(scope, permission, config?.till === true)) {
        throw new AppError('forbidden', `A ${staff.role} may not call ${request.method} ${request.routeOptions.url}.`)
      }
      if (config?.ownerOnly && staff.role !== 'owner' && !SAFE_METHODS.has(request.method)) {
        throw new AppError('forbidden', 'Only an owner may manage staff accounts and API keys.')
      }
      request.staff = staff
      request.merchant = { kind: 'merchant', merchantId: staff.merchantId, merchantTz: staff.merchantTz, keyId: null, scope, storeId: staff.storeId, staffId: staff.staffId }
      return
    }
    if (!token) throw new AppError('unauthenticated', 'Send the API key as "Authorization: Bearer <key>".')
    const now = ctx.clock.now()
    const row = await findKey(ctx.database, hashApiKey(token))
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      throw new AppError('unauthenticated', 'The API key is not valid (unknown, revoked or expired).')
    }
    if (!allowed(row.scope as Scope, permission, config?.till === true)) {
      throw new AppError('forbidden', `A ${row.scope} key may not call ${request.method} ${request.routeOptions.url}; that takes ${KEYS_ALLOWED[permission]}.`)
    }
    request.merchant = {
      kind: 'merchant',
      merchantId: row.merchant_id,
      merchantTz: row.timezone,
      keyId: row.id,
      scope: row.scope as Scope,
      storeId: row.store_id,
      staffId: null,
    }
  })
}

