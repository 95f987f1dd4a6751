/** Rows of the idempotency tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** `running` while the first request runs (under its lease), `done` once its answer is stored. */
export type IdempotencyKeyState = 'running' | 'done'

export interface IdempotencyKeysTable {
  merchant_id: string
  key: string
  request_hash: string
  state: IdempotencyKeyState
  status_code: number | null
  response_body: string | null
  created_at: number
  locked_until: number
}
