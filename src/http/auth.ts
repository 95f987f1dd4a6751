import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AppContext } from '../app-context.ts'
import type { Database } from '../db/database.ts'
import { AppError } from './errors.ts'
import { hashApiKey } from '../ports/secrets.ts'
import { verifyWalletToken } from '../features/customers/wallet-token.ts'

export type Scope = 'full' | 'redeem' | 'read'
/** What a route needs: `read` (look), `redeem` (till work), `write` (change anything). */
export type Permission = 'read' | 'redeem' | 'write'

export interface MerchantPrincipal {
  kind: 'merchant'
  merchantId: string
  merchantTz: string
  keyId: string
  scope: Scope
  /** A till key bound to one store redeems there. */
  storeId: string | null
}

export interface CustomerPrincipal {
  kind: 'customer'
  merchantId: string
  merchantTz: string
  userId: string
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; `merchant` (API key) when absent. */
    auth?: 'none' | 'merchant' | 'customer'
    /** For merchant routes: what the key's scope must allow; `read` for GET, `write` otherwise when absent. */
    permission?: Permission
    /** A read route that till (redeem-only) keys may also call. */
    till?: boolean
  }
  interface FastifyRequest {
    merchant: MerchantPrincipal | null
    customer: CustomerPrincipal | null
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
  const row = await database.db
    .selectFrom('api_keys')
    .innerJoin('merchants', 'merchants.id', 'api_keys.merchant_id')
    .select(['api_keys.id', 'api_keys.merchant_id', 'api_keys.scope', 'api_keys.store_id', 'api_keys.revoked_at', 'api_keys.expires_at', 'merchants.timezone'])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst()
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

/** Authenticates every request by its route's `auth` setting, before the body is read. */
export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('merchant', null)
  app.decorateRequest('customer', null)

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    const mode = config?.auth ?? (request.routeOptions.url === undefined ? 'none' : 'merchant')
    if (mode === 'none') return
    const token = bearerToken(request)
    if (mode === 'customer') {
      if (!token) throw new AppError('unauthenticated', 'Sign in to the wallet first.')
      const claims = await verifyWalletToken(ctx, token)
      if (!claims) throw new AppError('unauthenticated', 'The wallet token is invalid or has expired.')
      request.customer = { kind: 'customer', ...claims }
      return
    }
    if (!token) throw new AppError('unauthenticated', 'Send the API key as "Authorization: Bearer <key>".')
    const now = ctx.clock.now()
    const row = await findKey(ctx.database, hashApiKey(token))
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      throw new AppError('unauthenticated', 'The API key is not valid (unknown, revoked or expired).')
    }
    const permission = config?.permission ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write')
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
    }
  })
}

