import http from 'node:http'
import https from 'node:https'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { isPrivateAddress, literalAddress } from '../domain/destinations.ts'

/** What became of one webhook POST. */
export interface WebhookResponse {
  /** The receiver's status; null when it did not answer in time or could not be reached. */
  statusCode: number | null
  /** Why there is no status (timeout, refused connection, blocked destination, …), for the delivery log. */
  error: string | null
  latencyMs: number
}

export interface WebhookRequest {
  url: string
  body: string
  headers: Record<string, string>
  timeoutMs: number
  /** Whether the request may go to a private or internal address (WEBHOOK_ALLOW_PRIVATE_DESTINATIONS). */
  allowPrivateDestinations: boolean
}

/** Sends one webhook. Never throws: every failure is an outcome to log and retry. */
export type WebhookClient = (request: WebhookRequest) => Promise<WebhookResponse>

/** The error code of a connection refused because of where it would have gone. */
export const DESTINATION_BLOCKED = 'EDESTINATIONBLOCKED'

const ALLOW_HINT = 'set WEBHOOK_ALLOW_PRIVATE_DESTINATIONS=true to allow private destinations'

function blockedError(message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(message)
  error.code = DESTINATION_BLOCKED
  return error
}

/**
 * A `lookup` for the connection: resolves the name as usual and keeps only the addresses that are not
 * private, so the socket can only connect to one of those, whatever the name resolved to when the endpoint
 * was registered (DNS rebinding). None left: the connection fails with DESTINATION_BLOCKED.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 4)
    const allowed = addresses.filter((entry) => !isPrivateAddress(entry.address))
    if (allowed.length === 0) {
      const found = addresses.map((entry) => entry.address).join(', ')
      return callback(blockedError(`${hostname} resolves to a private or internal address (${found}); ${ALLOW_HINT}`), '', 4)
    }
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, allowed)
    callback(null, allowed[0].address, allowed[0].family)
  })
}

/** Why nothing may be sent to `url` without allowing private destinations; null when its host is written as a public address or a name. */
function literalRefusal(url: URL): string | null {
  const address = literalAddress(url.hostname)
  return address !== null && isPrivateAddress(address) ? `${url.hostname} is a private or internal address; ${ALLOW_HINT}` : null
}

/** How long registering an endpoint waits for its name to resolve before accepting it unchecked. */
const REGISTRATION_LOOKUP_MS = 3_000

/**
 * Why an endpoint at `url` is refused when private destinations are not allowed: its host is a private
 * address, or a name that resolves only to private addresses. Null when it may be registered, also when
 * the name does not resolve (yet): every delivery checks the address it connects to anyway.
 */
export async function destinationRefusal(url: string): Promise<string | null> {
  const parsed = new URL(url)
  if (literalAddress(parsed.hostname) !== null) return literalRefusal(parsed)
  const addresses = await new Promise<LookupAddress[] | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), REGISTRATION_LOOKUP_MS)
    dnsLookup(parsed.hostname, { all: true }, (error, found) => {
      clearTimeout(timer)
      resolve(error ? null : found)
    })
  })
  if (addresses === null || addresses.length === 0 || addresses.some((entry) => !isPrivateAddress(entry.address))) return null
  return `${parsed.hostname} resolves only to private or internal addresses (${addresses.map((entry) => entry.address).join(', ')}); ${ALLOW_HINT}`
}

// Connections are kept alive per policy: a socket opened while private destinations were allowed is never
// reused for a request that must not reach them.
const agents = {
  guarded: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
  open: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
}

function describeFailure(error: unknown): string {
  const err = error as NodeJS.ErrnoException
  if (err?.code === DESTINATION_BLOCKED) return `destination not allowed: ${err.message}`.slice(0, 500)
  return (err?.code ?? err?.message ?? String(error)).slice(0, 500)
}

/**
 * POSTs with node's HTTP client: redirects are not followed (a 3xx is not a delivery), the answer's body is
 * not read, and the whole exchange up to the status line is bounded by `timeoutMs`. Unless private
 * destinations are allowed, a host written as a private address is not contacted and a name is connected
 * only to the public addresses it resolves to.
 */
export const httpWebhookClient: WebhookClient = ({ url, body, headers, timeoutMs, allowPrivateDestinations }) => {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  return new Promise<WebhookResponse>((resolve) => {
    let settled = false
    let request: http.ClientRequest | undefined
    const finish = (response: Omit<WebhookResponse, 'latencyMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...response, latencyMs: elapsed() })
    }
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `no answer within ${timeoutMs} ms` })
      request?.destroy()
    }, timeoutMs)
    try {
      const target = new URL(url)
      const refusal = allowPrivateDestinations ? null : literalRefusal(target)
      if (refusal !== null) return finish({ statusCode: null, error: `destination not allowed: ${refusal}`.slice(0, 500) })
      const secure = target.protocol === 'https:'
      const agent = (allowPrivateDestinations ? agents.open : agents.guarded)[secure ? 'https' : 'http']
      const send = secure ? https.request : http.request
      request = send(target, {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(allowPrivateDestinations ? {} : { lookup: publicOnlyLookup }),
      })
      request.on('response', (response) => {
        finish({ statusCode: response.statusCode ?? null, error: null })
        // Nothing in the answer matters but its status: drain it (the connection stays for the next
        // delivery), or drop the connection if it does not end soon.
        const drop = setTimeout(() => response.destroy(), 1_000)
        response.on('end', () => clearTimeout(drop)).on('error', () => clearTimeout(drop)).on('close', () => clearTimeout(drop))
        response.resume()
      })
      request.on('error', (error) => finish({ statusCode: null, error: describeFailure(error) }))
      request.end(body)
    } catch (error) {
      finish({ statusCode: null, error: describeFailure(error) })
    }
  })
}
