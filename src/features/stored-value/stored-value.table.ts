/** Rows of the stored-value tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface StoredValueEntriesTable {
  id: string
  merchant_id: string
  member_id: string
  seq: number
  type: string
  delta: number
  balance_after: number
  reason: string
  payment_ref: string | null
  source_ref: string | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}
