import { Type } from 'typebox'
import { Money, Nullable, Timestamp } from '../../http/schemas.ts'
import { PostedFields } from '../ledger/ledger.routes.ts'
import { STORED_VALUE_ENTRY_TYPES } from './stored-value.table.ts'

export const StoredValueEntryType = Type.Enum(STORED_VALUE_ENTRY_TYPES, { description: 'Why the stored value moved' })

/** One entry of a member's stored-value ledger. */
export const StoredValueEntrySchema = Type.Object({
  id: Type.String(),
  type: StoredValueEntryType,
  delta: Type.Integer({ description: 'Fen: + added, − taken' }),
  reason: Type.String(),
  payment_ref: Nullable(Type.String()),
  balance_after: Money,
  created_at: Timestamp,
})

export const StoredValuePostedSchema = Type.Object({ ...PostedFields, stored_value_balance: Money })

export const StoredValueRefundedSchema = Type.Object({
  entry_id: Type.String(),
  amount: Money,
  fee: Money,
  payout: Money,
  stored_value_balance: Money,
})
