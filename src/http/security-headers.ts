import type { FastifyInstance } from 'fastify'
import helmet from 'helmet'

/**
 * Browser-facing protection on every answer (helmet): no MIME sniffing, no framing, no referrer,
 * and a content security policy that lets an API answer load nothing at all. The web apps' pages set
 * their own policy (http/web-apps.ts) and Swagger UI under /docs gets the one its assets need.
 * Images (claim-link QR codes) may be embedded by the merchant's own pages on another origin.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  // Built once: the headers are the same for every answer (a per-request build cost more than the route).
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"] },
    },
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  })
  app.addHook('onRequest', (request, reply, done) => setHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)))
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('image/')) reply.header('cross-origin-resource-policy', 'cross-origin')
    return payload
  })
}

/**
 * Swagger UI's own policy, with inline styles (its bundle sets them) and without
 * `upgrade-insecure-requests`: a self-hosted server is often reached over plain HTTP on a local network,
 * where that would break it.
 */
export const docsCsp = {
  staticCSP: true,
  transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, '').replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
}
