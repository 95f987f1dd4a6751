/** The columns every ledger's entries have (points_entries, stored_value_entries): timestamps epoch ms (UTC). */
export interface LedgerEntryColumns<Type extends string> {
  id: string
  merchant_id: string
  member_id: string
  /** The member's sequence number of this ledger: entries read in the order the balance moved. */
  seq: number
  /** Why the balance moved. */
  type: Type
  delta: number
  balance_after: number
  reason: string
  /** The business event it belongs to, unique per merchant: an event posts once. */
  source_ref: string | null
  created_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
}
