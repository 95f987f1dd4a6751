import type { Json } from '../../db/json.ts'
import type { Language } from '../notifications/messages.ts'
import type { Scope } from '../../principals.ts'

/** Rows of the merchants tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface MerchantsTable {
  id: string
  name: string
  timezone: string
  /** What its customers are told in (inbox notifications). */
  language: Language
  capabilities: Json
  policy: Json
  wallet_secret_enc: string | null
  /** The secret before the last rotation, honoured until `wallet_secret_prev_until`. */
  wallet_secret_prev_enc: string | null
  wallet_secret_prev_until: number | null
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that set the current wallet secret. */
  wallet_secret_request_ref: string | null
}

export interface ApiKeysTable {
  id: string
  merchant_id: string
  name: string
  scope: Scope
  store_id: string | null
  key_hash: string
  key_hint: string
  created_at: number
  revoked_at: number | null
  expires_at: number | null
  /** The Idempotency-Key request that made the key (created or rotated to it), unique per merchant; null without one. */
  request_ref?: string | null
}
