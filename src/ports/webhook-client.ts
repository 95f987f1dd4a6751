/** What became of one webhook POST. */
export interface WebhookResponse {
  /** The receiver's status; null when it did not answer in time or could not be reached. */
  statusCode: number | null
  /** Why there is no status (timeout, refused connection, …), for the delivery log. */
  error: string | null
  latencyMs: number
}

/** Sends one webhook. Never throws: every failure is an outcome to log and retry. */
export type WebhookClient = (request: { url: string; body: string; headers: Record<string, string>; timeoutMs: number }) => Promise<WebhookResponse>

function describeFailure(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs} ms`
  const cause = err?.cause
  return (cause?.code ?? cause?.message ?? err?.message ?? String(error)).slice(0, 500)
}

/**
 * POSTs with the global fetch: redirects are not followed (a 3xx is not a delivery), the answer's body is
 * not read, and the whole exchange up to the status line is bounded by `timeoutMs`.
 */
export const fetchWebhookClient: WebhookClient = async ({ url, body, headers, timeoutMs }) => {
  const started = performance.now()
  try {
    const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
    const latencyMs = Math.round(performance.now() - started)
    // Nothing in the answer matters but its status; let the connection go.
    await response.body?.cancel().catch(() => {})
    return { statusCode: response.status, error: null, latencyMs }
  } catch (error) {
    return { statusCode: null, error: describeFailure(error, timeoutMs), latencyMs: Math.round(performance.now() - started) }
  }
}
