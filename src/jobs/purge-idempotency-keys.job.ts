import type { Job } from './runner.ts'
import { IDEMPOTENCY_WINDOW_MS } from '../features/idempotency/request-refs.ts'
import { purgeOldest } from './jobs.repository.ts'

export { PURGE_BATCH } from './jobs.repository.ts'

/**
 * Forgets idempotency keys once their 24-hour replay window has passed, oldest first, a bounded batch per
 * run. A key that a new request took over meanwhile (its window starts afresh) stays.
 */
export const purgeIdempotencyKeys: Job = {
  name: 'purge-idempotency-keys',
  run: (ctx, now) => purgeOldest(ctx.database.db, { table: 'idempotency_keys', column: 'created_at', key: ['merchant_id', 'key'] }, now - IDEMPOTENCY_WINDOW_MS),
}
