import type { Db } from '../../db/database.ts'
import { formatInstant } from '../../domain/time.ts'
import { recordEvent } from '../events/events.repository.ts'

export interface ExpiringCoupon {
  merchant_id: string
  id: string
  card_id: string
  user_id: string
  valid_until: number
}

/**
 * The `coupon.expired` event, written in the transaction that stores a coupon's state as expired: by the
 * expiry job, or by a reversal that comes after the coupon's validity. Each coupon gets it once, because
 * only the one conditional update that moves the coupon to expired writes it.
 */
export function recordCouponExpired(tx: Db, coupon: ExpiringCoupon, merchantTz: string, now: number): Promise<string> {
  return recordEvent(tx, {
    merchantId: coupon.merchant_id,
    type: 'coupon.expired',
    data: { coupon_id: coupon.id, card_id: coupon.card_id, user_id: coupon.user_id, valid_until: formatInstant(coupon.valid_until, merchantTz) },
    now,
  })
}
