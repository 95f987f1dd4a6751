import type { Db } from '../../db/database.ts'
import { sql } from 'kysely'
import type { MembersTable } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import { findMemberCard, type MemberCard } from '../member-cards/member-cards.service.ts'

export type MemberRow = MembersTable

export interface MemberWithCard {
  member: MemberRow
  card: MemberCard
}

function notFound(): AppError {
  return new AppError('member_not_found', 'There is no member with this id.')
}

export async function findMember(db: Db, merchantId: string, memberId: string): Promise<MemberRow> {
  const member = await db.selectFrom('members').selectAll().where('merchant_id', '=', merchantId).where('id', '=', memberId).executeTakeFirst()
  if (!member) throw notFound()
  return member
}

/**
 * Loads a member and holds its row until the transaction ends (a write that changes nothing takes the row
 * lock on PostgreSQL; SQLite transactions are serialised anyway). Every change to a member's points or
 * stored value starts here, so changes to one member happen one after another and each sees the last.
 */
export async function lockMember(tx: Db, merchantId: string, memberId: string): Promise<MemberRow> {
  const member = await tx
    .updateTable('members')
    .set({ points_seq: sql`points_seq` })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', memberId)
    .returningAll()
    .executeTakeFirst()
  if (!member) throw notFound()
  return member
}

export async function findMemberWithCard(db: Db, merchantId: string, memberId: string): Promise<MemberWithCard> {
  const member = await findMember(db, merchantId, memberId)
  return { member, card: await findMemberCard(db, merchantId, member.member_card_id) }
}

export async function lockMemberWithCard(tx: Db, merchantId: string, memberId: string): Promise<MemberWithCard> {
  const member = await lockMember(tx, merchantId, memberId)
  return { member, card: await findMemberCard(tx, merchantId, member.member_card_id) }
}
