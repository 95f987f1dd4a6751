import type { TestApp } from './app.ts'
import { cashCard } from './app.ts'
import { expectStatus, newMerchant } from './merchant-api.ts'

export const DEVICE = 'device-0123456789'

/** A merchant with a claim link to a card each user may claim a few times. */
export async function claimSetup(t: TestApp) {
  const m = await newMerchant(t)
  const card = await m.createCard(cashCard({ stock: 1000, get_limit: 5 }))
  const link = expectStatus(await m.post(`/v1/cards/${card.id}/claim-links`, {}), 201)
  const tokens = new Map<string, string>()
  const walletToken = async (userId: string) => {
    if (!tokens.has(userId)) tokens.set(userId, expectStatus(await m.post('/v1/wallet-tokens', { user_id: userId }), 201).token)
    return tokens.get(userId) as string
  }
  const claim = async (userId: string, device: string | null = DEVICE) =>
    t.request('POST', `/v1/claim/${link.token}`, { key: await walletToken(userId), headers: device ? { 'kabao-device': device } : {} })
  return { m, claim, walletToken, linkToken: link.token as string }
}
