import { sql } from 'kysely'
import type { Job } from './runner.ts'
import { PURGE_BATCH } from './purge.ts'
import { DEFAULT_WEBHOOK_LOG_RETENTION_DAYS } from '../config.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/** Matches the partial index `webhook_deliveries_finished_idx` word for word (a bound parameter would not). */
const finished = sql<boolean>`status <> 'pending'`

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
        const deleted = await tx
          .deleteFrom('webhook_deliveries')
          .where(finished)
          .where('updated_at', '<=', finishedBy)
          .where((eb) =>
            eb(
              eb.refTuple('merchant_id', 'id'),
              'in',
              eb
                .selectFrom('webhook_deliveries')
                .select(['merchant_id', 'id'])
                .where(finished)
                .where('updated_at', '<=', finishedBy)
                .orderBy('updated_at')
                .limit(PURGE_BATCH)
                .$asTuple('merchant_id', 'id'),
            ),
          )
          .returning(['merchant_id', 'id'])
          .execute()
        const byMerchant = Map.groupBy(deleted, (row) => row.merchant_id)
        for (const [merchantId, rows] of byMerchant) {
          await tx
            .deleteFrom('webhook_attempts')
            .where('merchant_id', '=', merchantId)
            .where('delivery_id', 'in', rows.map((row) => row.id))
            .execute()
        }
        return deleted.length
      })
    },
  }
}
