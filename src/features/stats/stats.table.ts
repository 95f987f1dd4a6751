/** Rows of the stats tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

import type { CouponSource } from '../coupons/coupons.table.ts'

/** What a card's day counts: coupons issued, redeemed, reversed, expired and voided, and the discount given. */
export interface DayCounts {
  issued: number
  redeemed: number
  reversed: number
  expired: number
  voided: number
  discount_amount: number
}

export interface DailyStatsTable extends DayCounts {
  merchant_id: string
  day: string
  card_id: string
  updated_at: number
}

/** The daily roll-up per card and issue channel; daily_stats is its sum over channels. */
export interface DailyChannelStatsTable extends DayCounts {
  merchant_id: string
  day: string
  card_id: string
  /** How the coupons were issued (coupons.source): claim link, api, bulk, payment … */
  channel: CouponSource
  /** Order amounts of the day's redemptions less those of its reversals, integer fen. */
  order_amount: number
  updated_at: number
}
