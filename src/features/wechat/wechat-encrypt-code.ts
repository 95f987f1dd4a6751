import type { Secrets } from '../../ports/secrets.ts'

/**
 * The `encrypt_code` of a code (WECHAT-API.md §2.4): the code and its merchant under authenticated
 * encryption (AES-GCM, Secrets.seal), URL-safe. The wallet appends it to a card's link cells; the
 * merchant's page turns it back into the code through `card/code/decrypt`, which refuses another
 * merchant's (40075).
 */
export function encryptCode(secrets: Secrets, merchantId: string, code: string): string {
  return secrets.seal(`${merchantId}\u0000${code}`)
}

/** The code an `encrypt_code` stands for, if it is this merchant's; undefined for anything else. */
export function decryptCode(secrets: Secrets, merchantId: string, encrypted: string): string | undefined {
  let plain: string
  try {
    plain = secrets.unseal(encrypted)
  } catch {
    return undefined
  }
  const [owner, code] = plain.split('\u0000')
  return owner === merchantId && code ? code : undefined
}
