/** Rows of the member-analytics tables: timestamps are epoch ms (UTC), money integer fen. */

/** A member card's RFM thresholds, when the merchant changed them from the defaults (see domain/rfm.ts). */
export interface RfmThresholdsTable {
  merchant_id: string
  member_card_id: string
  window_days: number
  recency_days: number
  frequency: number
  /** Integer fen. */
  monetary: number
  updated_at: number
}
