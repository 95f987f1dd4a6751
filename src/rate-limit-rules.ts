/**
 * The pure part of request-rate limiting: how a limit is written in the settings, which client
 * addresses count as one, and what Retry-After says. No I/O here (the counting is `ports/rate-limits.ts`,
 * the hooks are `http/rate-limits.ts`).
 */

/** At most `points` requests per `durationSeconds` (a fixed window that starts with the first request). */
export interface RateLimit {
  readonly points: number
  readonly durationSeconds: number
}

/** Routes that anyone may call, limited per client address; `route config: { rateLimit: 'claim' }`. */
export type AddressLimitGroup = 'claim' | 'otp' | 'sign_in'
export const ADDRESS_LIMIT_GROUPS: readonly AddressLimitGroup[] = ['claim', 'otp', 'sign_in']

/** Every request-rate limit: per API key (`api`) and per client address on the public routes; null = off. */
export type RateLimitSettings = Readonly<Record<'api' | AddressLimitGroup, RateLimit | null>>

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, second: 1, seconds: 1,
  min: 60, minute: 60, minutes: 60,
  h: 3600, hour: 3600, hours: 3600,
}

const OFF = new Set(['0', 'off', 'false', 'none', 'no'])

/**
 * `100/s`, `60/min`, `1000/h`, `20/10s` (20 per 10 seconds): a limit; `0` or `off`: none (null);
 * anything else: undefined (not understood).
 */
export function parseRateLimit(raw: string): RateLimit | null | undefined {
  const text = raw.trim().toLowerCase()
  if (OFF.has(text)) return null
  const match = /^(\d+)\s*\/\s*(\d*)\s*([a-z]+)$/.exec(text)
  if (!match) return undefined
  const points = Number(match[1])
  const count = match[2] === '' ? 1 : Number(match[2])
  const unit = UNIT_SECONDS[match[3]]
  if (unit === undefined || !Number.isSafeInteger(points) || points < 1 || count < 1) return undefined
  const durationSeconds = count * unit
  // rate-limiter-flexible's in-memory counter keeps a window with a timer, which cannot exceed ~24 days.
  if (durationSeconds > 86_400) return undefined
  return { points, durationSeconds }
}

/** `60 per minute`, `100 per second`, `20 per 10 seconds`: for messages and logs. */
export function describeRateLimit(limit: RateLimit): string {
  const d = limit.durationSeconds
  const per = d === 1 ? 'second' : d === 60 ? 'minute' : d === 3600 ? 'hour' : d % 3600 === 0 ? `${d / 3600} hours` : d % 60 === 0 ? `${d / 60} minutes` : `${d} seconds`
  return `${limit.points} per ${per}`
}

/** Whole seconds to wait, never 0: what the Retry-After header says. */
export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000))
}

/**
 * Which client addresses count as one: an IPv4 address on its own (also when it comes as IPv4-mapped
 * IPv6); an IPv6 address by its /64 network, because one subscriber usually holds a whole /64 and could
 * otherwise change address for every request.
 */
export function addressKey(ip: string): string {
  let address = ip.trim().toLowerCase()
  const zone = address.indexOf('%')
  if (zone >= 0) address = address.slice(0, zone)
  if (!address.includes(':')) return address
  const groups = expandIpv6(address)
  if (!groups) return address
  const values = groups.map((g) => parseInt(g, 16))
  if (values.slice(0, 5).every((v) => v === 0) && values[5] === 0xffff) {
    return [values[6] >> 8, values[6] & 0xff, values[7] >> 8, values[7] & 0xff].join('.')
  }
  return `${values.slice(0, 4).map((v) => v.toString(16)).join(':')}::/64`
}

/** The eight groups of an IPv6 address, or null when it is not one. */
function expandIpv6(address: string): string[] | null {
  const halves = address.split('::')
  if (halves.length > 2) return null
  const partsOf = (half: string): string[] | null => {
    if (half === '') return []
    const parts = half.split(':')
    const out: string[] = []
    for (const [i, part] of parts.entries()) {
      if (part.includes('.') && i === parts.length - 1) {
        // An embedded IPv4 address: the last 32 bits, two groups.
        const octets = part.split('.').map(Number)
        if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return null
        out.push(((octets[0] << 8) | octets[1]).toString(16), ((octets[2] << 8) | octets[3]).toString(16))
      } else if (/^[0-9a-f]{1,4}$/.test(part)) {
        out.push(part)
      } else {
        return null
      }
    }
    return out
  }
  const head = partsOf(halves[0])
  const tail = halves.length === 2 ? partsOf(halves[1]) : []
  if (!head || !tail) return null
  if (halves.length === 1) return head.length === 8 ? head : null
  const missing = 8 - head.length - tail.length
  if (missing < 1) return null
  return [...head, ...Array<string>(missing).fill('0'), ...tail]
}
