// Shared shapes of the domain. Field names are snake_case like the API so terms can be stored and
// returned as they are.

import { DEFAULT_LIMITS, type AmountLimits } from './limits.ts'
import type { GroupOption } from './groups.ts'

export type CardType = 'cash' | 'discount' | 'gift' | 'groupon' | 'general_coupon'

export const CARD_TYPES: readonly CardType[] = ['cash', 'discount', 'gift', 'groupon', 'general_coupon']

/** One step of a tiered 满减 card: spend at least `least_cost`, get `reduce_cost` off (fen). */
export interface Tier { least_cost: number; reduce_cost: number }

/**
 * When in the week a coupon may be used, in the store's time zone.
 * days: 1 = Monday … 7 = Sunday. start/end "HH:MM": start inclusive, end exclusive.
 * An end earlier than the start crosses midnight and belongs to the day it starts.
 * end "24:00" means midnight at the end of the day.
 */
export interface UsableWindow { days: number[]; start: string; end: string }

export type Validity =
  // ISO 8601 with offset; end_at is inclusive to the second.
  | { type: 'fixed_range'; begin_at: string; end_at: string }
  // Counted from the claim in the merchant's time zone (see validity.ts).
  | { type: 'fixed_term'; days: number; start_after_days: number }

/** The versioned promise of a card. Money is integer fen. */
export interface CardTerms {
  type: CardType
  title: string
  subtitle: string | null
  color: string | null
  logo_url: string | null
  notice: string
  description: string | null
  reduce_cost: number | null
  least_cost: number | null
  tiers: Tier[] | null
  percent_off: number | null
  max_discount: number | null
  gift: string | null
  deal_detail: string | null
  default_detail: string | null
  validity: Validity
  usable_hours: UsableWindow[] | null
  /** Empty = every store of the merchant. */
  store_ids: string[]
  can_share: boolean
  can_gift: boolean
  /** A group coupon (拼团): issued only to full groups (domain/groups.ts). Absent on cards made before groups. */
  group?: GroupOption | null
}

/** The written part of a card as a create call takes it (the API's or WeChat's): type and title, the rest optional. */
export type CardTermsInput = Pick<CardTerms, 'type' | 'title'> &
  Partial<Pick<CardTerms, 'subtitle' | 'color' | 'logo_url' | 'notice' | 'description' | 'reduce_cost' | 'least_cost' | 'percent_off' | 'gift' | 'deal_detail' | 'default_detail'>> & { stock: number }

/** A merchant's compliance policy. A null (or false) rule is switched off; allow_no_threshold switches one off when true. */
export interface CompliancePolicy {
  min_validity_days: number | null
  /** reduce_cost (each tier's too) <= this % of least_cost, when there is a least_cost. */
  max_reduce_ratio_percent: number | null
  max_percent_off: number | null
  require_notice: boolean
  /** Cash coupons without a spend threshold (least_cost) are allowed: the ratio rule has nothing to check on them. */
  allow_no_threshold: boolean
}

/** Everything a merchant's policy sets: the compliance rules for cards and the limits on amounts (limits.ts). */
export type MerchantPolicy = CompliancePolicy & AmountLimits

export const DEFAULT_POLICY: CompliancePolicy = Object.freeze({
  min_validity_days: 3,
  max_reduce_ratio_percent: 50,
  max_percent_off: 50,
  require_notice: true,
  allow_no_threshold: false,
})

export const DEFAULT_MERCHANT_POLICY: MerchantPolicy = Object.freeze({ ...DEFAULT_POLICY, ...DEFAULT_LIMITS })

/** field is a JSON path like 'validity.days' or 'tiers[1].reduce_cost'. */
export interface FieldError { field: string; code: string; message: string }

/**
 * What a refusal is about, as problem+json extension members, so that an app can word it in its own
 * language: amounts in fen, times ISO 8601 with offset, ids (see ProblemSchema in src/http/schemas.ts).
 */
export interface ProblemParams {
  order_amount?: number
  threshold?: number
  store_id?: string | null
  redeemed_at?: string | null
  valid_from?: string
  valid_until?: string
  usable_hours?: UsableWindow[]
  /** The limit a request went past (balance_limit_exceeded). */
  limit?: number
  /** The balance when the request was refused (balance_limit_exceeded). */
  balance?: number
  /** confirmation_required: the challenge to name in `confirm` when the request is sent again. */
  challenge_id?: string
  /** confirmation_required: the risk rule that asked for it, for the till to say why. */
  rule?: string
}

export type Result<T, E extends string = string> =
  | ({ ok: true } & T)
  | { ok: false; error: E; detail: string; errors?: FieldError[]; params?: ProblemParams }
