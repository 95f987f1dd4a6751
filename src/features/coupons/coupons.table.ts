/** Rows of the coupons tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/**
 * The state stored for a coupon. An `available` coupon past its validity reads as `expired` before the
 * expiry job writes that down (see effectiveCouponState).
 */
export type CouponState = 'available' | 'redeemed' | 'expired' | 'voided'

/** How a coupon reached its owner. */
export type CouponSource = 'api' | 'claim_link' | 'bulk' | 'payment' | 'gift' | 'referral' | 'points_exchange' | 'birthday' | 'group'

export interface CouponsTable {
  id: string
  merchant_id: string
  card_id: string
  card_version_id: string
  code_hash: string
  code_enc: string
  user_id: string
  state: CouponState
  source: CouponSource
  source_ref: string | null
  valid_from: number
  valid_until: number
  issued_at: number
  redeemed_at: number | null
  redemption_id: string | null
  voided_at: number | null
  updated_at: number
  /** When its holder was reminded that it expires soon (once per coupon); absent on insert (null). */
  reminded_at?: number | null
}
