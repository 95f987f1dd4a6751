import { reactive } from 'vue'
import { createApiClient } from '../../shared/api.ts'
import type { ResponseOf } from '../../shared/api-schema.ts'

export type StaffSession = ResponseOf<'/v1/staff/session', 'get'>

/** What the terminal keeps of its store. */
export type Store = Pick<ResponseOf<'/v1/stores/{store_id}', 'get'>, 'id' | 'name'>

const STORE_KEY = 'kabao.pos.store'

/** The signed-in staff member and the store this terminal redeems in. */
export const terminal = reactive({
  session: null as StaffSession | null,
  store: null as Store | null,
  /** Set when a call answered 401. */
  ended: false,
})

let whenEnded: () => void = () => undefined
/** What to do when the session ends under a call (the router sends the clerk to sign in). */
export function onSessionEnded(listener: () => void): void {
  whenEnded = listener
}

export const api = createApiClient({
  headers: (): Record<string, string> => (terminal.session ? { 'x-kabao-csrf': terminal.session.csrf_token } : {}),
  onUnauthenticated: (error) => {
    // A manager's wrong password when confirming (二次确认) is not the end of the clerk's session.
    if (!terminal.session || error.code === 'invalid_credentials') return
    terminal.session = null
    terminal.ended = true
    whenEnded()
  },
})

/** Clerks are bound to their store; owners and operators pick one for this terminal (remembered here). */
export function rememberedStore(): Store | null {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) ?? 'null') as Store | null
  } catch {
    return null
  }
}

export function chooseStore(store: Store | null): void {
  terminal.store = store
  try {
    if (store) localStorage.setItem(STORE_KEY, JSON.stringify(store))
    else localStorage.removeItem(STORE_KEY)
  } catch {
    // Private browsing: chosen for this page only.
  }
}

export async function startSession(session: StaffSession): Promise<void> {
  terminal.session = session
  terminal.ended = false
  if (session.staff.store_id) {
    const store = await api.get<Store>(`/v1/stores/${encodeURIComponent(session.staff.store_id)}`)
    terminal.store = { id: store.id, name: store.name }
  } else {
    terminal.store = rememberedStore()
  }
}

export async function endSession(): Promise<void> {
  try {
    await api.del('/v1/staff/session')
  } finally {
    terminal.session = null
    terminal.store = null
  }
}
