/** Rows of the coupons tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/**
 * The state stored for a coupon. An `available` coupon past its validity reads as `expired` before the
 * expiry job writes that down (see effectiveCouponState). `gifting`: a gift of it waits for its receiver
 * (it cannot be redeemed); `gifted`: a receiver accepted it and holds a new coupon, so this code is dead.
 * A fission coupon (裂变券) is issued `locked` and becomes `available` once enough friends claimed through
 * its holder's share link.
 */
export type CouponState = 'available' | 'redeemed' | 'expired' | 'voided' | 'gifting' | 'gifted' | 'locked'

/** Who voided a coupon: its holder (removed it from the wallet) or the merchant (API, console, WeChat code/unavailable). */
export type CouponVoider = 'holder' | 'merchant'

/** How a coupon reached its owner. */
export type CouponSource = 'api' | 'claim_link' | 'bulk' | 'payment' | 'gift' | 'referral' | 'points_exchange' | 'birthday' | 'share' | 'share_reward' | 'group'

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
  /** Who voided a voided coupon: `holder` (removed from the wallet by its holder) or `merchant`; null otherwise and for voids before 0030 (the merchant's). Absent on insert (null). */
  voided_by?: CouponVoider | null
  updated_at: number
  /** The user who gave it, for a coupon received as a gift (source `gift`); null otherwise; absent on insert (null). */
  gifted_by?: string | null
  /** The merchant's free channel tag (`livestream`, `menu`, …) from the issue or claim link; the API calls it `channel`. */
  channel_tag?: string | null
  /** The merchant's free campaign tag. */
  campaign?: string | null
  /** The user whose share link it was claimed through (source `share`). These four are absent on insert outside issuing (null). */
  shared_by?: string | null
  /** Friends its holder must bring through their share link before a locked coupon becomes available. */
  unlock_after_friends?: number | null
  /** When its holder was reminded that it expires soon (once per coupon); absent on insert (null). */
  reminded_at?: number | null
}
