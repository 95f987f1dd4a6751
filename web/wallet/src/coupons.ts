import type { CardValue } from '../../shared/card-value.ts'

/** A coupon in the wallet, as /v1/wallet/coupons answers. */
// until the route declares its response
export interface WalletCoupon {
  id: string
  code: string
  card_id: string
  state: 'available' | 'redeemed' | 'expired' | 'voided'
  valid_from: string
  valid_until: string
  issued_at: string
  redeemed_at: string | null
  code_type: 'qrcode' | 'barcode' | 'text'
  card: CardValue & {
    title: string
    subtitle: string | null
    color: string | null
    logo_url: string | null
    notice: string
    description?: string | null
    validity?: { type: string; days?: number; start_after_days?: number; begin_at?: string; end_at?: string }
    usable_hours?: { days: number[]; start: string; end: string }[] | null
    all_stores?: boolean
    stores?: { id: string; name: string; address: string | null }[]
  }
}

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
