import type { Json } from '../../db/json.ts'

/** Rows of the payments tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface PaymentsTable {
  id: string
  merchant_id: string
  order_id: string
  amount: number
  user_id: string
  store_id: string | null
  items: Json | null
  outcome: Json
  created_at: number
}

export interface PaymentRulesTable {
  id: string
  merchant_id: string
  card_id: string
  min_amount: number
  /** 1 while the rule issues. */
  active: 0 | 1
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}
