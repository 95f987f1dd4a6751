import type { ResponseOf } from '../../shared/api-schema.ts'
import type { CardValue } from '../../shared/card-value.ts'

/** A coupon of the wallet with its code, as /v1/wallet/coupons/{id} answers. */
export type WalletCoupon = ResponseOf<'/v1/wallet/coupons/{coupon_id}', 'get'>

/** A coupon in the wallet's list, as /v1/wallet/coupons answers: no code, which its own page shows. */
export type WalletListCoupon = ResponseOf<'/v1/wallet/coupons', 'get'>['data'][number]

const DAY = 24 * 60 * 60 * 1000

/** Whole days until a coupon expires (0: today), for the expiry badge. */
export function daysLeft(validUntil: string, now = Date.now()): number {
  return Math.max(0, Math.floor((Date.parse(validUntil) - now) / DAY))
}

/** '2030-03-31 23:59' from an API timestamp, in the merchant's zone as the API wrote it. */
export function shortTime(timestamp: string | null | undefined): string {
  return timestamp ? timestamp.replace('T', ' ').slice(0, 16) : ''
}

export function shortDate(timestamp: string | null | undefined): string {
  return timestamp ? timestamp.slice(0, 10) : ''
}
