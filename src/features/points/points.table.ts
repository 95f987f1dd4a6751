/** Rows of the points tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */
import type { LedgerEntryColumns } from '../ledger/ledger.table.ts'

/** Why points moved. */
export const POINTS_ENTRY_TYPES = ['purchase', 'sign_in', 'profile_completed', 'referral', 'adjustment', 'exchange', 'expiry', 'refund'] as const
export type PointsEntryType = (typeof POINTS_ENTRY_TYPES)[number]

export interface PointsEntriesTable extends LedgerEntryColumns<PointsEntryType> {}

export interface PointsLotsTable {
  /** The id of the entry that earned the points. */
  id: string
  merchant_id: string
  member_id: string
  amount: number
  remaining: number
  expires_at: number | null
  notice_at: number | null
  noticed_at: number | null
  created_at: number
}
