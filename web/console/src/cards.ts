import type { CardValue } from '../../shared/card-value.ts'
import type { ResponseOf } from '../../shared/api-schema.ts'

/** A card as the API returns it. */
// until the route declares its response
export interface Card extends CardValue {
  id: string
  title: string
  subtitle: string | null
  color: string | null
  logo_url: string | null
  notice: string
  description: string | null
  validity: { type: 'fixed_range' | 'fixed_term'; begin_at?: string; end_at?: string; days?: number; start_after_days?: number }
  usable_hours: { days: number[]; start: string; end: string }[] | null
  store_ids: string[]
  can_share: boolean
  can_gift: boolean
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
