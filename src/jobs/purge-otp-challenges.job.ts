import type { Job } from './runner.ts'
import { purgeOldest } from './jobs.repository.ts'
import { OTP_TTL_MS, OTP_WINDOW_MS } from '../features/customers/otp-rules.ts'

/** A sign-in code challenge is kept this long after it expired; it can no longer be used nor count. */
export const OTP_RETENTION_MS = 24 * 60 * 60 * 1000

// The sends of the last OTP_WINDOW_MS count towards the code limit: none of them may be forgotten.
if (OTP_RETENTION_MS + OTP_TTL_MS <= OTP_WINDOW_MS) throw new Error('sign-in codes would be forgotten while they still count')

/**
 * Forgets sign-in code challenges a day after they expired, oldest first, a bounded batch per run. A code
 * is consumed before it expires (five minutes after it was sent), so a consumed one goes at most five
 * minutes more than a day after its use; either way it no longer counts towards the sending limit, which
 * looks back one hour.
 */
export const purgeOtpChallenges: Job = {
  name: 'purge-otp-challenges',
  run: (ctx, now) => purgeOldest(ctx.database.db, { table: 'otp_challenges', column: 'expires_at', key: ['merchant_id', 'id'] }, now - OTP_RETENTION_MS),
}
