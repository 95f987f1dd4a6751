import type { FieldError } from '../../domain/types.ts'
import { STAFF_ROLES, type Scope, type StaffRole } from '../../principals.ts'

/**
 * Staff sign in with the same permissions as API keys: owners and operators may do everything (only
 * owners manage staff and keys), analysts look, clerks redeem in their own store.
 */
export function scopeOfRole(role: StaffRole): Scope {
  if (role === 'analyst') return 'read'
  if (role === 'clerk') return 'redeem'
  return 'full'
}

/** Sign-in names are compared without case or surrounding spaces. */
export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase()
}

const LOGIN_SHAPE = /^[a-z0-9][a-z0-9._@+-]{2,99}$/

export function loginErrors(login: string): FieldError[] {
  return LOGIN_SHAPE.test(normalizeLogin(login))
    ? []
    : [{ field: 'login', code: 'invalid', message: 'must be 3 to 100 letters, digits or . _ @ + - (an e-mail address or a user name)' }]
}

/** A clerk works in one store; nobody else is bound to one. */
export function storeBindingErrors(role: StaffRole, storeId: string | null): FieldError[] {
  if (role === 'clerk' && storeId === null) return [{ field: 'store_id', code: 'required', message: 'is required for a clerk: the store they redeem in' }]
  if (role !== 'clerk' && storeId !== null) return [{ field: 'store_id', code: 'not_allowed', message: 'is only for clerks' }]
  return []
}

/** Failed sign-ins allowed per name and per address within the window, against password guessing. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000
export const MAX_FAILURES_PER_LOGIN = 5
export const MAX_FAILURES_PER_ADDRESS = 30

/** Whether another sign-in may be tried, given when the recent failures were; if not, how long until one may. */
export function decideLoginAttempt(failedAt: number[], max: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
  const recent = failedAt.filter((at) => at > now - LOGIN_WINDOW_MS).sort((a, b) => a - b)
  if (recent.length < max) return { ok: true }
  return { ok: false, retryAfterMs: recent[recent.length - max] + LOGIN_WINDOW_MS - now }
}
