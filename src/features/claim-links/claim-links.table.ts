/** Rows of the claim-links tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

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
