// A holder removing a coupon from their wallet (WeChat's 删除卡券, pushed as user_del_card): irreversible,
// the coupon is voided with the holder as voider. Only an unused coupon goes: available (also before its
// validity starts) or locked (a fission coupon still waiting for friends).

import type { Result } from './types.ts'
import { effectiveCouponState, type CouponState } from './redemption-rules.ts'

export type RemovalError = 'already_redeemed' | 'expired' | 'voided' | 'coupon_gifting' | 'coupon_gifted'

export interface RemovalInput {
  coupon: { state: CouponState; valid_until: number; voided_by?: string | null }
  now: number
}

/**
 * `remove`: the coupon may be removed now; `removed`: its holder removed it already (a retry, answered
 * alike without a second change); otherwise why not, the first that applies.
 */
export function decideRemoval({ coupon, now }: RemovalInput): Result<{ decision: 'remove' | 'removed' }, RemovalError> {
  const state = effectiveCouponState(coupon, now)
  if (state === 'available' || state === 'locked') return { ok: true, decision: 'remove' }
  if (state === 'voided') {
    if (coupon.voided_by === 'holder') return { ok: true, decision: 'removed' }
    return { ok: false, error: 'voided', detail: 'The merchant voided this coupon; it cannot be used or removed.' }
  }
  if (state === 'redeemed') return { ok: false, error: 'already_redeemed', detail: 'A used coupon stays in your history; only unused coupons can be removed.' }
  if (state === 'expired') return { ok: false, error: 'expired', detail: 'The coupon has expired; only unused, valid coupons can be removed.' }
  if (state === 'gifting') return { ok: false, error: 'coupon_gifting', detail: 'The coupon is being given as a gift; cancel the gift before removing it.' }
  return { ok: false, error: 'coupon_gifted', detail: 'The coupon was given away; it is no longer yours to remove.' }
}
