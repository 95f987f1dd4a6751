// Coupon codes: 13 Crockford base32 characters of randomness (65 bits, unguessable) plus one
// Crockford mod-37 check character, which catches every single mistyped character and every swap
// of two neighbours before a lookup is even made.
//
// Codes are stored and compared in canonical form: normalize what a user typed first.

/** Crockford base32: digits and letters without I, L, O, U (easily misread). */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
/** The check symbols: the alphabet (values 0–31) plus * ~ $ = U (values 32–36). */
export const CHECK_ALPHABET = CODE_ALPHABET + '*~$=U'
export const CODE_RANDOM_CHARS = 13
export const CODE_LENGTH = CODE_RANDOM_CHARS + 1
/** Random bytes codeFromRandomBytes needs (65 bits round up to 9 bytes). */
export const CODE_RANDOM_BYTES = 9

/** Crockford's check symbol: the body read as a base-32 number, mod 37. */
export function checkCharacter(body: string): string {
  let remainder = 0
  for (const ch of body) {
    const value = CODE_ALPHABET.indexOf(ch)
    if (value < 0) throw new RangeError(`not a Crockford base32 character: ${JSON.stringify(ch)}`)
    remainder = (remainder * 32 + value) % 37
  }
  return CHECK_ALPHABET[remainder]
}

/** A code from at least 9 random bytes: their first 65 bits, then the check character. */
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

/** A canonical code: 14 characters, 13 from the alphabet, and a matching check character. */
export function isWellFormedCode(code: string): boolean {
  if (typeof code !== 'string' || code.length !== CODE_LENGTH) return false
  const body = code.slice(0, CODE_RANDOM_CHARS)
  for (const ch of body) if (!CODE_ALPHABET.includes(ch)) return false
  return checkCharacter(body) === code[CODE_RANDOM_CHARS]
}

/** '0123-4567-89AB-CD': groups of four for printing; normalizeCode undoes it. */
export function formatCodeForDisplay(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code
}
