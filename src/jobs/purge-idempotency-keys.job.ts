import type { Job } from './runner.ts'
import { IDEMPOTENCY_WINDOW_MS } from '../http/idempotency.ts'

/** Keys forgotten per statement: a backlog (after downtime, say) goes in short statements, never one long one. */
export const PURGE_BATCH = 1000

/**
 * Forgets idempotency keys once their 24-hour replay window has passed, oldest first, a bounded batch per
 * run; the runner calls it again until it returns 0. The outer `created_at` test is checked again on each
 * row as it is deleted, so a key that a new request took over meanwhile (its window starts afresh) stays.
 */
export const purgeIdempotencyKeys: Job = {
  name: 'purge-idempotency-keys',
  async run(ctx, now) {
    const expiredBy = now - IDEMPOTENCY_WINDOW_MS
    const result = await ctx.database.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<=', expiredBy)
      .where((eb) =>
        eb(
          eb.refTuple('merchant_id', 'key'),
          'in',
          eb
            .selectFrom('idempotency_keys')
            .select(['merchant_id', 'key'])
            .where('created_at', '<=', expiredBy)
            .orderBy('created_at')
            .limit(PURGE_BATCH)
            .$asTuple('merchant_id', 'key'),
        ),
      )
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },
}
