import { createApiClient } from '../../shared/api.ts'
import { signOut, wallet } from './wallet-session.ts'

/** The wallet API with the customer's token. A 401 means the token ended: the customer signs in again. */
let whenEnded: () => void = () => undefined
/** What to do when the token stops working under a call (the router sends the customer to sign in). */
export function onSignedOut(listener: () => void): void {
  whenEnded = listener
}

const DEVICE_KEY = 'kabao.device'

/** A random id for this browser, kept in it: the claim page's views count it as one viewer before sign-in. */
function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY)
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
    localStorage.setItem(DEVICE_KEY, id)
  }
  return id
}

export const api = createApiClient({
  headers: (): Record<string, string> => ({ 'kabao-device': deviceId(), ...(wallet.token ? { authorization: `Bearer ${wallet.token}` } : {}) }),
  onUnauthenticated: () => {
    if (!wallet.token) return
    signOut()
    whenEnded()
  },
})
