import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { effectiveCouponState } from '../../domain/redemption-rules.ts'
import type { Secrets } from '../../ports/secrets.ts'
import type { CouponRow } from './coupons.repository.ts'

/** A coupon as the API shows it: its state as of `now` (an available coupon past its validity reads expired). */
export function presentCoupon(coupon: CouponRow, tz: string, now: number, secrets: Secrets, code?: string) {
  return { ...presentCouponWithoutCode(coupon, tz, now), code: code ?? secrets.decryptCode(coupon.code_enc) }
}

/** The same without its code, which costs a decryption: for lists that do not show codes. */
export function presentCouponWithoutCode(coupon: CouponRow, tz: string, now: number) {
  const at = (ms: number | null) => formatOptionalInstant(ms, tz)
  return {
    id: coupon.id,
    card_id: coupon.card_id,
    card_version_id: coupon.card_version_id,
    user_id: coupon.user_id,
    state: effectiveCouponState(coupon, now),
    source: coupon.source,
    valid_from: formatInstant(coupon.valid_from, tz),
    valid_until: formatInstant(coupon.valid_until, tz),
    issued_at: formatInstant(coupon.issued_at, tz),
    redeemed_at: at(coupon.redeemed_at),
    redemption_id: coupon.redemption_id,
    voided_at: at(coupon.voided_at),
    // Voids before the holder could remove coupons were all the merchant's.
    voided_by: coupon.state === 'voided' ? (coupon.voided_by ?? 'merchant') : null,
    gifted_by: coupon.gifted_by ?? null,
    channel: coupon.channel_tag ?? null,
    campaign: coupon.campaign ?? null,
    shared_by: coupon.shared_by ?? null,
    unlock_after_friends: coupon.unlock_after_friends ?? null,
  }
}
