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

/**
 * A card's live counters per local day (merchant zone), issue channel and the coupons' own channel and
 * campaign tags ('' = untagged), changed in the same transaction as each claim, void, redemption and
 * reversal. Two views of the same events: by the day each happened (issued, voided, redeemed, reversed and
 * the net amounts), and what still stands of each day (claims_kept: the day's coupons not voided since;
 * redemptions_kept: the day's redemptions not reversed since, with their amounts).
 */
export interface CardActivityDaysTable {
  merchant_id: string
  card_id: string
  day: string
  channel: CouponSource
  channel_tag: string
  campaign: string
  issued: number
  voided: number
  claims_kept: number
  redeemed: number
  reversed: number
  redemptions_kept: number
  /** The day's redemptions' discount less that of the day's reversals, integer fen (so is order_amount). */
  discount_amount: number
  order_amount: number
  /** Discount and order amounts of the day's redemptions not reversed since. */
  discount_kept: number
  order_kept: number
  /** Gifts accepted that day of coupons of this row (counted on the giver's coupon: its channel and tags). */
  gifted: number
}

/** What a person does with a card that the statistics count distinct people of. */
export type ReachAction = 'view' | 'claim' | 'redeem' | 'share'

/**
 * How many of a person's coupons claimed on a day still stand (claim), their redemptions of the day that
 * stand (redeem), or their shares of the day (share). Card id '' (domain/reach.ts ALL_CARDS): of any card.
 */
export interface CardPersonDaysTable {
  merchant_id: string
  card_id: string
  action: Exclude<ReachAction, 'view'>
  person: string
  day: string
  n: number
}

/**
 * People whose active day `day` follows their active day `prev_day` ('' = none before), see domain/reach.ts.
 * Card id '' (ALL_CARDS): people active with any of the merchant's cards.
 */
export interface CardReachTable {
  merchant_id: string
  card_id: string
  action: ReachAction
  day: string
  prev_day: string
  people: number
}

/** Shares of a card per local day (merchant zone), counted in the transaction of each share. */
export interface CardShareDaysTable {
  merchant_id: string
  card_id: string
  day: string
  shares: number
}

/** Of the merchant's coupons claimed on a local day, how many are redeemed now (changed by each redemption and reversal). */
export interface MerchantClaimDaysTable {
  merchant_id: string
  day: string
  redeemed: number
}
