import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppContext } from '../app-context.ts'
import type { Db } from '../db/database.ts'
import { AppError } from '../errors.ts'
import { IDEMPOTENCY_WINDOW_MS } from '../features/idempotency/request-refs.ts'
import {
  dropIdempotencyKey,
  findIdempotencyKey,
  finishIdempotencyKey,
  holdsIdempotencyLease,
  insertIdempotencyKey,
  takeOverIdempotencyKey,
  type IdempotencyKeyRow,
} from '../features/idempotency/idempotency.repository.ts'

/** A request still marked running after this long is taken to have died with its process. */
const RUNNING_LEASE_MS = 60 * 1000

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyScope | null
  }
  interface FastifyContextConfig {
    /** False for a route that makes its own retries safe (a streamed body cannot be hashed and replayed here). */
    idempotency?: boolean
  }
}

interface IdempotencyScope {
  merchantId: string
  key: string
  /** When the key was first used; kept when a retry takes over from a request that died. */
  createdAt: number
  /** This request's lease: a request whose lease was taken over must not write its response. */
  lockedUntil: number
}

/**
 * A stable name for the logical request behind an Idempotency-Key, the same for a retry that takes over
 * from a process that died after committing but before storing its response. Use cases record it on
 * the rows they create so that such a retry finds the first outcome instead of acting twice.
 */
export function idempotencyRefOf(request: FastifyRequest): string | null {
  const scope = request.idempotency
  return scope ? `${scope.key}@${scope.createdAt}` : null
}

/**
 * Whether the request still holds its Idempotency-Key's lease, i.e. no later run has taken the request over
 * (true without a key). For a use case that must not redo what a run still alive may answer.
 */
export async function holdsLease(db: Db, request: FastifyRequest): Promise<boolean> {
  const scope = request.idempotency
  return scope === null || holdsIdempotencyLease(db, scope)
}

/** The request's `Idempotency-Key` (1 to 255 characters), or null when it has none. */
export function idempotencyKeyOf(request: FastifyRequest): string | null {
  const header = request.headers['idempotency-key']
  if (header === undefined) return null
  const value = Array.isArray(header) ? header[0] : header
  if (value.length < 1 || value.length > 255) {
    throw new AppError('validation_failed', 'Idempotency-Key must be 1 to 255 characters.', [
      { field: 'Idempotency-Key', code: 'invalid', message: 'must be 1 to 255 characters' },
    ])
  }
  return value
}

function scopeOf(request: FastifyRequest): Pick<IdempotencyScope, 'merchantId' | 'key'> | null {
  const value = idempotencyKeyOf(request)
  if (value === null) return null
  if (request.merchant) return { merchantId: request.merchant.merchantId, key: `k:${value}` }
  // Customers share the merchant's key space, so their keys are kept apart by user.
  if (request.customer) return { merchantId: request.customer.merchantId, key: `c:${request.customer.userId}:${value}` }
  return null
}

/** JSON with object keys sorted, so the same body sent with its fields in another order is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? ''
}

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(request.body === undefined ? '' : canonicalJson(request.body))
    .digest('base64url')
}

/**
 * Any state-changing POST may carry `Idempotency-Key`: the first response (status and body) is kept for
 * 24 h and replayed byte for byte to a retry with the same body. Server errors are not kept, so a retry
 * after one runs again.
 */
export function registerIdempotency(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database
  app.decorateRequest('idempotency', null)

  // Callback hooks: most requests carry no key, and for them these should cost next to nothing.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST' || request.routeOptions.config?.idempotency === false) return done()
    const scope = scopeOf(request)
    if (!scope) return done()
    claimKey(request, reply, scope).then((replayed) => {
      if (!replayed) done()
    }, done)
  })

  /** Takes the key for this request, or replays the answer it already has (true: the reply is sent). */
  async function claimKey(request: FastifyRequest, reply: FastifyReply, scope: Pick<IdempotencyScope, 'merchantId' | 'key'>): Promise<boolean> {
    const now = ctx.clock.now()
    const hash = requestHash(request)
    const lockedUntil = now + RUNNING_LEASE_MS
    const fresh: IdempotencyKeyRow = { merchant_id: scope.merchantId, key: scope.key, request_hash: hash, state: 'running', status_code: null, response_body: null, created_at: now, locked_until: lockedUntil }
    if (await insertIdempotencyKey(db, fresh)) {
      request.idempotency = { ...scope, createdAt: now, lockedUntil }
      return false
    }
    const existing = await findIdempotencyKey(db, scope.merchantId, scope.key)
    if (!existing) throw new AppError('request_in_progress', 'A request with this Idempotency-Key is being processed; retry shortly.')
    if (existing.created_at + IDEMPOTENCY_WINDOW_MS <= now) {
      // Past its replay window the key starts a new request.
      if (await takeOverIdempotencyKey(db, existing, fresh)) {
        request.idempotency = { ...scope, createdAt: now, lockedUntil }
        return false
      }
      throw new AppError('request_in_progress', 'A request with this Idempotency-Key is being processed; retry shortly.')
    }
    if (existing.request_hash !== hash) {
      throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request; use a new key for a new request.')
    }
    if (existing.state === 'running') {
      // Still running after its lease: the process died. This retry continues the same logical request.
      if (existing.locked_until <= now && (await takeOverIdempotencyKey(db, existing, { locked_until: lockedUntil }))) {
        request.idempotency = { ...scope, createdAt: existing.created_at, lockedUntil }
        return false
      }
      throw new AppError('request_in_progress', 'A request with this Idempotency-Key is being processed; retry shortly.')
    }
    replay(reply, existing.status_code ?? 200, existing.response_body === null ? '' : ctx.secrets.unseal(existing.response_body))
    return true
  }

  app.addHook('onSend', (request, reply, payload, done) => {
    const scope = request.idempotency
    if (!scope) return done(null, payload)
    request.idempotency = null
    // Not kept after a server error: a retry runs again. Sealed otherwise: responses carry secrets (coupon
    // codes, new API keys) that the database must not hold in clear.
    const kept = reply.statusCode >= 500 || typeof payload !== 'string'
      ? dropIdempotencyKey(db, scope)
      : finishIdempotencyKey(db, scope, { statusCode: reply.statusCode, sealedBody: ctx.secrets.seal(payload) })
    kept.then(() => done(null, payload), done)
  })
}

function replay(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('idempotent-replayed', 'true')
    .type(status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8')
    .send(body)
}
