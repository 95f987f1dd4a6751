import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import type { StaffRole } from '../../principals.ts'
import { findSessionByTokenHash, insertSession, revokeSessionsOfStaff } from './staff.repository.ts'

/** The cookie that carries a staff member's session token; the token itself is never stored. */
export const SESSION_COOKIE = 'kabao_session'
/** A working day and then some: a till signed in at opening stays signed in until closing. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000
/**
 * Writes authenticated by the cookie must carry this header with the session's CSRF token, which only a
 * page of our own origin can read (from the sign-in answer or GET /v1/staff/session); another site can
 * make the browser send the cookie but cannot know the token.
 */
export const CSRF_HEADER = 'x-kabao-csrf'

export interface StaffSession {
  sessionId: string
  merchantId: string
  merchantTz: string
  staffId: string
  role: StaffRole
  storeId: string | null
  expiresAt: number
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Derived from the session token with the server's key, so it needs no storage and dies with the session. */
export function csrfTokenFor(ctx: Pick<AppContext, 'secrets'>, token: string): string {
  return ctx.secrets.shortSecretHash(`csrf.${token}`)
}

export async function startSession(db: Db, staff: { merchantId: string; staffId: string }, now: number): Promise<{ token: string; expiresAt: number }> {
  const token = randomToken(32)
  const expiresAt = now + SESSION_TTL_MS
  await insertSession(db, { id: newId('ses', now), merchant_id: staff.merchantId, staff_id: staff.staffId, token_hash: hashSessionToken(token), created_at: now, expires_at: expiresAt, revoked_at: null })
  return { token, expiresAt }
}

/** The live session of this token: not revoked, not expired, its account not disabled. */
export async function findSession(ctx: AppContext, token: string): Promise<StaffSession | null> {
  const row = await findSessionByTokenHash(ctx.database.db, hashSessionToken(token))
  if (!row || row.revoked_at !== null || row.expires_at <= ctx.clock.now() || row.disabled_at !== null) return null
  return {
    sessionId: row.id,
    merchantId: row.merchant_id,
    merchantTz: row.timezone,
    staffId: row.staff_id,
    role: row.role,
    storeId: row.store_id,
    expiresAt: row.expires_at,
  }
}

/** Signs out every session of an account (but `except`, the caller's own, when given). */
export async function revokeSessionsOf(db: Db, merchantId: string, staffId: string, now: number, except?: string): Promise<void> {
  await revokeSessionsOfStaff(db, merchantId, staffId, now, except)
}

/** HttpOnly (scripts never see the token), SameSite=Lax, and Secure whenever the site is served over https. */
export function setSessionCookie(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https' || ctx.publicUrl.startsWith('https://'),
    expires: new Date(expiresAt),
  })
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' })
}
