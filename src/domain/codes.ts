// Coupon codes: 14 Crockford base32 characters of randomness (70 bits, unguessable) plus one check
// character from the same alphabet, which catches every single mistyped character and every swap of
// two neighbours before a lookup is even made. Every character can be typed at a till.
//
// Codes issued before carry 13 random characters and Crockford's mod-37 check symbol, which may be one
// of * ~ $ = U (the legacy format, 14 characters). They stay valid: a code is recognized by the format
// it validates as (the lengths differ).
//
// A card may ask for numeric codes instead (`code_format: numeric`, for tills and integrations that take
// digits only, as WeChat's own codes are): 19 random digits, the first not 0 (62.9 random bits), and one
// Damm check digit, 20 digits in all, which WeChat's string(20) code fields hold. Damm's check catches
// every single mistyped digit and every swap of two neighbours, before any lookup.
//
// Codes are stored and compared in canonical form: normalize what a user typed first.

/** Crockford base32: digits and letters without I, L, O, U (easily misread). */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const CODE_RANDOM_CHARS = 14
export const CODE_LENGTH = CODE_RANDOM_CHARS + 1
/** Random bytes codeFromRandomBytes needs (70 bits round up to 9 bytes). */
export const CODE_RANDOM_BYTES = 9

/** Legacy format: the check symbols are the alphabet (values 0–31) plus * ~ $ = U (values 32–36). */
export const LEGACY_CHECK_ALPHABET = CODE_ALPHABET + '*~$=U'
export const LEGACY_CODE_RANDOM_CHARS = 13
export const LEGACY_CODE_LENGTH = LEGACY_CODE_RANDOM_CHARS + 1

function valueOf(ch: string): number {
  const value = CODE_ALPHABET.indexOf(ch)
  if (value < 0 || ch.length !== 1) throw new RangeError(`not a Crockford base32 character: ${JSON.stringify(ch)}`)
  return value
}

/** Multiplication by 2 (the polynomial x) in GF(32) = GF(2)[x] / (x⁵ + x² + 1). */
function times2(value: number): number {
  const shifted = value << 1
  return shifted & 0b100000 ? shifted ^ 0b100101 : shifted
}

/**
 * The check character of a body: the c that makes Σ 2^(n−i) · vᵢ over body and check equal 0 in GF(32)
 * (weights are powers of 2, all distinct and non-zero). A changed character changes the sum by
 * weight · difference ≠ 0; swapped neighbours x, y change it by (2w − w)(x − y) = w(x − y) ≠ 0 (the
 * check character included). Arithmetic mod 32 could not do both: weights must be odd to catch every
 * substitution, and then neighbours' weights differ by an even number, which misses some swaps.
 * (This is Damm's check over the quasigroup x ∗ y = 2x + y.)
 */
export function checkCharacter(body: string): string {
  let sum = 0
  for (const ch of body) sum = times2(sum) ^ valueOf(ch)
  return CODE_ALPHABET[times2(sum)]
}

/** Crockford's check symbol of a legacy code: the body read as a base-32 number, mod 37. */
export function legacyCheck(body: string): string {
  let remainder = 0
  for (const ch of body) remainder = (remainder * 32 + valueOf(ch)) % 37
  return LEGACY_CHECK_ALPHABET[remainder]
}

/** How a card's codes are drawn: Crockford base32 (the default) or digits only. */
export type CodeFormat = 'alphanumeric' | 'numeric'
export const CODE_FORMATS: readonly CodeFormat[] = ['alphanumeric', 'numeric']

export const NUMERIC_RANDOM_DIGITS = 19
export const NUMERIC_CODE_LENGTH = NUMERIC_RANDOM_DIGITS + 1
/** Random bytes numericCodeFromRandomBytes is given: bytes of 250 and above are skipped (no modulo bias), 32 leave room. */
export const NUMERIC_RANDOM_BYTES = 32

/** Damm's table: a totally anti-symmetric quasigroup of order 10 (zero diagonal). */
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
] as const

function dammInterim(digits: string): number {
  let interim = 0
  for (const ch of digits) {
    const digit = ch.charCodeAt(0) - 48
    if (digit < 0 || digit > 9 || ch.length !== 1) throw new RangeError(`not a digit: ${JSON.stringify(ch)}`)
    interim = DAMM[interim][digit]
  }
  return interim
}

/** The Damm check digit of a string of digits: the one that makes the whole run through the table end at 0. */
export function checkDigit(body: string): string {
  return String(dammInterim(body))
}

/** Whether a string of digits ends in its Damm check digit. */
export function hasValidCheckDigit(digits: string): boolean {
  return /^[0-9]+$/.test(digits) && dammInterim(digits) === 0
}

/**
 * A numeric code from random bytes: each byte below 250 gives one digit (byte mod 10, unbiased), others
 * are skipped, and the first digit is drawn from 1–9 (bytes below 252, mod 9, plus 1) so that a client
 * storing codes as numbers loses no leading zero. Null when the bytes run out first (draw again).
 */
export function numericCodeFromRandomBytes(bytes: Uint8Array): string | null {
  let body = ''
  for (const byte of bytes) {
    if (body.length === NUMERIC_RANDOM_DIGITS) break
    if (body.length === 0) {
      if (byte < 252) body += String((byte % 9) + 1)
    } else if (byte < 250) body += String(byte % 10)
  }
  return body.length === NUMERIC_RANDOM_DIGITS ? body + checkDigit(body) : null
}

/** Whether a canonical code has the numeric shape (20 digits), whatever its check digit. */
export function looksNumeric(code: string): boolean {
  return code.length === NUMERIC_CODE_LENGTH && /^[0-9]+$/.test(code)
}

/** A code from at least 9 random bytes: their first 70 bits, then the check character. */
export function codeFromRandomBytes(bytes: Uint8Array): string {
  if (bytes.length < CODE_RANDOM_BYTES) throw new RangeError(`a code needs at least ${CODE_RANDOM_BYTES} random bytes`)
  let body = ''
  for (let i = 0; i < CODE_RANDOM_CHARS; i++) {
    // 5 bits starting at bit i*5, most significant bit first.
    let value = 0
    for (let b = i * 5; b < i * 5 + 5; b++) {
      const bit = (bytes[b >> 3] >> (7 - (b & 7))) & 1
      value = (value << 1) | bit
    }
    body += CODE_ALPHABET[value]
  }
  return body + checkCharacter(body)
}

/**
 * The canonical form of a typed or scanned code: uppercase, spaces and hyphens dropped, and the
 * look-alikes Crockford allows read as digits (I, L → 1; O → 0).
 */
export function normalizeCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0')
}

function isBody(body: string): boolean {
  for (const ch of body) if (!CODE_ALPHABET.includes(ch)) return false
  return true
}

/** The format a canonical code validates as, or null when it is no code (mistyped, truncated, not one). */
export function codeFormat(code: string): 'current' | 'legacy' | 'numeric' | null {
  if (typeof code !== 'string') return null
  if (looksNumeric(code)) return hasValidCheckDigit(code) ? 'numeric' : null
  if (code.length === CODE_LENGTH) {
    const body = code.slice(0, CODE_RANDOM_CHARS)
    return isBody(body) && checkCharacter(body) === code[CODE_RANDOM_CHARS] ? 'current' : null
  }
  if (code.length === LEGACY_CODE_LENGTH) {
    const body = code.slice(0, LEGACY_CODE_RANDOM_CHARS)
    return isBody(body) && legacyCheck(body) === code[LEGACY_CODE_RANDOM_CHARS] ? 'legacy' : null
  }
  return null
}

/** A canonical code of any format: the alphabet and a matching check character. */
export function isWellFormedCode(code: string): boolean {
  return codeFormat(code) !== null
}

/** '0123-4567-89AB-CDE': groups of four for printing; normalizeCode undoes it. */
export function formatCodeForDisplay(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code
}
