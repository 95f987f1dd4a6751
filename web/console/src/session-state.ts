import type { ItemOf, ResponseOf } from '../../shared/api-schema.ts'
import { reactive } from 'vue'

export type Staff = ItemOf<'/v1/staff'>

export type SessionInfo = ResponseOf<'/v1/staff/session', 'get'>

/** Who is signed in; empty when nobody is. */
export const session = reactive({
  staff: null as Staff | null,
  merchant: null as SessionInfo['merchant'] | null,
  csrfToken: '',
  /** Set when a call answered 401: the router sends the user to sign in. */
  ended: false,
})

export function applySession(info: SessionInfo): void {
  session.staff = info.staff
  session.merchant = info.merchant
  session.csrfToken = info.csrf_token
  session.ended = false
}

export function clearSession(): void {
  session.staff = null
  session.merchant = null
  session.csrfToken = ''
}

const listeners: (() => void)[] = []
export function onSessionEnded(listener: () => void): void {
  listeners.push(listener)
}

export function sessionEnded(): void {
  if (!session.staff) return
  clearSession()
  session.ended = true
  for (const listener of listeners) listener()
}

/** Owners and operators change things; analysts only look; owners manage staff and keys. */
export const canWrite = () => session.staff?.role === 'owner' || session.staff?.role === 'operator'
export const canManage = () => session.staff?.role === 'owner'
