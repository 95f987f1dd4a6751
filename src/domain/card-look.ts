import type { CardTerms } from './types.ts'

/** The fields that make a card's look; every view of its face and the card editor's body start with them. */
export type CardLook = Pick<CardTerms, 'type' | 'title' | 'subtitle' | 'color' | 'logo_url' | 'notice'>

export function cardLook(terms: CardLook): CardLook {
  return {
    type: terms.type,
    title: terms.title,
    subtitle: terms.subtitle,
    color: terms.color,
    logo_url: terms.logo_url,
    notice: terms.notice,
  }
}
