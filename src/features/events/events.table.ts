import type { Json } from '../../db/json.ts'

/** Rows of the events tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface EventsTable {
  id: string
  merchant_id: string
  type: string
  data: Json
  created_at: number
  /** When the event was fanned out to webhook endpoints; null while still to do. */
  dispatched_at?: number | null
  /** The Idempotency-Key request whose change it records, for a change that makes no row of its own (a stock change); absent on insert (null). */
  request_ref?: string | null
}
