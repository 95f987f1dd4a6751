import type { Job } from './runner.ts'
import { purgeOldest } from './jobs.repository.ts'
import { LOGIN_WINDOW_MS } from '../features/staff/staff-rules.ts'

/**
 * Forgets failed staff sign-ins once they left the 15-minute window in which they count, oldest first, a
 * bounded batch per run. A failed sign-in also clears them as it goes (staff.service.ts); this job covers
 * the quiet times, when nobody fails for a while after a burst.
 */
export const purgeLoginAttempts: Job = {
  name: 'purge-login-attempts',
  run: (ctx, now) => purgeOldest(ctx.database.db, { table: 'login_attempts', column: 'created_at', key: ['id'] }, now - LOGIN_WINDOW_MS),
}
