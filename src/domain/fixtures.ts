// Test fixtures shared by the domain tests (and usable by feature tests): valid terms to vary.

import type { CardTerms } from './types.ts'

/** A valid plain cash card (10 yuan off, no threshold, 30 days from claim), with overrides. */
export function cashTerms(overrides: Partial<CardTerms> = {}): CardTerms {
  return {
    type: 'cash',
    title: '10 yuan off',
    subtitle: null,
    color: '#ff6600',
    logo_url: null,
    notice: 'Show this code at the till',
    description: null,
    reduce_cost: 1000,
    least_cost: null,
    tiers: null,
    percent_off: null,
    max_discount: null,
    gift: null,
    deal_detail: null,
    default_detail: null,
    validity: { type: 'fixed_term', days: 30, start_after_days: 0 },
    usable_hours: null,
    store_ids: [],
    can_share: false,
    can_gift: false,
    ...overrides,
  }
}

/** A valid card of each type, with overrides. */
export function termsOfType(type: CardTerms['type'], overrides: Partial<CardTerms> = {}): CardTerms {
  const none = { reduce_cost: null }
  switch (type) {
    case 'cash': return cashTerms(overrides)
    case 'discount': return cashTerms({ ...none, type, percent_off: 20, ...overrides })
    case 'gift': return cashTerms({ ...none, type, gift: 'A free coffee', ...overrides })
    case 'groupon': return cashTerms({ ...none, type, deal_detail: 'Set meal for two', ...overrides })
    case 'general_coupon': return cashTerms({ ...none, type, default_detail: 'Free delivery', ...overrides })
  }
}

/** Deterministic "random" bytes (xorshift32 from a seed), so failures reproduce: the domain never draws randomness itself. */
export function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
