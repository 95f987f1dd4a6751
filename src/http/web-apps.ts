import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify'
import fastifyStatic from '@fastify/static'
import { problemOf, sendProblem } from './errors.ts'

/** The web apps, each served at /<name>/ from web/<name>/dist (built by `npm run build:web`). */
export const WEB_APPS = ['console', 'wallet', 'pos'] as const

/** Built files have a content hash in their name under assets/: a browser may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

/**
 * The pages only load what this server serves; styles may be inline (the component libraries set
 * style attributes), images may be data: or blob: URLs (QR and bar codes drawn in the page) or anywhere (logos), and the
 * camera scanner needs the media device but nothing remote.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // Card logos are the merchants' own images, often on a CDN.
  "img-src 'self' data: blob: https: http:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ')

function sendIndex(reply: FastifyReply, html: Buffer): FastifyReply {
  return reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(html)
}

/**
 * Serves every built app with @fastify/static: hashed assets with a year-long cache, and index.html
 * (never cached, so a new build is picked up at once) for every other path under the app, which is how
 * a single-page app's own routes survive a reload. An app that was not built is left out with a log
 * line; the API works without them.
 */
export async function registerWebApps(app: FastifyInstance, webRoot: string, log?: FastifyBaseLogger): Promise<string[]> {
  const served: string[] = []
  for (const name of WEB_APPS) {
    const dist = path.join(webRoot, name, 'dist')
    const indexFile = path.join(dist, 'index.html')
    if (!existsSync(indexFile)) continue
    const html = readFileSync(indexFile)
    await app.register(async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, auth: 'none' }
        route.schema = { ...route.schema, hide: true }
      })
      await scope.register(fastifyStatic, {
        root: dist,
        prefix: `/${name}/`,
        wildcard: false,
        index: false,
        decorateReply: false,
        preCompressed: true,
        cacheControl: false,
        globIgnore: ['**/index.html*', '**/.*'],
        setHeaders: (reply: FastifyReply, file: string) => reply.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? IMMUTABLE : 'no-cache'),
      })
      scope.get(`/${name}`, async (_request, reply) => reply.redirect(`/${name}/`))
      scope.get(`/${name}/*`, async (request, reply) => {
        // A missing file (an asset of an older build) is a 404, not the page: a script tag must not get HTML.
        const rest = (request.params as { '*': string })['*']
        if (/\.[a-z0-9]+$/i.test(rest) && !rest.endsWith('.html')) {
          return sendProblem(reply, problemOf('not_found', `There is no file /${name}/${rest}.`))
        }
        return sendIndex(reply, html)
      })
    })
    served.push(name)
  }
  if (served.length > 0) {
    app.get('/', { config: { auth: 'none' }, schema: { hide: true } }, async (_request, reply) => reply.redirect(served.includes('console') ? '/console/' : `/${served[0]}/`))
  }
  const missing = WEB_APPS.filter((name) => !served.includes(name))
  if (missing.length > 0) {
    log?.warn({ missing, web_root: webRoot }, `web apps not built (${missing.join(', ')}): serving the API without them; run \`npm run build:web\``)
  }
  if (served.length > 0) log?.info({ apps: served.map((n) => `/${n}/`) }, 'serving the web apps')
  return served
}
