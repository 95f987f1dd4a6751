import { createApiClient } from '../../shared/api.ts'
import { session, sessionEnded } from './session-state.ts'

/** The console calls the same REST API as integrators, signed in by the session cookie. */
export const api = createApiClient({
  headers: (): Record<string, string> => (session.csrfToken ? { 'x-kabao-csrf': session.csrfToken } : {}),
  onUnauthenticated: () => sessionEnded(),
})
