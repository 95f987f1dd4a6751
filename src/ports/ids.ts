import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case

let lastTime = 0
let lastRandom: Uint8Array = new Uint8Array(10)

function encode(bytes: Uint8Array, length: number): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out.slice(0, length)
}

function encodeTime(ms: number): string {
  let out = ''
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out
    ms = Math.floor(ms / 32)
  }
  return out
}

/** Adds one to the 80-bit random part so ids made in the same millisecond still sort in creation order. */
function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes)
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 255) {
      next[i]++
      return next
    }
    next[i] = 0
  }
  return next
}

/**
 * A prefixed, time-sortable id (`cpn_01jd…`): 48 bits of milliseconds then 80 random bits, like a ULID,
 * monotonic within the process.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = increment(lastRandom)
  } else {
    lastTime = now
    lastRandom = randomBytes(10)
  }
  return `${prefix}_${encodeTime(lastTime)}${encode(lastRandom, 16)}`
}

/** An unguessable url-safe token of `bytes` random bytes. */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url')
}
