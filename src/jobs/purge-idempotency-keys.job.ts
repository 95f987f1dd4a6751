import type { Job } from './runner.ts'
import { IDEMPOTENCY_WINDOW_MS } from '../http/idempotency.ts'

/** Forgets idempotency keys once their 24-hour replay window has passed. */
export const purgeIdempotencyKeys: Job = {
  name: 'purge-idempotency-keys',
  async run(ctx, now) {
    const result = await ctx.database.db.deleteFrom('idempotency_keys').where('created_at', '<=', now - IDEMPOTENCY_WINDOW_MS).executeTakeFirst()
    return Number(result.numDeletedRows) > 0 ? 0 : 0
  },
}
