/** Rows of the group coupon tables (拼团): timestamps are epoch ms (UTC). */
import type { GroupState } from '../../domain/groups.ts'

export type { GroupState }

export interface GroupsTable {
  id: string
  merchant_id: string
  card_id: string
  /** Members it needs, copied from the card's option when it opened. */
  size: number
  member_count: number
  state: GroupState
  /** The user who opened it (its first member). */
  opened_by: string
  expires_at: number
  created_at: number
  /** When it completed or failed. */
  closed_at: number | null
  /** The Idempotency-Key request that opened it. */
  request_ref: string | null
}

export interface GroupMembersTable {
  merchant_id: string
  group_id: string
  user_id: string
  card_id: string
  /** The card while the group is open, null after: a user is in at most one open group of a card. */
  open_card_id: string | null
  /** The coupon the member got when the group completed. */
  coupon_id: string | null
  joined_at: number
  /** The Idempotency-Key request that joined. */
  request_ref: string | null
}
