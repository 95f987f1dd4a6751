import type { Job } from './runner.ts'
import { PURGE_BATCH } from './purge-idempotency-keys.job.ts'
import { LOGIN_WINDOW_MS } from '../features/staff/staff-rules.ts'

/**
 * Forgets failed staff sign-ins once they left the 15-minute window in which they count, oldest first, a
 * bounded batch per run. A failed sign-in also clears them as it goes (staff.service.ts); this job covers
 * the quiet times, when nobody fails for a while after a burst.
 */
export const purgeLoginAttempts: Job = {
  name: 'purge-login-attempts',
  async run(ctx, now) {
    const outside = now - LOGIN_WINDOW_MS
    const result = await ctx.database.db
      .deleteFrom('login_attempts')
      .where('created_at', '<=', outside)
      .where('id', 'in', (eb) => eb.selectFrom('login_attempts').select('id').where('created_at', '<=', outside).orderBy('created_at').limit(PURGE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },
}
