import type { AppContext } from '../../app-context.ts'
import type { Secrets } from '../../ports/secrets.ts'
import { codeKeyGeneration } from './wechat.repository.ts'

/**
 * The `encrypt_code` of a code (WECHAT-API.md §2.4): the code under authenticated encryption (AES-GCM)
 * with the merchant's own key, URL-safe. The key is derived from the installation's secret key with the
 * merchant id and the key's generation (Secrets.sealFor), so one merchant's `encrypt_code` opens for no
 * other merchant, and a rotation (a new generation) makes every earlier one fail. The wallet appends it to
 * a card's link cells; the merchant's page turns it back into the code through `card/code/decrypt` (40075
 * for anything else).
 */
const scopeOf = (merchantId: string, generation: number) => `wechat-encrypt-code:${merchantId}:${generation}`

export function encryptCode(secrets: Secrets, merchantId: string, generation: number, code: string): string {
  return secrets.sealFor(scopeOf(merchantId, generation), code)
}

/**
 * The code an `encrypt_code` stands for, if it is this merchant's under the key's current generation;
 * undefined for anything else. Links made before merchants had keys of their own (the installation's seal
 * key, the merchant id inside) still open until the merchant's first rotation.
 */
export function decryptCode(secrets: Secrets, merchantId: string, generation: number, encrypted: string): string | undefined {
  try {
    const code = secrets.unsealFor(scopeOf(merchantId, generation), encrypted)
    return code || undefined
  } catch {
    if (generation !== 1) return undefined
  }
  let plain: string
  try {
    plain = secrets.unseal(encrypted)
  } catch {
    return undefined
  }
  const [owner, code] = plain.split('\u0000')
  return owner === merchantId && code ? code : undefined
}

/** The `encrypt_code` of a merchant's code under its key's current generation (what wallet links carry). */
export async function encryptCodeOf(ctx: AppContext, merchantId: string, code: string): Promise<string> {
  return encryptCode(ctx.secrets, merchantId, await codeKeyGeneration(ctx.database.db, merchantId), code)
}

/** The code of a merchant's `encrypt_code`, or undefined (bad, altered, another merchant's, or of a rotated key). */
export async function decryptCodeOf(ctx: AppContext, merchantId: string, encrypted: string): Promise<string | undefined> {
  return decryptCode(ctx.secrets, merchantId, await codeKeyGeneration(ctx.database.db, merchantId), encrypted)
}
