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
  staff: StaffTable
  staff_sessions: StaffSessionsTable
  login_attempts: LoginAttemptsTable
}
