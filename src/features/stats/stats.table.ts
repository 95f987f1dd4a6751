/** Rows of the stats tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

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
