import type { Json } from '../../db/json.ts'
import type { MessageId } from './messages.ts'

/** Rows of the notifications tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** What a notification is about: every kind has its texts in each language of the message catalogue. */
export type NotificationKind = MessageId

export interface NotificationsTable {
  id: string
  merchant_id: string
  user_id: string
  kind: NotificationKind
  title: string
  body: string
  data: Json
  dedupe_key: string | null
  created_at: number
  read_at: number | null
}
