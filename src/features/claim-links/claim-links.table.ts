/** Rows of the claim-links tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** What the merchant set; whether a link hands out coupons right now also depends on its expiry and count (claimLinkStatus). */
export type ClaimLinkSetting = 'active' | 'disabled'

export interface ClaimLinksTable {
  id: string
  merchant_id: string
  card_id: string
  token: string
  status: ClaimLinkSetting
  claimed_count: number
  max_claims: number | null
  expires_at: number | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}
