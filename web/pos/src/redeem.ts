import type { ResponseOf } from '../../shared/api-schema.ts'
import { ApiError, newIdempotencyKey } from '../../shared/api.ts'

/** What the terminal sends to redeem (and to preview). */
export interface RedeemBody {
  code: string
  order_amount?: number
  store_id?: string
  channel: 'scan' | 'manual'
  /** The member whose order this is: they earn the points on what they pay. */
  member_id?: string
  /** The challenge of a 428 confirmation_required this redemption confirms (二次确认). */
  confirm?: string
  /** The owner or operator confirming at this terminal; never kept in storage. */
  confirmer?: { login: string; password: string }
}

export type Redemption = ResponseOf<'/v1/redemptions', 'post'>

/** A redemption sent but whose outcome is not known yet: kept so that a reload goes on with the same key. */
export interface PendingRedemption {
  key: string
  body: RedeemBody
  startedAt: number
}

export type RedeemOutcome = { ok: true; redemption: Redemption; attempts: number } | { ok: false; error: ApiError; attempts: number }

export interface RedeemTransport {
  post<T>(url: string, body: unknown, options: { idempotencyKey: string }): Promise<T>
}

export interface PendingStore {
  load(): PendingRedemption | null
  save(pending: PendingRedemption): void
  clear(): void
}

const PENDING_KEY = 'kabao.pos.pending'

export const localPendingStore: PendingStore = {
  load() {
    try {
      return JSON.parse(localStorage.getItem(PENDING_KEY) ?? 'null') as PendingRedemption | null
    } catch {
      return null
    }
  },
  save(pending) {
    try {
      localStorage.setItem(PENDING_KEY, JSON.stringify(pending))
    } catch {
      // Without storage the retries still happen while the page stays open.
    }
  },
  clear() {
    try {
      localStorage.removeItem(PENDING_KEY)
    } catch {
      // Nothing kept.
    }
  },
}

/**
 * Whether the outcome of an attempt is still unknown, so that sending the same request again is the
 * only way to learn it: no answer at all (the connection dropped, maybe after the server redeemed), a
 * server error, or the first attempt still running on the server.
 */
export function outcomeUnknown(error: ApiError): boolean {
  return error.isNetwork || error.status >= 500 || error.code === 'request_in_progress'
}

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s. */
export function retryDelay(attempt: number): number {
  return Math.min(5000, 500 * 2 ** (attempt - 1))
}

export interface RedeemOptions {
  transport: RedeemTransport
  pending?: PendingStore
  /** Called before each retry, with the attempt about to be made (2, 3, …) and why. */
  onRetry?: (attempt: number, error: ApiError) => void
  sleep?: (ms: number) => Promise<void>
  /** Stops retrying (the redemption stays pending and is resumed later). */
  signal?: { aborted: boolean }
  now?: () => number
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Redeems exactly once across lost connections: every attempt of one redemption carries the same
 * Idempotency-Key, so the server either redeems it once or replays the answer it already gave; the
 * attempts stop only when an answer says what happened. The pending redemption is kept meanwhile, so a
 * reload or a crash of the page resumes it with the same key instead of starting a second one.
 */
export async function redeemExactlyOnce(body: RedeemBody, options: RedeemOptions, resume?: PendingRedemption): Promise<RedeemOutcome | null> {
  const pending = resume ?? { key: newIdempotencyKey('pos'), body, startedAt: (options.now ?? Date.now)() }
  options.pending?.save(pending)
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) return null
    try {
      const redemption = await options.transport.post<Redemption>('/v1/redemptions', pending.body, { idempotencyKey: pending.key })
      options.pending?.clear()
      return { ok: true, redemption, attempts: attempt }
    } catch (error) {
      const problem = error instanceof ApiError ? error : new ApiError(0, 'network_error', String(error))
      if (!outcomeUnknown(problem)) {
        // A 401 leaves the redemption pending: it is resumed once the clerk has signed in again.
        if (problem.status !== 401) options.pending?.clear()
        return { ok: false, error: problem, attempts: attempt }
      }
      options.onRetry?.(attempt + 1, problem)
      await (options.sleep ?? wait)(retryDelay(attempt))
    }
  }
}
