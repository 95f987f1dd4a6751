import type { NotificationKind } from '../notifications/notifications.table.ts'

/** Rows of the messaging tables: timestamps are epoch ms (UTC). */

export type MessageChannel = 'email' | 'sms'

/** The notifications that also go out on the merchant's channels to a customer with a contact. */
export const CUSTOMER_MESSAGE_KINDS = ['coupon.expiring', 'points.expiring', 'points.changed', 'member.level_changed'] as const satisfies readonly NotificationKind[]
export type CustomerMessageKind = (typeof CUSTOMER_MESSAGE_KINDS)[number]

export const SENT_MESSAGE_KINDS = ['one_time_code', 'test', ...CUSTOMER_MESSAGE_KINDS] as const
export type SentMessageKind = (typeof SENT_MESSAGE_KINDS)[number]

/**
 * `pending`: queued, or to be tried again after a failure (`error` says the last one); `failed`: the
 * provider refused it, for good; `not_sent`: no provider for the channel, so it is only recorded here.
 */
export const SENT_MESSAGE_STATUSES = ['pending', 'sent', 'failed', 'not_sent'] as const
export type SentMessageStatus = (typeof SENT_MESSAGE_STATUSES)[number]

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
  /** The e-mail's subject (null on rows recorded before it was kept). */
  subject: string | null
  text_sealed: string
  status: SentMessageStatus
  error: string | null
  /** Tries made so far. */
  attempts: number
  /** When a pending message is due (its next try, or the end of a try's lease); null once settled. */
  next_attempt_at: number | null
  created_at: number
}
