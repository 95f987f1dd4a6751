import { createApiClient } from '../../shared/api.ts'
import { signOut, wallet } from './wallet-session.ts'
import { deviceHeaders } from './device-id.ts'

/** The wallet API with the customer's token. A 401 means the token ended: the customer signs in again. */
let whenEnded: () => void = () => undefined
/** What to do when the token stops working under a call (the router sends the customer to sign in). */
export function onSignedOut(listener: () => void): void {
  whenEnded = listener
}

export const api = createApiClient({
  headers: (): Record<string, string> => ({ ...deviceHeaders(), ...(wallet.token ? { authorization: `Bearer ${wallet.token}` } : {}) }),
  onUnauthenticated: () => {
    if (!wallet.token) return
    signOut()
    whenEnded()
  },
})
