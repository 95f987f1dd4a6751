import type { Db } from '../../db/database.ts'
import { fromJson } from '../../db/database.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import { AppError } from '../../errors.ts'
import type { MemberCardStatus, MemberCardsTable } from './member-cards.table.ts'

export type MemberCardRow = MemberCardsTable

export interface MemberCard {
  row: MemberCardRow
  terms: MemberCardTerms
}

export const withTerms = (row: MemberCardRow): MemberCard => ({ row, terms: fromJson<MemberCardTerms>(row.terms) })

export async function findMemberCard(db: Db, merchantId: string, memberCardId: string): Promise<MemberCard> {
  const row = await db.selectFrom('member_cards').selectAll().where('merchant_id', '=', merchantId).where('id', '=', memberCardId).executeTakeFirst()
  if (!row) throw new AppError('member_card_not_found', 'There is no member card with this id.')
  return withTerms(row)
}

export async function insertMemberCard(tx: Db, row: MemberCardRow): Promise<void> {
  await tx.insertInto('member_cards').values(row).execute()
}

/** A page of the merchant's member cards in id order, after the cursor's id. */
export function listMemberCards(db: Db, merchantId: string, after: string | null, limit: number): Promise<MemberCardRow[]> {
  let q = db.selectFrom('member_cards').selectAll().where('merchant_id', '=', merchantId)
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

/** Sets the card's status; false when it had it already. */
export async function updateMemberCardStatus(tx: Db, merchantId: string, memberCardId: string, status: MemberCardStatus, now: number): Promise<boolean> {
  const changed = await tx
    .updateTable('member_cards')
    .set({ status, updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', memberCardId)
    .where('status', '!=', status)
    .executeTakeFirst()
  return Number(changed.numUpdatedRows) === 1
}

/** Takes the card's next member number (and counts the member in), for a member joining; returns the number taken. */
export async function takeMemberNumber(tx: Db, merchantId: string, memberCardId: string, now: number): Promise<number> {
  const counter = await tx
    .updateTable('member_cards')
    .set((eb) => ({ next_member_number: eb('next_member_number', '+', 1), member_count: eb('member_count', '+', 1), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', memberCardId)
    .returning('next_member_number')
    .executeTakeFirstOrThrow()
  return counter.next_member_number - 1
}

/** The ids among `cardIds` that are cards (coupon cards) of this merchant. */
export async function knownCardIds(db: Db, merchantId: string, cardIds: string[]): Promise<Set<string>> {
  if (cardIds.length === 0) return new Set()
  const found = await db.selectFrom('cards').select('id').where('merchant_id', '=', merchantId).where('id', 'in', cardIds).execute()
  return new Set(found.map((row) => row.id))
}
