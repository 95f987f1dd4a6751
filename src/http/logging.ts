import pino from 'pino'

/**
 * A coupon code in a URL is money: logs keep only its last four characters. Tokens passed in a query
 * string (wallet sign-in links) are dropped entirely.
 */
export function redactUrl(url: string): string {
  const [path, query] = url.split('?', 2)
  const safePath = path.replace(/^(\/v1\/coupons\/)([^/]+)/, (_m, prefix: string, code: string) => `${prefix}…${code.slice(-4)}`)
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
