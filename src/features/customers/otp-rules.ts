/** A one-time sign-in code is good for five minutes and five tries. */
export const OTP_TTL_MS = 5 * 60 * 1000
export const OTP_MAX_ATTEMPTS = 5
/** Codes sent to one phone or address: at most one a minute and five an hour, so nobody floods it. */
export const OTP_MIN_INTERVAL_MS = 60 * 1000
export const OTP_WINDOW_MS = 60 * 60 * 1000
export const OTP_MAX_PER_WINDOW = 5

/**
 * Whether another code may be sent to a destination now, given when earlier codes were sent to it;
 * when not, how long until one may.
 */
export function decideOtpIssue(sentAt: number[], now: number): { ok: true } | { ok: false; retryAfterMs: number } {
  const recent = sentAt.filter((at) => at > now - OTP_WINDOW_MS).sort((a, b) => a - b)
  let allowedAt = now
  const latest = recent[recent.length - 1]
  if (latest !== undefined) allowedAt = Math.max(allowedAt, latest + OTP_MIN_INTERVAL_MS)
  if (recent.length >= OTP_MAX_PER_WINDOW) allowedAt = Math.max(allowedAt, recent[recent.length - OTP_MAX_PER_WINDOW] + OTP_WINDOW_MS)
  return allowedAt <= now ? { ok: true } : { ok: false, retryAfterMs: allowedAt - now }
}
