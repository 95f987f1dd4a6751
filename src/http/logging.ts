import pino from 'pino'

/**
 * Path segments that are secrets: a coupon code is money, a claim-link token gives coupons away (the
 * claim route, its QR images and the wallet's claim page). A claim link's own id (`cll_…`) is not one.
 */
const SECRET_SEGMENTS = [/^(\/v1\/coupons\/)([^/]+)/, /^(\/v1\/claim\/)([^/]+)/, /^(\/v1\/claim-links\/)((?!cll_)[^/]+)(?=\/qr\.)/, /^(\/wallet\/claim\/)([^/]+)/]

/**
 * Logs keep only the last four characters of a code or token in a URL path, enough to tell requests
 * apart. Tokens passed in a query string (wallet sign-in links) are dropped entirely.
 */
export function redactUrl(url: string): string {
  const [path, query] = url.split('?', 2)
  let safePath = path
  for (const pattern of SECRET_SEGMENTS) safePath = safePath.replace(pattern, (_m, prefix: string, secret: string) => `${prefix}…${secret.slice(-4)}`)
  if (query === undefined) return safePath
  const params = new URLSearchParams(query)
  for (const key of [...params.keys()]) if (/token|secret|key|code/i.test(key)) params.set(key, 'redacted')
  return `${safePath}?${params.toString()}`
}

interface LoggedRequest {
  method: string
  url: string
  ip?: string
  id?: string
}

/** The process logger: pino with request lines that never carry a redeemable code or a token. */
export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      serializers: {
        req: (req: LoggedRequest) => ({ method: req.method, url: redactUrl(req.url), remote_address: req.ip }),
        err: pino.stdSerializers.err,
      },
    },
    destination ?? pino.destination(1),
  )
}
