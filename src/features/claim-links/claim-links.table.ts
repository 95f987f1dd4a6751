/** Rows of the claim-links tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** What the merchant set; whether a link hands out coupons right now also depends on its expiry and count (claimLinkStatus). */
export type ClaimLinkSetting = 'active' | 'disabled'

export interface ClaimLinksTable {
  id: string
  merchant_id: string
  card_id: string
  /** SHA-256 (hex) of the public token: links are looked up by it; no plain token is stored. */
  token_hash: string
  /** The token sealed (AES-GCM, Secrets.seal), so the console can show the link's URL and QR again. */
  token_sealed: string | null
  /** The plain token of a link made before tokens were hashed, until the first start after the upgrade seals it. */
  legacy_token: string | null
  status: ClaimLinkSetting
  claimed_count: number
  max_claims: number | null
  expires_at: number | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
  /** The merchant's channel tag (the API's `channel`), given to every coupon claimed through it. */
  channel_tag: string | null
  campaign: string | null
  /** A share link: the customer who shared the card (one link per sharer and card). */
  shared_by: string | null
  /** Of a share link: distinct friends who claimed their first coupon of the card through it. */
  friend_count: number
  /** Reserved for one customer: only this user id claims through it (WeChat's QR codes bound to an openid). */
  for_user_id?: string | null
}
