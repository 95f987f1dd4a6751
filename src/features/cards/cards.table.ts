import type { Json } from '../../db/json.ts'
import type { CardType, Validity } from '../../domain/types.ts'
import type { CodeFormat } from '../../domain/codes.ts'

/** Rows of the cards tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export type { CardType, CodeFormat }

/** draft → active ⇄ paused → ended (see changeCardStatus). */
export type CardStatus = 'draft' | 'active' | 'paused' | 'ended'
export const CARD_STATUSES: readonly CardStatus[] = ['draft', 'active', 'paused', 'ended']

/** How a card's coupons are dated (kept in its versions' terms): see domain/validity.ts. */
export type ValidityType = Validity['type']

/** How a coupon's code is shown to the till. */
export type CodeType = 'qrcode' | 'barcode' | 'text'

export interface CardsTable {
  id: string
  merchant_id: string
  type: CardType
  status: CardStatus
  version: number
  stock_remaining: number
  issued_count: number
  get_limit: number
  code_type: CodeType
  created_at: number
  updated_at: number
  /** `card.stock_low` fires when stock_remaining falls to this or below; null = no alert. */
  stock_low_threshold: number | null
  /** When the alert fired for the current crossing; cleared once stock is back above the threshold. */
  stock_low_at: number | null
  /** Days before expiry that holders are reminded; null = no reminder. */
  remind_days_before: number | null
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
  /** Share reward tiers (阶梯奖励), JSON `[{friends, card_id}]`; null = none. Absent on insert (null). */
  share_rewards?: Json | null
  /** How its codes are drawn: Crockford base32 (`alphanumeric`) or 20 digits (`numeric`). Absent on insert: alphanumeric. */
  code_format?: CodeFormat
  /** A fission card (裂变券): coupons are issued locked until this many friends claimed through the holder's share link. */
  unlock_after_friends?: number | null
}

export interface CardVersionsTable {
  id: string
  merchant_id: string
  card_id: string
  version: number
  terms: Json
  created_at: number
}

export interface CardUserClaimsTable {
  merchant_id: string
  card_id: string
  user_id: string
  claimed: number
}
