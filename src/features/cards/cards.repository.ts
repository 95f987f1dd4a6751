import type { Db } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import type { CardsTable } from '../../db/schema.ts'
import type { CardTerms } from '../../domain/types.ts'
import { newId } from '../../ports/ids.ts'

export type CardRow = CardsTable

export interface CardWithTerms {
  card: CardRow
  versionId: string
  terms: CardTerms
}

export async function findCardWithTerms(db: Db, merchantId: string, cardId: string): Promise<CardWithTerms | undefined> {
  const row = await db
    .selectFrom('cards')
    .innerJoin('card_versions', (join) =>
      join
        .onRef('card_versions.merchant_id', '=', 'cards.merchant_id')
        .onRef('card_versions.card_id', '=', 'cards.id')
        .onRef('card_versions.version', '=', 'cards.version'),
    )
    .selectAll('cards')
    .select(['card_versions.id as version_id', 'card_versions.terms'])
    .where('cards.merchant_id', '=', merchantId)
    .where('cards.id', '=', cardId)
    .executeTakeFirst()
  if (!row) return undefined
  const { version_id, terms, ...card } = row
  return { card, versionId: version_id, terms: fromJson<CardTerms>(terms) }
}

/** Parsed terms by `merchant_id/version_id`, up to this many: enough for every card a busy deployment redeems. */
const TERMS_CACHE_SIZE = 10_000
const termsCache = new Map<string, CardTerms>()

/**
 * The terms of these card versions. A version is never changed once written (a change of terms is a new
 * version), so terms are kept in memory after the first read: a redemption neither joins nor parses them.
 */
export async function findVersionTerms(db: Db, merchantId: string, versionIds: string[]): Promise<Map<string, CardTerms>> {
  const found = new Map<string, CardTerms>()
  const missing: string[] = []
  for (const id of new Set(versionIds)) {
    const terms = termsCache.get(`${merchantId}/${id}`)
    if (terms) found.set(id, terms)
    else missing.push(id)
  }
  if (missing.length === 0) return found
  const rows = await db.selectFrom('card_versions').select(['id', 'terms']).where('merchant_id', '=', merchantId).where('id', 'in', missing).execute()
  for (const row of rows) {
    const terms = fromJson<CardTerms>(row.terms)
    if (termsCache.size >= TERMS_CACHE_SIZE) termsCache.delete(termsCache.keys().next().value as string)
    termsCache.set(`${merchantId}/${row.id}`, terms)
    found.set(row.id, terms)
  }
  return found
}

/** Stores a new version of the card's terms and makes it the current one. */
export async function insertCardVersion(db: Db, input: { merchantId: string; cardId: string; version: number; terms: CardTerms; now: number }): Promise<string> {
  const id = newId('cvr', input.now)
  await db
    .insertInto('card_versions')
    .values({ id, merchant_id: input.merchantId, card_id: input.cardId, version: input.version, terms: toJson(input.terms), created_at: input.now })
    .execute()
  return id
}
