import { createAppRouter } from '../../shared/router.ts'
import { signIn, wallet } from './wallet-session.ts'
import { detectFeatures } from './features.ts'
import { onSignedOut } from './api.ts'

/** Every page is its own chunk: opening a claim link loads the claim page and little else. */
export const router = createAppRouter(
  'wallet',
  [
    { path: '/', name: 'coupons', component: () => import('./pages/CouponsPage.vue'), meta: { tabs: true } },
    { path: '/coupons/:id', name: 'coupon', component: () => import('./pages/CouponPage.vue') },
    { path: '/claim/:token', name: 'claim', component: () => import('./pages/ClaimPage.vue'), meta: { public: true } },
    { path: '/gift/:token', name: 'gift', component: () => import('./pages/GiftPage.vue'), meta: { public: true } },
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
    { path: '/auth', name: 'auth', component: () => import('./pages/TokenPage.vue'), meta: { public: true } },
    { path: '/me', name: 'me', component: () => import('./pages/MePage.vue'), meta: { tabs: true } },
    { path: '/member', name: 'member', component: () => import('./pages/MemberPage.vue'), meta: { tabs: true } },
    { path: '/member-cards/:id', name: 'join', component: () => import('./pages/JoinPage.vue') },
    { path: '/groups/:id', name: 'group', component: () => import('./pages/GroupPage.vue') },
    { path: '/inbox', name: 'inbox', component: () => import('./pages/InboxPage.vue'), meta: { tabs: true } },
  ],
  { scrollBehavior: () => ({ top: 0 }) },
)

/**
 * A merchant's page may link any wallet page with the customer's wallet token in the fragment
 * (`/wallet/?merchant=…#token=…`): it signs them in, and the page opens without it in the address bar.
 */
router.beforeEach((to) => {
  const token = to.name === 'auth' ? null : new URLSearchParams(to.hash.slice(1)).get('token')
  if (token) {
    signIn(token)
    return { path: to.path, query: to.query, hash: '', replace: true }
  }
  if (to.meta.public || wallet.token) {
    if (wallet.token) void detectFeatures()
    return true
  }
  // A link may name its merchant (`?merchant=`), e.g. a member card's join link shared outside the merchant's app.
  const merchant = typeof to.query.merchant === 'string' ? to.query.merchant : wallet.merchantId
  return { name: 'login', query: { redirect: to.fullPath, ...(merchant ? { merchant } : {}) } }
})

onSignedOut(() => {
  const current = router.currentRoute.value
  if (!current.meta.public) void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1', ...(wallet.merchantId ? { merchant: wallet.merchantId } : {}) } })
})
