import type { CardTerms } from '../../../src/domain/types.ts'
import type { ResponseOf } from '../../shared/api-schema.ts'

/** A card as the API returns it: its terms (the server's own type) and its state. */
// until the route declares its response
export interface Card extends CardTerms {
  id: string
  status: 'draft' | 'active' | 'paused' | 'ended'
  version: number
  stock_remaining: number
  issued_count: number
  get_limit: number
  code_type: 'qrcode' | 'barcode' | 'text'
  created_at: string
  updated_at: string
}

export const STATUS_TAG: Record<Card['status'], 'info' | 'success' | 'warning' | 'danger'> = {
  draft: 'info',
  active: 'success',
  paused: 'warning',
  ended: 'danger',
}

export type Store = ResponseOf<'/v1/stores/{store_id}', 'get'>
