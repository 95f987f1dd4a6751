/** Rows of the idempotency tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface IdempotencyKeysTable {
  merchant_id: string
  key: string
  request_hash: string
  state: string
  status_code: number | null
  response_body: string | null
  created_at: number
  locked_until: number
}
