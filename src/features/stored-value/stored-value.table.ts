/** Rows of the stored-value tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */
import type { LedgerEntryColumns } from '../ledger/ledger.table.ts'

/** Why stored value moved: a top-up, a payment, an order refund paid back to the card, a refund paid out to the member, a correction. */
export const STORED_VALUE_ENTRY_TYPES = ['top_up', 'payment', 'order_refund', 'refund', 'adjustment'] as const
export type StoredValueEntryType = (typeof STORED_VALUE_ENTRY_TYPES)[number]

export interface StoredValueEntriesTable extends LedgerEntryColumns<StoredValueEntryType> {
  /** The payment behind a top-up, or the payout of a refund. */
  payment_ref: string | null
}
