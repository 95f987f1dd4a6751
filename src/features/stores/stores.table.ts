/** Rows of the stores tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface StoresTable {
  id: string
  merchant_id: string
  name: string
  address: string | null
  latitude: number | null
  longitude: number | null
  timezone: string
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}
