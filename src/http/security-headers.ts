import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'

/**
 * Browser-facing protection on every answer (helmet): no MIME sniffing, no framing, no referrer,
 * and a content security policy that lets an API answer load nothing at all. The web apps' pages set
 * their own policy (http/web-apps.ts) and Swagger UI under /docs gets the one its assets need.
 * Images (claim-link QR codes) may be embedded by the merchant's own pages on another origin.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS)
    done()
  })
}

/**
 * The headers helmet sets, read once by running it against a stand-in response: they are the same for
 * every answer, and setting them as one object costs a fraction of helmet's header-by-header calls.
 * Images say `cross-origin` themselves (qr-image.ts).
 */
const SECURITY_HEADERS: Record<string, string> = (() => {
  const headers: Record<string, string> = {}
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"] },
    },
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  })
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  }
  setHeaders({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error
  })
  return headers
})()

/**
 * Swagger UI's own policy, with inline styles (its bundle sets them) and without
 * `upgrade-insecure-requests`: a self-hosted server is often reached over plain HTTP on a local network,
 * where that would break it.
 */
export const docsCsp = {
  staticCSP: true,
  transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, '').replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
}
