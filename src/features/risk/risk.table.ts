/** Rows of the risk-control tables: timestamps are epoch ms (UTC), flags 0/1. */
import type { RiskAction, RiskActivity, RiskRuleName, RiskSubjectType } from '../../domain/risk.ts'

/** A merchant's change to one default rule (a rule without a row is the default). */
export interface RiskRulesTable {
  merchant_id: string
  name: RiskRuleName
  enabled: 0 | 1
  limit_value: number
  window_seconds: number
  action: RiskAction
  updated_at: number
}

export interface RiskBlocksTable {
  id: string
  merchant_id: string
  type: RiskSubjectType
  value: string
  /** When the block ends; null: until removed. */
  until: number | null
  /** The rule that blocked (wrong_codes), or null for a block the merchant added. */
  rule: RiskRuleName | null
  created_at: number
}

/** A challenge or block a rule decided. */
export interface RiskEventsTable {
  id: string
  merchant_id: string
  decision: RiskAction
  rule: RiskRuleName
  activity: RiskActivity
  subject_type: RiskSubjectType
  subject_value: string
  /** What a challenge is about (the redeemed code's lookup hash): a confirmation must be for the same. */
  challenge_ref: string | null
  confirmed_at: number | null
  /** The key or staff member who confirmed it. */
  confirmed_by: string | null
  created_at: number
}

/** A counter of distinct members: one row, locked by the transaction that counts a hit, so parallel hits count one after another. */
export interface RiskCountersTable {
  merchant_id: string
  counter_key: string
  touched_at: number
  /** When the window has passed since the last hit: the counter and its hits are then forgotten (purge-risk-counters). */
  expires_at: number
}

/** A member of a distinct counter's sliding window (a user id, a sign-in contact), with its last hit. */
export interface RiskCounterHitsTable {
  merchant_id: string
  counter_key: string
  member: string
  at: number
}

/**
 * A counter of every hit (claims per address, wrong codes, redemptions per clerk): one row per fixed tenth
 * of its window (`bucket_start`, epoch ms), its hits counted in `n` by one statement per hit. A window is
 * read as the sum of the buckets it touches.
 */
export interface RiskCountsTable {
  merchant_id: string
  counter_key: string
  bucket_start: number
  n: number
  /** Whether the bucket's latest hit was counted (1) or refused for the limit (0): the counting statement answers it. */
  last_counted: 0 | 1
  /** The limit the bucket's latest hit was counted against. */
  limit_value: number
  /** When the bucket has left every window (its end plus the window): forgotten then (purge-risk-counters). */
  expires_at: number
}
