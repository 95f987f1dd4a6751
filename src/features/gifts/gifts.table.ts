/** Rows of the gifts tables: timestamps are epoch ms (UTC). */

/**
 * A gift's life: `pending` from the giver's send until one of accepted (a receiver took it), cancelled (the
 * giver took it back) or returned (not accepted by `expires_at`, given back by the job). Only `pending` moves.
 */
export type GiftState = 'pending' | 'accepted' | 'cancelled' | 'returned'

export interface GiftsTable {
  id: string
  merchant_id: string
  card_id: string
  /** The giver's coupon. */
  coupon_id: string
  giver_user_id: string
  /** SHA-256 (hex) of the public token in the gift link: looked up by it; no plain token is stored. */
  token_hash: string
  /** The token sealed (AES-GCM, Secrets.seal), so the giver's wallet can show the link and QR again. */
  token_sealed: string
  state: GiftState
  receiver_user_id: string | null
  /** The receiver's coupon, with its own new code. */
  received_coupon_id: string | null
  expires_at: number
  created_at: number
  /** When it was accepted, cancelled or returned. */
  closed_at: number | null
}

/** Gifts each giver sent per local day (merchant's zone), counted against the policy's max_gifts_per_user_day. */
export interface GiftUserDaysTable {
  merchant_id: string
  user_id: string
  /** YYYY-MM-DD in the merchant's zone. */
  day: string
  sent: number
}
