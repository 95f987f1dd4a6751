import { sql } from 'kysely'
import type { Db, Tx } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import type { CardsTable } from '../../db/schema.ts'
import type { CardTerms } from '../../domain/types.ts'
import { newId } from '../../ports/ids.ts'
import { sortedTiers, type ShareRewardTier } from '../../domain/sharing.ts'
import type { CardStatus } from './cards.table.ts'

export type CardRow = CardsTable

export interface CardWithTerms {
  card: CardRow
  versionId: string
  terms: CardTerms
}

/** Cards joined with their current version's terms: the one query every read of a card with its promise starts from. */
function cardsWithCurrentTerms(db: Db | Tx) {
  return db
    .selectFrom('cards')
    .innerJoin('card_versions', (join) =>
      join
        .onRef('card_versions.merchant_id', '=', 'cards.merchant_id')
        .onRef('card_versions.card_id', '=', 'cards.id')
        .onRef('card_versions.version', '=', 'cards.version'),
    )
    .selectAll('cards')
    .select(['card_versions.id as version_id', 'card_versions.terms'])
}

function withTerms({ version_id, terms, ...card }: CardRow & { version_id: string; terms: unknown }): CardWithTerms {
  return { card, versionId: version_id, terms: fromJson<CardTerms>(terms) }
}

export async function findCardWithTerms(db: Db | Tx, merchantId: string, cardId: string): Promise<CardWithTerms | undefined> {
  const row = await cardsWithCurrentTerms(db).where('cards.merchant_id', '=', merchantId).where('cards.id', '=', cardId).executeTakeFirst()
  return row && withTerms(row)
}

/** A page of the merchant's cards in id order, after the cursor's id, optionally of one status. */
export async function listCardsWithTerms(db: Db, merchantId: string, filter: { status?: CardStatus; after: string | null; limit: number }): Promise<(CardWithTerms & { id: string })[]> {
  let q = cardsWithCurrentTerms(db).where('cards.merchant_id', '=', merchantId)
  if (filter.status) q = q.where('cards.status', '=', filter.status)
  if (filter.after) q = q.where('cards.id', '>', filter.after)
  const rows = await q.orderBy('cards.id').limit(filter.limit).execute()
  return rows.map((row) => ({ id: row.id, ...withTerms(row) }))
}

/** Active cards whose stock is at or below their alert threshold and not yet alerted, any merchant, up to `limit`. */
export async function findLowStockCards(db: Db | Tx, limit: number): Promise<CardWithTerms[]> {
  const rows = await cardsWithCurrentTerms(db)
    .where('cards.status', '=', 'active')
    .where('cards.stock_low_at', 'is', null)
    .where('cards.stock_low_threshold', 'is not', null)
    .where('cards.stock_remaining', '<=', sql.ref<number>('cards.stock_low_threshold'))
    .limit(limit)
    .execute()
  return rows.map(withTerms)
}

/** Clears the low-stock mark of cards whose stock is back above the threshold (or that no longer have one). */
export async function clearStockLowMarks(db: Db | Tx): Promise<void> {
  await db
    .updateTable('cards')
    .set({ stock_low_at: null })
    .where('stock_low_at', 'is not', null)
    .where((eb) => eb.or([eb('stock_low_threshold', 'is', null), eb('stock_remaining', '>', eb.ref('stock_low_threshold'))]))
    .execute()
}

/** Marks the card as alerted for this crossing; false when another run marked it first. */
export async function markStockLow(db: Db | Tx, merchantId: string, cardId: string, now: number): Promise<boolean> {
  const marked = await db
    .updateTable('cards')
    .set({ stock_low_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', cardId)
    .where('stock_low_at', 'is', null)
    .executeTakeFirst()
  return Number(marked.numUpdatedRows) === 1
}

export async function cardExists(db: Db | Tx, merchantId: string, cardId: string): Promise<boolean> {
  return (await db.selectFrom('cards').select('id').where('merchant_id', '=', merchantId).where('id', '=', cardId).executeTakeFirst()) !== undefined
}

/** The card's share reward tiers, fewest friends first (none: []). */
export function shareRewardsOf(card: Pick<CardRow, 'share_rewards'>): ShareRewardTier[] {
  return card.share_rewards == null ? [] : sortedTiers(fromJson<ShareRewardTier[]>(card.share_rewards))
}

/** Which of these ids are not cards of the merchant. */
export async function unknownCardIds(db: Db | Tx, merchantId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await db.selectFrom('cards').select('id').where('merchant_id', '=', merchantId).where('id', 'in', [...new Set(ids)]).execute()
  const known = new Set(rows.map((r) => r.id))
  return ids.filter((id) => !known.has(id))
}

export async function insertCard(db: Db | Tx, row: CardRow): Promise<void> {
  await db.insertInto('cards').values(row).execute()
}

/**
 * Changes the card only if it is still at `version` (what the change was decided on); false when a
 * concurrent change got there first.
 */
export async function updateCardAtVersion(
  db: Db | Tx,
  merchantId: string,
  cardId: string,
  version: number,
  changes: Partial<Omit<CardRow, 'id' | 'merchant_id'>>,
): Promise<boolean> {
  const updated = await db.updateTable('cards').set(changes).where('merchant_id', '=', merchantId).where('id', '=', cardId).where('version', '=', version).executeTakeFirst()
  return Number(updated.numUpdatedRows) === 1
}

/** Moves the card to `to` if its status is one of `from`; false otherwise. */
export async function updateCardStatus(db: Db | Tx, merchantId: string, cardId: string, from: readonly CardStatus[], to: CardStatus, now: number): Promise<boolean> {
  const updated = await db
    .updateTable('cards')
    .set({ status: to, updated_at: now })
    .where((eb) => eb.and({ merchant_id: merchantId, id: cardId }))
    .where('status', 'in', from)
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) === 1
}

/** Adds `delta` to the stock unless that takes it below zero; the new stock, or undefined when refused (or no such card). */
export async function addToStock(db: Db | Tx, merchantId: string, cardId: string, delta: number, now: number): Promise<number | undefined> {
  const updated = await db
    .updateTable('cards')
    .set((eb) => ({ stock_remaining: eb('stock_remaining', '+', delta), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', cardId)
    .where((eb) => eb(eb('stock_remaining', '+', delta), '>=', 0))
    .returning('stock_remaining')
    .executeTakeFirst()
  return updated?.stock_remaining
}

/** The stock still to be issued, or undefined when there is no such card. */
export async function findCardStock(db: Db | Tx, merchantId: string, cardId: string): Promise<number | undefined> {
  const card = await db.selectFrom('cards').select('stock_remaining').where('merchant_id', '=', merchantId).where('id', '=', cardId).executeTakeFirst()
  return card?.stock_remaining
}

/** Parsed terms by `merchant_id/version_id`, up to this many: enough for every card a busy deployment redeems. */
const TERMS_CACHE_SIZE = 10_000
const termsCache = new Map<string, CardTerms>()

/**
 * The terms of these card versions. A version is never changed once written (a change of terms is a new
 * version), so terms are kept in memory after the first read: a redemption neither joins nor parses them.
 */
export async function findVersionTerms(db: Db | Tx, merchantId: string, versionIds: string[]): Promise<Map<string, CardTerms>> {
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
export async function insertCardVersion(db: Db | Tx, input: { merchantId: string; cardId: string; version: number; terms: CardTerms; now: number }): Promise<string> {
  const id = newId('cvr', input.now)
  await db
    .insertInto('card_versions')
    .values({ id, merchant_id: input.merchantId, card_id: input.cardId, version: input.version, terms: toJson(input.terms), created_at: input.now })
    .execute()
  return id
}
