import { reactive } from 'vue'

/**
 * The customer's wallet token (docs/wallet-tokens.md), kept in this browser: `wt1.<merchant>.<user>.<exp>.<sig>`.
 * The page reads the merchant and the expiry from it; only the server can check it.
 */
const STORAGE_KEY = 'kabao.wallet'

export interface TokenParts {
  merchantId: string
  expiresAt: number
}

export function tokenParts(token: string): TokenParts | null {
  const parts = token.split('.')
  if (parts.length !== 5 || parts[0] !== 'wt1' || !/^\d+$/.test(parts[3])) return null
  return { merchantId: parts[1], expiresAt: Number(parts[3]) * 1000 }
}

function stored(): { token: string | null; merchantId: string | null } {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as { token?: string; merchantId?: string } | null
    const parts = saved?.token ? tokenParts(saved.token) : null
    if (saved?.token && parts && parts.expiresAt > Date.now()) return { token: saved.token, merchantId: parts.merchantId }
    return { token: null, merchantId: saved?.merchantId ?? null }
  } catch {
    return { token: null, merchantId: null }
  }
}

export const wallet = reactive(stored())

function save(): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ token: wallet.token, merchantId: wallet.merchantId }))
  } catch {
    // Private browsing: signed in for this page only.
  }
}

/** Keeps a token; false when it is not a wallet token or has expired. */
export function signIn(token: string): boolean {
  const parts = tokenParts(token)
  if (!parts || parts.expiresAt <= Date.now()) return false
  wallet.token = token
  wallet.merchantId = parts.merchantId
  save()
  return true
}

/** Forgets the token but remembers the merchant, so signing in again needs no link. */
export function signOut(): void {
  wallet.token = null
  save()
}

export function rememberMerchant(merchantId: string): void {
  wallet.merchantId = merchantId
  save()
}

/** Signed in with this merchant (a token of another merchant does not count). */
export function signedInWith(merchantId: string | null): boolean {
  return wallet.token !== null && (merchantId === null || wallet.merchantId === merchantId)
}
