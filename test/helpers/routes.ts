import type { FastifyInstance } from 'fastify'

export interface RouteEntry {
  method: string
  /** Fastify form: `/v1/cards/:card_id`. */
  url: string
}

/**
 * Every route the app serves, read from `printRoutes` (Fastify has no public route list). Tree lines look
 * like `│   ├── /:card_id (GET, HEAD, PATCH)`: four characters of drawing per level, then the path part.
 */
export function listRoutes(app: FastifyInstance): RouteEntry[] {
  const routes: RouteEntry[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!match) continue
    stack.length = match[1].length / 4 - 1
    // Two routes with differently named parameters at one place print as `:a|:b`.
    stack.push(match[2].replace(/\|:[^/]+/g, ''))
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url: stack.join('') })
  }
  // printRoutes shows the WeChat facade's catch-alls (`/card/*`, `/cgi-bin/*`, …: errcode 48001 for a path it
  // does not offer, hidden from the document) as one `*` at the root, where no route is; wechat.test.ts
  // checks them by path.
  return routes.filter((route) => route.url !== '*')
}

/** `/v1/cards/:card_id` and `/v1/cards/{card_id}` both become `/v1/cards/{}`, to compare route lists. */
export function routeShape(url: string): string {
  return url.replace(/:[A-Za-z_]+|\{[A-Za-z_]+\}/g, '{}')
}

/** A concrete URL for a route, each path parameter replaced by `value`. */
export function fillParams(url: string, value = 'unknown_id'): string {
  return url.replace(/:[A-Za-z_]+/g, value).replace(/\*$/, 'x')
}
