import { Type } from 'typebox'
import { Nullable, Timestamp } from '../../http/schemas.ts'
import { PostedFields } from '../ledger/ledger.routes.ts'
import { POINTS_ENTRY_TYPES } from './points.table.ts'

export const PointsEntryType = Type.Enum(POINTS_ENTRY_TYPES, { description: 'Why the points moved' })

/** One entry of a member's points ledger. */
export const PointsEntrySchema = Type.Object({
  id: Type.String(),
  type: PointsEntryType,
  delta: Type.Integer({ description: '+ earned, − burned' }),
  reason: Type.String(),
  balance_after: Type.Integer({ minimum: 0 }),
  source_ref: Nullable(Type.String()),
  expires_at: Nullable(Timestamp),
  remaining: Nullable(Type.Integer({ minimum: 0, description: 'For earned points: how many of them are left' })),
  created_at: Timestamp,
})

export const PointsPostedSchema = Type.Object({ ...PostedFields, points_balance: Type.Integer({ minimum: 0 }) })
