import type { Job } from './runner.ts'
import { messagingOptions, sendDueMessages } from '../features/messaging/messaging.service.ts'

/**
 * Sends the notifications queued for customers' phones and e-mail addresses on the merchant's channels,
 * outside any transaction; a failed try is tried again later (MESSAGE_RETRY_SCHEDULE), then recorded as failed.
 */
export const sendCustomerMessages: Job = {
  name: 'send-customer-messages',
  run: (ctx, now) => sendDueMessages(ctx, messagingOptions(ctx), now),
}
