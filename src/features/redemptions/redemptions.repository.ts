import type { RedemptionsTable } from '../../db/schema.ts'

export type RedemptionRow = RedemptionsTable
