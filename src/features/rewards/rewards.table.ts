/** Rows of the rewards tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** A coupon of one of the merchant's cards, or goods picked up with a code. */
export type RewardType = 'coupon' | 'goods'
/** Active rewards can be exchanged; paused ones cannot, until activated again. */
export type RewardStatus = 'active' | 'paused'

export interface RewardsTable {
  id: string
  merchant_id: string
  member_card_id: string
  type: RewardType
  card_id: string | null
  title: string
  description: string | null
  points_cost: number
  stock_remaining: number
  exchanged_count: number
  per_member_limit: number | null
  status: RewardStatus
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
