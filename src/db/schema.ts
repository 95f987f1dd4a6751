/**
 * Row types of every table, shared by both engines. Timestamps are epoch milliseconds (UTC), money and
 * counters are integers, flags are 0/1, JSON columns hold `JsonValue` (text on SQLite, jsonb on PostgreSQL:
 * read them through `fromJson`).
 */
export type Json = unknown

export interface MerchantsTable {
  id: string
  name: string
  timezone: string
  capabilities: Json
  policy: Json
  wallet_secret_enc: string | null
  /** The secret before the last rotation, honoured until `wallet_secret_prev_until`. */
  wallet_secret_prev_enc: string | null
  wallet_secret_prev_until: number | null
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that set the current wallet secret. */
  wallet_secret_request_ref: string | null
}

export interface ApiKeysTable {
  id: string
  merchant_id: string
  name: string
  scope: string
  store_id: string | null
  key_hash: string
  key_hint: string
  created_at: number
  revoked_at: number | null
  expires_at: number | null
  /** The Idempotency-Key request that made the key (created or rotated to it), unique per merchant; null without one. */
  request_ref?: string | null
}

export interface StoresTable {
  id: string
  merchant_id: string
  name: string
  address: string | null
  latitude: number | null
  longitude: number | null
  timezone: string
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface CardsTable {
  id: string
  merchant_id: string
  type: string
  status: string
  version: number
  stock_remaining: number
  issued_count: number
  get_limit: number
  code_type: string
  created_at: number
  updated_at: number
  /** `card.stock_low` fires when stock_remaining falls to this or below; null = no alert. */
  stock_low_threshold: number | null
  /** When the alert fired for the current crossing; cleared once stock is back above the threshold. */
  stock_low_at: number | null
  /** Days before expiry that holders are reminded; null = no reminder. */
  remind_days_before: number | null
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface CardVersionsTable {
  id: string
  merchant_id: string
  card_id: string
  version: number
  terms: Json
  created_at: number
}

export interface CardUserClaimsTable {
  merchant_id: string
  card_id: string
  user_id: string
  claimed: number
}

export interface CouponsTable {
  id: string
  merchant_id: string
  card_id: string
  card_version_id: string
  code_hash: string
  code_enc: string
  user_id: string
  state: string
  source: string
  source_ref: string | null
  valid_from: number
  valid_until: number
  issued_at: number
  redeemed_at: number | null
  redemption_id: string | null
  voided_at: number | null
  updated_at: number
  /** When its holder was reminded that it expires soon (once per coupon); absent on insert (null). */
  reminded_at?: number | null
}

export interface RedemptionsTable {
  id: string
  merchant_id: string
  coupon_id: string
  card_id: string
  store_id: string | null
  api_key_id: string | null
  channel: string
  order_amount: number | null
  discount_amount: number
  redeemed_at: number
  reversed_at: number | null
  reversal_reason: string | null
  request_ref: string | null
  /** The Idempotency-Key request that reversed it. */
  reversal_request_ref: string | null
  /** The clerk who redeemed it through the store terminal, when not an API key. */
  staff_id: string | null
}

export interface IdempotencyKeysTable {
  merchant_id: string
  key: string
  request_hash: string
  state: string
  status_code: number | null
  response_body: string | null
  created_at: number
  locked_until: number
}

export interface EventsTable {
  id: string
  merchant_id: string
  type: string
  data: Json
  created_at: number
  /** When the event was fanned out to webhook endpoints; null while still to do. */
  dispatched_at?: number | null
  /** The Idempotency-Key request whose change it records, for a change that makes no row of its own (a stock change); absent on insert (null). */
  request_ref?: string | null
}

export interface ClaimLinksTable {
  id: string
  merchant_id: string
  card_id: string
  token: string
  status: string
  claimed_count: number
  max_claims: number | null
  expires_at: number | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface CustomersTable {
  id: string
  merchant_id: string
  user_id: string
  phone: string | null
  email: string | null
  created_at: number
}

export interface OtpChallengesTable {
  id: string
  merchant_id: string
  destination: string
  code_hash: string
  attempts: number
  expires_at: number
  consumed_at: number | null
  created_at: number
}

export interface JobLeasesTable {
  name: string
  holder: string
  locked_until: number
  last_run_at: number | null
}

export interface MemberCardsTable {
  id: string
  merchant_id: string
  status: string
  terms: Json
  next_member_number: number
  member_count: number
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface MembersTable {
  id: string
  merchant_id: string
  member_card_id: string
  user_id: string
  member_number: string
  level_index: number
  growth: number
  points_balance: number
  /** The sequence number of the member's last points entry. */
  points_seq: number
  stored_value_balance: number
  stored_value_seq: number
  profile: Json
  consented_at: number | null
  profile_completed_at: number | null
  /** 'YYYY-MM-DD' */
  birthday: string | null
  next_birthday_at: number | null
  next_review_at: number | null
  referrer_member_id: string | null
  joined_at: number
  level_changed_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface PointsEntriesTable {
  id: string
  merchant_id: string
  member_id: string
  seq: number
  type: string
  delta: number
  balance_after: number
  reason: string
  source_ref: string | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface PointsLotsTable {
  /** The id of the entry that earned the points. */
  id: string
  merchant_id: string
  member_id: string
  amount: number
  remaining: number
  expires_at: number | null
  notice_at: number | null
  noticed_at: number | null
  created_at: number
}

export interface StoredValueEntriesTable {
  id: string
  merchant_id: string
  member_id: string
  seq: number
  type: string
  delta: number
  balance_after: number
  reason: string
  payment_ref: string | null
  source_ref: string | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface MemberOrdersTable {
  id: string
  merchant_id: string
  member_id: string
  order_ref: string
  store_id: string | null
  redemption_id: string | null
  order_amount: number
  refunded_amount: number
  points_earned: number
  points_lot_id: string | null
  points_reversed: number
  points_unrecovered: number
  growth_earned: number
  growth_reversed: number
  stored_value_paid: number
  stored_value_returned: number
  created_at: number
  updated_at: number
}

export interface MemberOrderRefundsTable {
  id: string
  merchant_id: string
  order_id: string
  refund_ref: string
  amount: number
  points_reversed: number
  points_unrecovered: number
  growth_reversed: number
  stored_value_returned: number
  created_at: number
}

export interface RewardsTable {
  id: string
  merchant_id: string
  member_card_id: string
  type: string
  card_id: string | null
  title: string
  description: string | null
  points_cost: number
  stock_remaining: number
  exchanged_count: number
  per_member_limit: number | null
  status: string
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface RewardMemberCountsTable {
  merchant_id: string
  reward_id: string
  member_id: string
  exchanged: number
}

export interface RewardExchangesTable {
  id: string
  merchant_id: string
  reward_id: string
  member_id: string
  points_cost: number
  points_entry_id: string
  coupon_id: string | null
  pickup_code_hash: string | null
  pickup_code_enc: string | null
  picked_up_at: number | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
  /** The Idempotency-Key request that picked the goods up. */
  pickup_request_ref: string | null
}

export interface WebhookEndpointsTable {
  id: string
  merchant_id: string
  url: string
  /** Subscribed event types (`*` and `coupon.*` patterns allowed). */
  events: Json
  description: string | null
  secret_enc: string
  /** The secret before the last rotation, still signing until `prev_secret_until`. */
  prev_secret_enc: string | null
  prev_secret_until: number | null
  status: string
  disabled_code: string | null
  disabled_reason: string | null
  disabled_at: number | null
  /** First failed attempt since the last success; null while healthy. */
  failing_since: number | null
  last_success_at: number | null
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
  /** The Idempotency-Key request that set the current secret. */
  secret_request_ref: string | null
}

export interface WebhookDeliveriesTable {
  id: string
  merchant_id: string
  endpoint_id: string
  event_id: string
  status: string
  attempts: number
  next_attempt_at: number
  locked_until: number | null
  lease_token: string | null
  last_attempt_at: number | null
  last_status_code: number | null
  last_error: string | null
  delivered_at: number | null
  created_at: number
  updated_at: number
}

export interface WebhookAttemptsTable {
  id: string
  merchant_id: string
  endpoint_id: string
  delivery_id: string
  event_id: string
  attempt: number
  attempted_at: number
  status_code: number | null
  latency_ms: number
  error: string | null
}

export interface NotificationsTable {
  id: string
  merchant_id: string
  user_id: string
  kind: string
  title: string
  body: string
  data: Json
  dedupe_key: string | null
  created_at: number
  read_at: number | null
}

export interface PaymentsTable {
  id: string
  merchant_id: string
  order_id: string
  amount: number
  user_id: string
  store_id: string | null
  items: Json | null
  outcome: Json
  created_at: number
}

export interface PaymentRulesTable {
  id: string
  merchant_id: string
  card_id: string
  min_amount: number
  active: number
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface JobRunsTable {
  job: string
  period_key: string
  holder: string
  attempts: number
  started_at: number
  finished_at: number | null
  handled: number | null
}

export interface DailyStatsTable {
  merchant_id: string
  day: string
  card_id: string
  issued: number
  redeemed: number
  reversed: number
  expired: number
  voided: number
  discount_amount: number
  updated_at: number
}

export interface StaffTable {
  id: string
  merchant_id: string
  /** Lower-case sign-in name (an e-mail address or a user name), unique across the deployment. */
  login: string
  name: string
  /** scrypt with a per-account salt (see staff/passwords.ts). */
  password_hash: string
  role: string
  /** The store a clerk works in. */
  store_id: string | null
  setup_slot: string | null
  disabled_at: number | null
  last_login_at: number | null
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface StaffSessionsTable {
  id: string
  merchant_id: string
  staff_id: string
  token_hash: string
  created_at: number
  expires_at: number
  revoked_at: number | null
}

export interface LoginAttemptsTable {
  id: string
  /** What is limited: `login:<name>` or `ip:<address>`. */
  subject: string
  created_at: number
}

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
  staff: StaffTable
  staff_sessions: StaffSessionsTable
  login_attempts: LoginAttemptsTable
}
