import type { Json } from '../../db/json.ts'

/** Rows of the member-cards tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** Active cards take new members; paused ones keep their members and take none. */
export type MemberCardStatus = 'active' | 'paused'

export interface MemberCardsTable {
  id: string
  merchant_id: string
  status: MemberCardStatus
  terms: Json
  next_member_number: number
  member_count: number
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}
