import type { Job } from './runner.ts'
import { purgeSentMessages } from '../features/messaging/messaging.repository.ts'

/** The record of messages sent to customers is kept this long: it may hold sign-in codes and contacts. */
export const SENT_MESSAGE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000

/** Forgets sent messages after the retention, a bounded batch per run. */
export const purgeSentMessagesJob: Job = {
  name: 'purge-sent-messages',
  run: (ctx, now) => purgeSentMessages(ctx.database.db, now - SENT_MESSAGE_RETENTION_MS),
}
