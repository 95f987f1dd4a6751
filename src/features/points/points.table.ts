/** Rows of the points tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface PointsEntriesTable {
  id: string
  merchant_id: string
  member_id: string
  seq: number
  type: string
  delta: number
  balance_after: number
  reason: string
  source_ref: string | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}

export interface PointsLotsTable {
  /** The id of the entry that earned the points. */
  id: string
  merchant_id: string
  member_id: string
  amount: number
  remaining: number
  expires_at: number | null
  notice_at: number | null
  noticed_at: number | null
  created_at: number
}
