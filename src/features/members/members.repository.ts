import type { Db } from '../../db/database.ts'
import { sql } from 'kysely'
import type { MembersTable } from '../../db/schema.ts'
import { AppError } from '../../errors.ts'
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

/**
 * Moves one of a member's balances (points, or stored value in fen) by `delta` and counts the move in the
 * ledger's sequence, with a conditional update: it never takes the balance below zero, even with parallel
 * spending. Returns the member after the move, or undefined when the balance does not cover it.
 */
export function moveMemberBalance(tx: Db, member: MemberRow, ledger: 'points' | 'stored_value', delta: number, now: number): Promise<MemberRow | undefined> {
  const balance = ledger === 'points' ? 'points_balance' : 'stored_value_balance'
  const seq = ledger === 'points' ? 'points_seq' : 'stored_value_seq'
  return tx
    .updateTable('members')
    .set((eb) => ({ [balance]: eb(balance, '+', delta), [seq]: eb(seq, '+', 1), updated_at: now }))
    .where('merchant_id', '=', member.merchant_id)
    .where('id', '=', member.id)
    .where((eb) => eb(eb(balance, '+', delta), '>=', 0))
    .returningAll()
    .executeTakeFirst()
}
