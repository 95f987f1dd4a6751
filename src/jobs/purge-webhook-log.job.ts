import type { Job } from './runner.ts'
import { PURGE_BATCH } from './jobs.repository.ts'
import { DEFAULT_WEBHOOK_LOG_RETENTION_DAYS } from '../config.ts'
import { deleteAttemptsOfDeliveries, deleteFinishedDeliveries } from '../features/webhooks/webhooks.repository.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Forgets finished webhook deliveries (delivered, or failed for good) `retentionDays` after they finished,
 * with their attempts, oldest first, a bounded batch of deliveries per run. A pending delivery (waiting
 * for its next retry, or being sent) always stays, however old. The deliveries go first, each checked
 * again as it is deleted (a redelivery may have made it pending meanwhile), then the attempts of exactly
 * those, in the same transaction. Events stay: redelivering an event, or every event since a time, works
 * from them and queues a new delivery.
 */
export function purgeWebhookLog(retentionDays: number = DEFAULT_WEBHOOK_LOG_RETENTION_DAYS): Job {
  return {
    name: 'purge-webhook-log',
    async run(ctx, now) {
      const finishedBy = now - retentionDays * DAY_MS
      return ctx.database.db.transaction().execute(async (tx) => {
        const deleted = await deleteFinishedDeliveries(tx, finishedBy, PURGE_BATCH)
        const byMerchant = Map.groupBy(deleted, (row) => row.merchant_id)
        for (const [merchantId, rows] of byMerchant) {
          await deleteAttemptsOfDeliveries(
            tx,
            merchantId,
            rows.map((row) => row.id),
          )
        }
        return deleted.length
      })
    },
  }
}
