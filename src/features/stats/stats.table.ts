/** Rows of the stats tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

import type { CouponSource } from '../coupons/coupons.table.ts'

export interface DailyStatsTable {
  merchant_id: string
  day: string
  card_id: string
  issued: number
  redeemed: number
  reversed: number
  expired: number
  voided: number
  discount_amount: number
  updated_at: number
}


/** The daily roll-up per card and issue channel; daily_stats is its sum over channels. */
export interface DailyChannelStatsTable {
  merchant_id: string
  day: string
  card_id: string
  /** How the coupons were issued (coupons.source): claim link, api, bulk, payment … */
  channel: CouponSource
  issued: number
  redeemed: number
  reversed: number
  expired: number
  voided: number
  discount_amount: number
  /** Order amounts of the day's redemptions less those of its reversals, integer fen. */
  order_amount: number
  updated_at: number
}
