/** Rows of the member-orders tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

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
