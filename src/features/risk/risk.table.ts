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

/** One row per counter, locked by the transaction that counts a hit, so parallel hits count one after another. */
export interface RiskCountersTable {
  merchant_id: string
  counter_key: string
  touched_at: number
  /** When the window has passed since the last hit: the counter and its hits are then forgotten (purge-risk-counters). */
  expires_at: number
}

/** A hit of a counter's sliding window; counting distinct members, a member is a user id, else a fresh id. */
export interface RiskCounterHitsTable {
  merchant_id: string
  counter_key: string
  member: string
  at: number
}
