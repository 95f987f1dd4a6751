// Structural and business validation of card terms, beyond what a JSON schema can say. Compliance
// (the merchant's policy) is separate: see compliance.ts. Every problem is reported at once.
//
// Codes: 'required' (missing), 'invalid' (malformed or out of range), 'not_allowed' (a field that
// does not belong to the card's type), 'too_long'.

import type { CardTerms, CardType, FieldError } from './types.ts'
import { CARD_TYPES } from './types.ts'
import { parseInstant } from './time.ts'
import { validateUsableHours } from './usable-hours.ts'
import { validateGroupOption } from './groups.ts'

export const TITLE_MAX_CHARS = 27
/** About 100 years: far beyond any real promise, and keeps date math in range. */
export const MAX_TERM_DAYS = 36_500

type TypeSpecificField = 'reduce_cost' | 'least_cost' | 'tiers' | 'percent_off' | 'max_discount' | 'gift' | 'deal_detail' | 'default_detail'

// The value fields each card type may carry; the others must be null.
const ALLOWED_FIELDS: Record<CardType, readonly TypeSpecificField[]> = {
  cash: ['reduce_cost', 'least_cost', 'tiers'],
  discount: ['percent_off', 'least_cost', 'max_discount'],
  gift: ['gift', 'least_cost'],
  groupon: ['deal_detail', 'least_cost'],
  general_coupon: ['default_detail', 'least_cost'],
}

const TYPE_SPECIFIC_FIELDS: readonly TypeSpecificField[] = ['reduce_cost', 'least_cost', 'tiers', 'percent_off', 'max_discount', 'gift', 'deal_detail', 'default_detail']

const isMoney = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isNonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''
const charCount = (s: string): number => [...s].length

export function validateCardTerms(terms: CardTerms, now: number): FieldError[] {
  const errors: FieldError[] = []
  const add = (field: string, code: string, message: string): void => { errors.push({ field, code, message }) }

  // Face
  if (!isNonBlank(terms.title)) add('title', 'required', 'title is required')
  else if (charCount(terms.title) > TITLE_MAX_CHARS) add('title', 'too_long', `title must be at most ${TITLE_MAX_CHARS} characters`)
  if (terms.color !== null && !/^#[0-9a-fA-F]{6}$/.test(terms.color)) add('color', 'invalid', 'color must be "#rrggbb"')
  if (terms.logo_url !== null && !isHttpUrl(terms.logo_url)) add('logo_url', 'invalid', 'logo_url must be an http(s) URL')
  // An empty notice is the compliance rule notice_required's business; here it only has to be text.
  if (typeof terms.notice !== 'string') add('notice', 'required', 'notice is required')

  if (!CARD_TYPES.includes(terms.type)) {
    add('type', 'invalid', `type must be one of ${CARD_TYPES.join(', ')}`)
  } else {
    validateValueFields(terms, add)
  }

  validateValidity(terms, now, add)
  errors.push(...validateUsableHours(terms.usable_hours))

  if (!Array.isArray(terms.store_ids) || !terms.store_ids.every(isNonBlank)) {
    add('store_ids', 'invalid', 'store_ids must be a list of store ids')
  } else if (new Set(terms.store_ids).size !== terms.store_ids.length) {
    add('store_ids', 'invalid', 'store_ids must not repeat a store')
  }
  if (terms.group !== undefined && terms.group !== null) errors.push(...validateGroupOption(terms.group))
  return errors
}

type Add = (field: string, code: string, message: string) => void

function validateValueFields(terms: CardTerms, add: Add): void {
  const allowed = ALLOWED_FIELDS[terms.type]
  for (const f of TYPE_SPECIFIC_FIELDS) {
    if (!allowed.includes(f) && terms[f] !== null) add(f, 'not_allowed', `${f} does not apply to a ${terms.type} card`)
  }

  for (const f of ['reduce_cost', 'least_cost', 'max_discount'] as const) {
    if (terms[f] !== null && !isMoney(terms[f])) add(f, 'invalid', `${f} must be a whole number of fen, 0 or more`)
  }

  switch (terms.type) {
    case 'cash': {
      const hasTiers = terms.tiers !== null && terms.tiers.length > 0
      if (hasTiers && terms.reduce_cost !== null) {
        add('tiers', 'invalid', 'a cash card has either reduce_cost or tiers, not both')
      } else if (!hasTiers && terms.reduce_cost === null) {
        add('reduce_cost', 'required', 'a cash card needs reduce_cost (or tiers)')
      }
      if (terms.reduce_cost !== null && isMoney(terms.reduce_cost) && terms.reduce_cost === 0) {
        add('reduce_cost', 'invalid', 'reduce_cost must be more than 0')
      }
      if (hasTiers) {
        // Each tier carries its own threshold; a card-wide one would contradict them.
        if (terms.least_cost !== null) add('least_cost', 'not_allowed', 'least_cost does not apply to a tiered card: each tier has its own')
        validateTiers(terms, add)
      }
      break
    }
    case 'discount': {
      const p = terms.percent_off
      if (p === null) add('percent_off', 'required', 'a discount card needs percent_off')
      else if (!Number.isInteger(p) || p < 1 || p > 99) add('percent_off', 'invalid', 'percent_off must be a whole number from 1 to 99')
      if (terms.max_discount !== null && isMoney(terms.max_discount) && terms.max_discount === 0) {
        add('max_discount', 'invalid', 'max_discount must be more than 0')
      }
      break
    }
    case 'gift':
      if (!isNonBlank(terms.gift)) add('gift', 'required', 'a gift card needs gift (what the user gets)')
      break
    case 'groupon':
      if (!isNonBlank(terms.deal_detail)) add('deal_detail', 'required', 'a groupon card needs deal_detail')
      break
    case 'general_coupon':
      if (!isNonBlank(terms.default_detail)) add('default_detail', 'required', 'a general coupon needs default_detail')
      break
  }
}

function validateTiers(terms: CardTerms, add: Add): void {
  const tiers = terms.tiers ?? []
  tiers.forEach((t, i) => {
    const at = `tiers[${i}]`
    const leastOk = isMoney(t?.least_cost)
    const reduceOk = isMoney(t?.reduce_cost)
    if (!leastOk) add(`${at}.least_cost`, 'invalid', 'least_cost must be a whole number of fen, 0 or more')
    if (!reduceOk) add(`${at}.reduce_cost`, 'invalid', 'reduce_cost must be a whole number of fen, 0 or more')
    if (!leastOk || !reduceOk) return
    if (t.reduce_cost === 0) add(`${at}.reduce_cost`, 'invalid', 'reduce_cost must be more than 0')
    else if (t.reduce_cost >= t.least_cost) add(`${at}.reduce_cost`, 'invalid', 'reduce_cost must be less than the tier\'s least_cost')
    const prev = i > 0 ? tiers[i - 1] : null
    if (prev !== null && isMoney(prev?.least_cost) && isMoney(prev?.reduce_cost)) {
      if (t.least_cost <= prev.least_cost) {
        add(`${at}.least_cost`, 'invalid', 'tiers must be in strictly ascending order of least_cost')
      } else if (t.reduce_cost <= prev.reduce_cost) {
        // A higher spend giving no more off is a mistake the user would notice at the till.
        add(`${at}.reduce_cost`, 'invalid', 'a higher tier must take off more than the tier below it')
      }
    }
  })
}

function validateValidity(terms: CardTerms, now: number, add: Add): void {
  const v = terms.validity
  if (v === null || typeof v !== 'object') {
    add('validity', 'required', 'validity is required')
    return
  }
  if (v.type === 'fixed_range') {
    const begin = parseInstant(v.begin_at)
    const end = parseInstant(v.end_at)
    if (begin === null) add('validity.begin_at', 'invalid', 'begin_at must be an ISO 8601 timestamp with an offset')
    if (end === null) add('validity.end_at', 'invalid', 'end_at must be an ISO 8601 timestamp with an offset')
    if (begin !== null && end !== null && begin >= end) add('validity.end_at', 'invalid', 'end_at must be after begin_at')
    if (end !== null && end <= now) add('validity.end_at', 'invalid', 'end_at must be in the future')
  } else if (v.type === 'fixed_term') {
    if (!Number.isInteger(v.days) || v.days < 1 || v.days > MAX_TERM_DAYS) {
      add('validity.days', 'invalid', `days must be a whole number from 1 to ${MAX_TERM_DAYS}`)
    }
    if (!Number.isInteger(v.start_after_days) || v.start_after_days < 0 || v.start_after_days > MAX_TERM_DAYS) {
      add('validity.start_after_days', 'invalid', `start_after_days must be a whole number from 0 to ${MAX_TERM_DAYS}`)
    }
  } else {
    add('validity.type', 'invalid', 'validity.type must be fixed_range or fixed_term')
  }
}

function isHttpUrl(s: string): boolean {
  if (typeof s !== 'string') return false
  try {
    const u = new URL(s)
    return u.protocol === 'https:' || u.protocol === 'http:'
  } catch {
    return false
  }
}
