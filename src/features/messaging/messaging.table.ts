/** Rows of the messaging tables: timestamps are epoch ms (UTC). */

export type MessageChannel = 'email' | 'sms'
export type SentMessageKind = 'one_time_code' | 'test'
/** `not_sent`: no provider for the channel, so the message is only recorded here for the owner. */
export type SentMessageStatus = 'sent' | 'failed' | 'not_sent'

/** How a merchant reaches its customers on one channel; the settings (with their secrets) are sealed. */
export interface MessageChannelsTable {
  merchant_id: string
  channel: MessageChannel
  settings_sealed: string
  created_at: number
  updated_at: number
}

/** What was sent, or would have been sent, to a customer (发送记录); the text is sealed (it may hold a code). */
export interface SentMessagesTable {
  id: string
  merchant_id: string
  channel: MessageChannel
  destination: string
  kind: SentMessageKind
  text_sealed: string
  status: SentMessageStatus
  error: string | null
  created_at: number
}
