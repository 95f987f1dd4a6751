// Coupon codes: 14 Crockford base32 characters of randomness (70 bits, unguessable) plus one check
// character from the same alphabet, which catches every single mistyped character and every swap of
// two neighbours before a lookup is even made. Every character can be typed at a till.
//
// Codes issued before carry 13 random characters and Crockford's mod-37 check symbol, which may be one
// of * ~ $ = U (the legacy format, 14 characters). They stay valid: a code is recognized by the format
// it validates as (the lengths differ).
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
export function codeFormat(code: string): 'current' | 'legacy' | null {
  if (typeof code !== 'string') return null
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

/** A canonical code of either format: the alphabet and a matching check character. */
export function isWellFormedCode(code: string): boolean {
  return codeFormat(code) !== null
}

/** '0123-4567-89AB-CDE': groups of four for printing; normalizeCode undoes it. */
export function formatCodeForDisplay(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code
}
