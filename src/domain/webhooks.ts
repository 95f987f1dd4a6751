// Webhook rules: which endpoints an event goes to, and what one delivery attempt's outcome means for the
// delivery (delivered, retried later, given up) and for its endpoint (healthy, failing, disabled).

const SECOND = 1000
const DAY = 86_400_000

/** An endpoint without a single successful delivery for this long is disabled. */
export const ENDPOINT_FAILING_LIMIT_MS = 5 * DAY

/** Jitter adds up to this fraction to each retry delay, so retries after an outage do not arrive all at once. */
export const RETRY_JITTER = 0.2

/** `*` (everything), `coupon.*` (a family) or an exact type such as `coupon.redeemed`. */
export const EVENT_PATTERN = '^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?)$'

/** Whether an endpoint subscribed to `patterns` receives events of `type`. */
export function matchesSubscription(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))))
}

/** Any 2xx is a delivery; everything else (other statuses, timeouts, refused connections) is not. */
export function isDelivered(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300
}

/**
 * When to try again after `attempts` failed attempts: the schedule's delay for this retry plus jitter;
 * null once the schedule is used up (one first attempt, then one retry per entry).
 */
export function nextAttemptAt(schedule: readonly number[], attempts: number, now: number, random: number): number | null {
  if (attempts < 1 || attempts > schedule.length) return null
  return now + Math.round(schedule[attempts - 1] * SECOND * (1 + RETRY_JITTER * random))
}

export interface AttemptOutcomeInput {
  /** The receiver's status code; null when it did not answer in time or could not be reached. */
  statusCode: number | null
  /** Attempts made for this delivery, this one included. */
  attempts: number
  schedule: readonly number[]
  /** When the endpoint's current run of failures began; null when its last attempt succeeded. */
  failingSince: number | null
  now: number
  /** A random number in [0, 1) for the jitter. */
  random: number
}

export type DeliveryState = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: number } | { status: 'failed' }

export type EndpointHealth =
  | { health: 'healthy' }
  | { health: 'failing'; failingSince: number }
  | { health: 'disable'; failingSince: number; code: 'gone' | 'failing'; reason: string }

/**
 * What one attempt means. A 2xx delivers and makes the endpoint healthy. Anything else is retried on the
 * schedule until it is used up (then the delivery has failed), and counts against the endpoint: a
 * receiver that answers 410 Gone is disabled at once, one that has not succeeded for five days too.
 * A delivery of a disabled endpoint stays pending and resumes if the endpoint is enabled again.
 */
export function decideAttemptOutcome(input: AttemptOutcomeInput): { delivery: DeliveryState; endpoint: EndpointHealth } {
  if (isDelivered(input.statusCode)) return { delivery: { status: 'delivered' }, endpoint: { health: 'healthy' } }
  const retryAt = nextAttemptAt(input.schedule, input.attempts, input.now, input.random)
  const delivery: DeliveryState = retryAt === null ? { status: 'failed' } : { status: 'pending', nextAttemptAt: retryAt }
  const failingSince = input.failingSince ?? input.now
  if (input.statusCode === 410) {
    return { delivery, endpoint: { health: 'disable', failingSince, code: 'gone', reason: 'The receiver answered 410 Gone: it no longer accepts these events.' } }
  }
  if (input.now - failingSince >= ENDPOINT_FAILING_LIMIT_MS) {
    return { delivery, endpoint: { health: 'disable', failingSince, code: 'failing', reason: 'No delivery to this endpoint succeeded for 5 days.' } }
  }
  return { delivery, endpoint: { health: 'failing', failingSince } }
}
