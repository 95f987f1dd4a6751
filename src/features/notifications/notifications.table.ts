import type { Json } from '../../db/json.ts'

/** Rows of the notifications tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface NotificationsTable {
  id: string
  merchant_id: string
  user_id: string
  kind: string
  title: string
  body: string
  data: Json
  dedupe_key: string | null
  created_at: number
  read_at: number | null
}
