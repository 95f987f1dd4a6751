import type { CardTerms } from '../../../src/domain/types.ts'
import type { ResponseOf } from '../../shared/api-schema.ts'

/** A card as the API returns it: its terms (the server's own type) and its state. */
export type Card = ResponseOf<'/v1/cards/{card_id}', 'get'>

export const STATUS_TAG: Record<Card['status'], 'info' | 'success' | 'warning' | 'danger'> = {
  draft: 'info',
  active: 'success',
  paused: 'warning',
  ended: 'danger',
}

export type Store = ResponseOf<'/v1/stores/{store_id}', 'get'>
