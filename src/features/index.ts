import type { Feature } from './feature.ts'
import { merchantsRoutes } from './merchants/merchants.routes.ts'
import { storesRoutes } from './stores/stores.routes.ts'
import { cardsRoutes } from './cards/cards.routes.ts'
import { couponsRoutes } from './coupons/coupons.routes.ts'
import { redemptionsRoutes } from './redemptions/redemptions.routes.ts'
import { eventsRoutes } from './events/events.routes.ts'
import { customersRoutes } from './customers/customers.routes.ts'
import { claimLinksRoutes } from './claim-links/claim-links.routes.ts'
import { walletRoutes } from './wallet/wallet.routes.ts'
import { bulkIssueRoutes } from './bulk-issue/bulk-issue.routes.ts'
import { memberCardsRoutes } from './member-cards/member-cards.routes.ts'
import { membersRoutes } from './members/members.routes.ts'
import { membersWalletRoutes } from './members/members.wallet.routes.ts'
import { pointsRoutes } from './points/points.routes.ts'
import { storedValueRoutes } from './stored-value/stored-value.routes.ts'
import { memberOrdersRoutes } from './member-orders/member-orders.routes.ts'
import { rewardsRoutes } from './rewards/rewards.routes.ts'
import { webhooksRoutes } from './webhooks/webhooks.routes.ts'
import { notificationsRoutes } from './notifications/notifications.routes.ts'
import { paymentsRoutes } from './payments/payments.routes.ts'
import { staffRoutes } from './staff/staff.routes.ts'
import { statsRoutes } from './stats/stats.routes.ts'
import { trackingRoutes } from './tracking/tracking.routes.ts'
import { messagingRoutes } from './messaging/messaging.routes.ts'
import { riskRoutes } from './risk/risk.routes.ts'
import { giftsRoutes } from './gifts/gifts.routes.ts'
import { wechatRoutes } from './wechat/wechat.routes.ts'
import { sharingRoutes } from './sharing/sharing.routes.ts'
import { groupsRoutes } from './groups/groups.routes.ts'
import { referralsRoutes } from './referrals/referrals.routes.ts'
import { experimentsRoutes } from './experiments/experiments.routes.ts'
import { memberAnalyticsRoutes } from './member-analytics/member-analytics.routes.ts'

/** Every feature's routes, registered in this order. */
export const FEATURES: Feature[] = [
  // Cards, coupons and redemption
  merchantsRoutes,
  storesRoutes,
  cardsRoutes,
  couponsRoutes,
  redemptionsRoutes,
  customersRoutes,
  claimLinksRoutes,
  walletRoutes,
  giftsRoutes,
  sharingRoutes,
  bulkIssueRoutes,
  // Social: group coupons, referrals
  groupsRoutes,
  // Member cards, points, stored value and rewards
  memberCardsRoutes,
  membersRoutes,
  membersWalletRoutes,
  pointsRoutes,
  storedValueRoutes,
  memberOrdersRoutes,
  rewardsRoutes,
  referralsRoutes,
  // Events, webhooks, payments, notifications, statistics
  eventsRoutes,
  webhooksRoutes,
  notificationsRoutes,
  paymentsRoutes,
  statsRoutes,
  trackingRoutes,
  memberAnalyticsRoutes,
  experimentsRoutes,
  // How customers are reached, and what was sent to them
  messagingRoutes,
  // Risk control: rules, block list, what was flagged
  riskRoutes,
  // The WeChat-compatible card API: a second door onto the same services
  wechatRoutes,
  // Staff accounts and sessions (console, store terminal)
  staffRoutes,
]
