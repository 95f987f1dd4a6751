/**
 * Member invite codes (邀请码): 16 Crockford base32 characters from 80 random bits, unguessable, typeable
 * and forgiving of case, spaces, hyphens and look-alikes (I/L → 1, O → 0) when typed.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const INVITE_CODE_BYTES = 10
export const INVITE_CODE_LENGTH = 16

export function inviteCodeFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== INVITE_CODE_BYTES) throw new Error(`an invite code takes ${INVITE_CODE_BYTES} bytes`)
  let bits = 0
  let value = 0
  let code = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      code += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  return code
}

/** What a customer typed, in canonical form; null when it cannot be an invite code. */
export function normalizeInviteCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
  if (code.length !== INVITE_CODE_LENGTH) return null
  for (const ch of code) if (!ALPHABET.includes(ch)) return null
  return code
}
