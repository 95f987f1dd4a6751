/** Rows of the experiments tables: timestamps are epoch ms (UTC). */

export type ExperimentStatus = 'running' | 'stopped'

/** An A/B test of cards behind one claim token. */
export interface ExperimentsTable {
  id: string
  merchant_id: string
  name: string
  /** SHA-256 (hex) of the public claim token; looked up by it, as claim links are. */
  token_hash: string
  /** The token sealed (Secrets.seal), so the console can show the URL again. */
  token_sealed: string
  status: ExperimentStatus
  /** The card kept when the experiment stopped: every visitor gets it from then on. */
  winner_card_id: string | null
  created_at: number
  stopped_at: number | null
  request_ref: string | null
}

export interface ExperimentVariantsTable {
  merchant_id: string
  experiment_id: string
  card_id: string
  position: number
  weight: number
  /** Claim-page views that showed this variant. */
  views: number
}

/** Which coupon was claimed through which variant. */
export interface ExperimentClaimsTable {
  merchant_id: string
  coupon_id: string
  experiment_id: string
  card_id: string
  user_id: string
  claimed_at: number
}
