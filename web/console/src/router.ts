import { createAppRouter, once } from '../../shared/router.ts'
import { api } from './api.ts'
import { applySession, onSessionEnded, session, type SessionInfo } from './session-state.ts'
import { detectOptionalFeatures } from './features.ts'

/** Every page is its own chunk: a visit loads the layout and the page it opens, nothing else. */
export const router = createAppRouter('console', [
  { path: '/setup', name: 'setup', component: () => import('./pages/SetupPage.vue'), meta: { public: true } },
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./layouts/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'dashboard', component: () => import('./pages/DashboardPage.vue') },
      { path: 'cards', name: 'cards', component: () => import('./pages/CardsPage.vue') },
      { path: 'cards/new', name: 'card-new', component: () => import('./pages/CardEditPage.vue') },
      { path: 'cards/:id', name: 'card', component: () => import('./pages/CardDetailPage.vue') },
      { path: 'cards/:id/edit', name: 'card-edit', component: () => import('./pages/CardEditPage.vue') },
      { path: 'cards/:id/stats', name: 'card-stats', component: () => import('./pages/CardStatsPage.vue') },
      { path: 'coupons', name: 'coupons', component: () => import('./pages/CouponsPage.vue') },
      { path: 'stores', name: 'stores', component: () => import('./pages/StoresPage.vue') },
      { path: 'staff', name: 'staff', component: () => import('./pages/StaffPage.vue') },
      { path: 'api-keys', name: 'api-keys', component: () => import('./pages/ApiKeysPage.vue') },
      { path: 'wechat-apps', name: 'wechat-apps', component: () => import('./pages/WechatAppsPage.vue') },
      { path: 'webhooks', name: 'webhooks', component: () => import('./pages/WebhooksPage.vue') },
      { path: 'members', name: 'members', component: () => import('./pages/MembersPage.vue') },
      { path: 'member-analytics', name: 'member-analytics', component: () => import('./pages/MemberAnalyticsPage.vue') },
      { path: 'experiments', name: 'experiments', component: () => import('./pages/ExperimentsPage.vue') },
      { path: 'rewards', name: 'rewards', component: () => import('./pages/RewardsPage.vue') },
      { path: 'message-channels', name: 'message-channels', component: () => import('./pages/MessageChannelsPage.vue') },
      { path: 'sent-messages', name: 'sent-messages', component: () => import('./pages/SentMessagesPage.vue') },
      { path: 'risk', name: 'risk', component: () => import('./pages/RiskPage.vue') },
      { path: 'settings', name: 'settings', component: () => import('./pages/SettingsPage.vue') },
    ],
  },
])

const loadSession = once(async () => {
  applySession(await api.get<SessionInfo>('/v1/staff/session'))
  void detectOptionalFeatures()
})

/** Loads the session once; an unknown visitor is sent to sign in, or to the first-run page on a new installation. */
router.beforeEach(async (to) => {
  await loadSession()
  if (to.meta.public) {
    if (session.staff) return { name: 'dashboard' }
    if (to.name === 'login') {
      const { setup_required } = await api.get<{ setup_required: boolean }>('/v1/setup')
      if (setup_required) return { name: 'setup' }
    }
    return true
  }
  if (session.staff) return true
  return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
})

onSessionEnded(() => {
  const current = router.currentRoute.value
  if (!current.meta.public) void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
})

/** After signing in: where the visitor wanted to go. */
export function afterSignIn(redirect: unknown): void {
  void detectOptionalFeatures()
  void router.replace(typeof redirect === 'string' && redirect.startsWith('/') ? redirect : { name: 'dashboard' })
}
