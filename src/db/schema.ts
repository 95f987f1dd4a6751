/**
 * The database as Kysely sees it: each feature types its own tables in `<area>.table.ts` (timestamps
 * epoch ms UTC, money integer fen, flags 0/1, JSON columns read through `fromJson`); this joins them.
 */
import type { MerchantsTable, ApiKeysTable } from '../features/merchants/merchants.table.ts'
import type { StoresTable } from '../features/stores/stores.table.ts'
import type { CardsTable, CardVersionsTable, CardUserClaimsTable } from '../features/cards/cards.table.ts'
import type { CouponsTable } from '../features/coupons/coupons.table.ts'
import type { RedemptionsTable } from '../features/redemptions/redemptions.table.ts'
import type { IdempotencyKeysTable } from '../features/idempotency/idempotency.table.ts'
import type { EventsTable } from '../features/events/events.table.ts'
import type { ClaimLinksTable } from '../features/claim-links/claim-links.table.ts'
import type { CustomersTable, OtpChallengesTable } from '../features/customers/customers.table.ts'
import type { JobLeasesTable, JobRunsTable } from '../jobs/jobs.table.ts'
import type { MemberCardsTable } from '../features/member-cards/member-cards.table.ts'
import type { MembersTable } from '../features/members/members.table.ts'
import type { PointsEntriesTable, PointsLotsTable } from '../features/points/points.table.ts'
import type { StoredValueEntriesTable } from '../features/stored-value/stored-value.table.ts'
import type { MemberOrdersTable, MemberOrderRefundsTable } from '../features/member-orders/member-orders.table.ts'
import type { RewardsTable, RewardMemberCountsTable, RewardExchangesTable } from '../features/rewards/rewards.table.ts'
import type { WebhookEndpointsTable, WebhookDeliveriesTable, WebhookAttemptsTable } from '../features/webhooks/webhooks.table.ts'
import type { NotificationsTable } from '../features/notifications/notifications.table.ts'
import type { PaymentsTable, PaymentRulesTable } from '../features/payments/payments.table.ts'
import type { CardActivityDaysTable, CardPersonDaysTable, CardReachTable, CardShareDaysTable, DailyChannelStatsTable, DailyStatsTable, MerchantClaimDaysTable } from '../features/stats/stats.table.ts'
import type { CardDayViewersTable, CardViewDaysTable, TrackedEventsTable } from '../features/tracking/tracking.table.ts'
import type { StaffTable, StaffSessionsTable, LoginAttemptsTable } from '../features/staff/staff.table.ts'
import type { MessageChannelsTable, SentMessagesTable } from '../features/messaging/messaging.table.ts'
import type { GiftsTable, GiftUserDaysTable } from '../features/gifts/gifts.table.ts'
import type { WechatAppsTable, WechatTokensTable, WechatCardsTable, WechatQrcodesTable, WechatLandingPagesTable, WechatPoisTable, WechatMemberCodesTable, WechatCodeKeysTable } from '../features/wechat/wechat.table.ts'
import type { CardSharesTable, ShareFriendsTable, ShareRewardGrantsTable } from '../features/sharing/sharing.table.ts'
import type { GroupsTable, GroupMembersTable } from '../features/groups/groups.table.ts'
import type { MemberInvitesTable, ReferralsTable } from '../features/referrals/referrals.table.ts'
import type { ExperimentClaimsTable, ExperimentsTable, ExperimentVariantsTable } from '../features/experiments/experiments.table.ts'
import type { RfmThresholdsTable } from '../features/member-analytics/member-analytics.table.ts'
import type { RiskRulesTable, RiskBlocksTable, RiskEventsTable, RiskCountersTable, RiskCounterHitsTable, RiskCountsTable } from '../features/risk/risk.table.ts'

export type { Json } from './json.ts'
export type { MerchantsTable, ApiKeysTable, StoresTable, CardsTable, CardVersionsTable, CardUserClaimsTable, CouponsTable, RedemptionsTable, IdempotencyKeysTable, EventsTable, ClaimLinksTable, CustomersTable, OtpChallengesTable, JobLeasesTable, MemberCardsTable, MembersTable, PointsEntriesTable, PointsLotsTable, StoredValueEntriesTable, MemberOrdersTable, MemberOrderRefundsTable, RewardsTable, RewardMemberCountsTable, RewardExchangesTable, WebhookEndpointsTable, WebhookDeliveriesTable, WebhookAttemptsTable, NotificationsTable, PaymentsTable, PaymentRulesTable, JobRunsTable, DailyStatsTable, DailyChannelStatsTable, TrackedEventsTable, CardViewDaysTable, CardDayViewersTable, StaffTable, StaffSessionsTable, LoginAttemptsTable, MessageChannelsTable, SentMessagesTable }

export interface DB {
  merchants: MerchantsTable
  api_keys: ApiKeysTable
  stores: StoresTable
  cards: CardsTable
  card_versions: CardVersionsTable
  card_user_claims: CardUserClaimsTable
  coupons: CouponsTable
  redemptions: RedemptionsTable
  idempotency_keys: IdempotencyKeysTable
  events: EventsTable
  claim_links: ClaimLinksTable
  customers: CustomersTable
  otp_challenges: OtpChallengesTable
  job_leases: JobLeasesTable
  member_cards: MemberCardsTable
  members: MembersTable
  points_entries: PointsEntriesTable
  points_lots: PointsLotsTable
  stored_value_entries: StoredValueEntriesTable
  member_orders: MemberOrdersTable
  member_order_refunds: MemberOrderRefundsTable
  rewards: RewardsTable
  reward_member_counts: RewardMemberCountsTable
  reward_exchanges: RewardExchangesTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
  notifications: NotificationsTable
  payments: PaymentsTable
  payment_rules: PaymentRulesTable
  job_runs: JobRunsTable
  daily_stats: DailyStatsTable
  daily_channel_stats: DailyChannelStatsTable
  card_activity_days: CardActivityDaysTable
  card_person_days: CardPersonDaysTable
  card_reach: CardReachTable
  card_share_days: CardShareDaysTable
  merchant_claim_days: MerchantClaimDaysTable
  tracked_events: TrackedEventsTable
  card_view_days: CardViewDaysTable
  card_day_viewers: CardDayViewersTable
  staff: StaffTable
  staff_sessions: StaffSessionsTable
  login_attempts: LoginAttemptsTable
  message_channels: MessageChannelsTable
  sent_messages: SentMessagesTable
  risk_rules: RiskRulesTable
  risk_blocks: RiskBlocksTable
  risk_events: RiskEventsTable
  risk_counters: RiskCountersTable
  risk_counter_hits: RiskCounterHitsTable
  risk_counts: RiskCountsTable
  gifts: GiftsTable
  gift_user_days: GiftUserDaysTable
  wechat_apps: WechatAppsTable
  wechat_tokens: WechatTokensTable
  wechat_cards: WechatCardsTable
  wechat_qrcodes: WechatQrcodesTable
  wechat_landing_pages: WechatLandingPagesTable
  wechat_pois: WechatPoisTable
  wechat_member_codes: WechatMemberCodesTable
  wechat_code_keys: WechatCodeKeysTable
  card_shares: CardSharesTable
  share_friends: ShareFriendsTable
  share_reward_grants: ShareRewardGrantsTable
  groups: GroupsTable
  group_members: GroupMembersTable
  member_invites: MemberInvitesTable
  referrals: ReferralsTable
  rfm_thresholds: RfmThresholdsTable
  experiments: ExperimentsTable
  experiment_variants: ExperimentVariantsTable
  experiment_claims: ExperimentClaimsTable
}
