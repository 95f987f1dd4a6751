import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'

/**
 * Everything derived from the process's secret key (kept outside the database). A copy of the database
 * alone gives neither redeemable codes (only their keyed hashes and ciphertexts) nor usable API keys.
 */
export interface Secrets {
  /** Keyed hash used to find a coupon by its code. */
  codeLookupHash(code: string): string
  encryptCode(code: string): string
  decryptCode(sealed: string): string
  /** Seals any small secret (a merchant's wallet signing secret) for storage. */
  seal(plain: string): string
  unseal(sealed: string): string
  /** Keyed hash for one-time passwords and other short secrets. */
  shortSecretHash(value: string): string
  /**
   * Seals under a key of `scope`'s own (HKDF of the secret key with the scope, e.g. one merchant's
   * `encrypt_code` key of one generation): what one scope sealed, no other scope opens.
   */
  sealFor(scope: string, plain: string): string
  unsealFor(scope: string, sealed: string): string
}

/** A KeyObject, so that each use does not import the raw key again (a measurable cost per redemption). */
function subkey(master: Buffer, purpose: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `kabao:${purpose}`, 32)))
}

function aesGcmSeal(key: KeyObject, plain: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
}

function aesGcmOpen(key: KeyObject, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url')
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
  decipher.setAuthTag(raw.subarray(12, 28))
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
}

export function createSecrets(masterKey: Buffer): Secrets {
  const lookupKey = subkey(masterKey, 'code-lookup')
  const codeKey = subkey(masterKey, 'code-encryption')
  const sealKey = subkey(masterKey, 'seal')
  const shortKey = subkey(masterKey, 'short-secret')
  // Scoped keys are derived once each; the cache is bounded (derivation is cheap, just not free).
  const scoped = new Map<string, KeyObject>()
  const scopedKey = (scope: string): KeyObject => {
    let key = scoped.get(scope)
    if (!key) {
      if (scoped.size >= 1000) scoped.clear()
      key = subkey(masterKey, `scoped:${scope}`)
      scoped.set(scope, key)
    }
    return key
  }
  return {
    codeLookupHash: (code) => createHmac('sha256', lookupKey).update(code).digest('base64url'),
    encryptCode: (code) => aesGcmSeal(codeKey, code),
    decryptCode: (sealed) => aesGcmOpen(codeKey, sealed),
    seal: (plain) => aesGcmSeal(sealKey, plain),
    unseal: (sealed) => aesGcmOpen(sealKey, sealed),
    shortSecretHash: (value) => createHmac('sha256', shortKey).update(value).digest('base64url'),
    sealFor: (scope, plain) => aesGcmSeal(scopedKey(scope), plain),
    unsealFor: (scope, sealed) => aesGcmOpen(scopedKey(scope), sealed),
  }
}

/**
 * API keys carry 192 random bits, so a plain SHA-256 is enough to store them: a slow hash would only
 * slow every request down without making a 192-bit secret any harder to guess.
 */
export function hashApiKey(apiKey: string): string {
  return hashToken(apiKey)
}

/** Random tokens (API keys, claim links: 192 bits) are stored as their SHA-256, for the reason above. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function hmacHex(secret: string | Buffer, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex')
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
