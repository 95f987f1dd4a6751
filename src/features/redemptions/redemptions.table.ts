/** Rows of the redemptions tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** How the code reached us: scanned or typed at a till, sent by an integration, or redeemed by the customer. */
export type RedemptionChannel = 'scan' | 'manual' | 'api' | 'self_service'

export interface RedemptionsTable {
  id: string
  merchant_id: string
  coupon_id: string
  card_id: string
  store_id: string | null
  api_key_id: string | null
  channel: RedemptionChannel
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
