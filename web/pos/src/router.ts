import { createAppRouter, once } from '../../shared/router.ts'
import { api, onSessionEnded, startSession, terminal, type StaffSession } from './session.ts'

export const router = createAppRouter('pos', [
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  { path: '/store', name: 'store', component: () => import('./pages/StorePage.vue') },
  { path: '/', name: 'terminal', component: () => import('./pages/TerminalPage.vue') },
])

const loadSession = once(async () => startSession(await api.get<StaffSession>('/v1/staff/session')))
router.beforeEach(async (to) => {
  await loadSession()
  if (to.meta.public) return terminal.session ? { name: 'terminal' } : true
  if (!terminal.session) return { name: 'login' }
  // A terminal redeems in one store: owners and operators choose it first.
  if (to.name === 'terminal' && !terminal.store) return { name: 'store' }
  return true
})

onSessionEnded(() => void router.replace({ name: 'login', query: { expired: '1' } }))
