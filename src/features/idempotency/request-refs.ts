/**
 * Keyed requests (Idempotency-Key) and the use cases that must act once for them, whatever layer runs
 * them: routes pass the request's reference (http/idempotency.ts, idempotencyRefOf) down as plain data.
 */

/** A replay is served for this long after the first response. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
/**
 * Acts once for a request that may continue one whose process died after committing (see idempotencyRefOf).
 * `find` looks for what a run of the same request committed, by the reference the use case records on the
 * row it writes (unique per merchant): before acting, and again if acting fails, since a run whose lease
 * ran out may commit while this one acts (the unique reference, or the use case's own once-only rule,
 * then fails this one). What was found is answered as the first run answered it. Without a reference,
 * just acts.
 */
export async function onceForRequest<T>(requestRef: string | null | undefined, find: (requestRef: string) => Promise<T | undefined>, act: () => Promise<T>): Promise<T> {
  if (!requestRef) return act()
  const earlier = await find(requestRef)
  if (earlier !== undefined) return earlier
  try {
    return await act()
  } catch (error) {
    const committed = await find(requestRef)
    if (committed !== undefined) return committed
    throw error
  }
}
