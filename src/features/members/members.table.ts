import type { Json } from '../../db/json.ts'

/** Rows of the members tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

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
