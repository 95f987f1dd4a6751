import type { StaffRole } from '../../principals.ts'

/** Rows of the staff tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export type { StaffRole }
/** The first-run owner holds the one `first_owner` slot (unique), so only one first run can succeed. */
export type SetupSlot = 'first_owner'

export interface StaffTable {
  id: string
  merchant_id: string
  /** Lower-case sign-in name (an e-mail address or a user name), unique across the deployment. */
  login: string
  name: string
  /** scrypt with a per-account salt (see staff/passwords.ts). */
  password_hash: string
  role: StaffRole
  /** The store a clerk works in. */
  store_id: string | null
  setup_slot: SetupSlot | null
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
