import { cardLook } from '../../domain/card-look.ts'
import type { CardTerms } from '../../domain/types.ts'
import { describeUsableHours } from '../../domain/usable-hours.ts'
import type { StoreSummary } from './wallet.repository.ts'

// Claim links read the stores of a card too; the query lives in the wallet repository.

/** What a customer sees on the face of a card or coupon: its look and what it is worth. */
export function presentCardFace(terms: CardTerms) {
  return {
    ...cardLook(terms),
    reduce_cost: terms.reduce_cost,
    least_cost: terms.least_cost,
    tiers: terms.tiers,
    percent_off: terms.percent_off,
    max_discount: terms.max_discount,
    gift: terms.gift,
    deal_detail: terms.deal_detail,
    default_detail: terms.default_detail,
  }
}

const listFaces = new WeakMap<CardTerms, ReturnType<typeof presentListFace>>()

function presentListFace(terms: CardTerms) {
  const { notice: _notice, ...face } = presentCardFace(terms)
  return face
}

/**
 * The face a coupon shows in the wallet's list: the face without its notice. Presented once per card
 * version (whose terms never change once written, and are kept in memory: findVersionTerms) and shared
 * by every answer that shows it, so it must not be changed.
 */
export function cardListFace(terms: CardTerms): ReturnType<typeof presentListFace> {
  let face = listFaces.get(terms)
  if (!face) listFaces.set(terms, (face = presentListFace(terms)))
  return face
}

/** The face plus every term the customer was promised: details, validity, hours and where it can be used. */
export function presentCardTerms(terms: CardTerms, stores: StoreSummary[]) {
  return {
    ...presentCardFace(terms),
    description: terms.description,
    validity: terms.validity,
    usable_hours: terms.usable_hours,
    /** e.g. 'Mon-Fri 10:00-22:00'; null when usable at any hour. */
    usable_hours_text: terms.usable_hours && terms.usable_hours.length > 0 ? describeUsableHours(terms.usable_hours) : null,
    store_ids: terms.store_ids,
    /** True when the card is good in every store of the merchant (then `stores` is empty). */
    all_stores: terms.store_ids.length === 0,
    stores,
    can_share: terms.can_share,
    can_gift: terms.can_gift,
    group: terms.group ?? null,
  }
}
