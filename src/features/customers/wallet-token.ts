import type { AppContext } from '../../app-context.ts'

export interface WalletClaims {
  merchantId: string
  merchantTz: string
  userId: string
}

/** Placeholder until customer identity lands: no wallet token is accepted. */
export async function verifyWalletToken(_ctx: AppContext, _token: string): Promise<WalletClaims | null> {
  return null
}
