import type { Db } from '../../db/database.ts'
import { sql } from 'kysely'
import type { Json } from '../../db/json.ts'
import { AppError } from '../../errors.ts'
import { findMemberCard, type MemberCard } from '../member-cards/member-cards.repository.ts'
import type { MembersTable } from './members.table.ts'

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

/** A membership of this user, or undefined (whoever else's it is). */
export function findUserMember(db: Db, merchantId: string, userId: string, memberId: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('merchant_id', '=', merchantId).where('id', '=', memberId).where('user_id', '=', userId).executeTakeFirst()
}

/** The user's membership of a member card, if they joined it. */
export function findMemberOfCard(db: Db, merchantId: string, memberCardId: string, userId: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('merchant_id', '=', merchantId).where('member_card_id', '=', memberCardId).where('user_id', '=', userId).executeTakeFirst()
}

/** Every membership of a user with this merchant, oldest first. */
export function listUserMembers(db: Db, merchantId: string, userId: string): Promise<MemberRow[]> {
  return db.selectFrom('members').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId).orderBy('id').execute()
}

/** The membership an Idempotency-Key request made on this member card. */
export function findMemberByRequest(db: Db, merchantId: string, memberCardId: string, requestRef: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).where('member_card_id', '=', memberCardId).executeTakeFirst()
}

export async function isMemberOfCard(db: Db, merchantId: string, memberId: string, memberCardId: string): Promise<boolean> {
  const row = await db.selectFrom('members').select('id').where('merchant_id', '=', merchantId).where('id', '=', memberId).where('member_card_id', '=', memberCardId).executeTakeFirst()
  return row !== undefined
}

export interface MemberFilter {
  memberCardId?: string
  userId?: string
  memberNumber?: string
}

/** A page of the merchant's members in id order after the cursor's id, each with its card's terms. */
export function listMembers(db: Db, merchantId: string, filter: MemberFilter, after: string | null, limit: number): Promise<(MemberRow & { terms: Json })[]> {
  let q = db
    .selectFrom('members')
    .innerJoin('member_cards', (join) => join.onRef('member_cards.merchant_id', '=', 'members.merchant_id').onRef('member_cards.id', '=', 'members.member_card_id'))
    .selectAll('members')
    .select('member_cards.terms')
    .where('members.merchant_id', '=', merchantId)
  if (filter.memberCardId) q = q.where('members.member_card_id', '=', filter.memberCardId)
  if (filter.userId) q = q.where('members.user_id', '=', filter.userId)
  if (filter.memberNumber) q = q.where('members.member_number', '=', filter.memberNumber)
  if (after) q = q.where('members.id', '>', after)
  return q.orderBy('members.id').limit(limit).execute()
}

/** Inserts a membership unless the user is a member of the card already; true when it was inserted. */
export async function insertMember(tx: Db, row: MemberRow): Promise<boolean> {
  const inserted = await tx.insertInto('members').values(row).onConflict((oc) => oc.columns(['merchant_id', 'member_card_id', 'user_id']).doNothing()).executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
}

export function updateMember(tx: Db, merchantId: string, memberId: string, changes: Partial<Omit<MemberRow, 'id' | 'merchant_id'>>): Promise<MemberRow> {
  return tx.updateTable('members').set(changes).where('merchant_id', '=', merchantId).where('id', '=', memberId).returningAll().executeTakeFirstOrThrow()
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

/** Moves a member from the level it is seen at to another; throws if the level moved meanwhile. */
export function setMemberLevel(tx: Db, member: MemberRow, level: number, now: number): Promise<MemberRow> {
  return tx
    .updateTable('members')
    .set({ level_index: level, level_changed_at: now, updated_at: now })
    .where('merchant_id', '=', member.merchant_id)
    .where('id', '=', member.id)
    .where('level_index', '=', member.level_index)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Adds `delta` to a member's growth, unless that takes it below zero (then undefined). */
export function addMemberGrowth(tx: Db, member: MemberRow, delta: number, now: number): Promise<MemberRow | undefined> {
  return tx
    .updateTable('members')
    .set((eb) => ({ growth: eb('growth', '+', delta), updated_at: now }))
    .where('merchant_id', '=', member.merchant_id)
    .where('id', '=', member.id)
    .where((eb) => eb(eb('growth', '+', delta), '>=', 0))
    .returningAll()
    .executeTakeFirst()
}

/** Members whose level review is due, with their merchant's zone, in id order. */
export function listMembersDueForReview(db: Db, now: number, limit: number): Promise<{ merchant_id: string; id: string; timezone: string }[]> {
  return db
    .selectFrom('members')
    .innerJoin('merchants', 'merchants.id', 'members.merchant_id')
    .select(['members.merchant_id', 'members.id', 'merchants.timezone'])
    .where('members.next_review_at', '<=', now)
    .orderBy('members.id')
    .limit(limit)
    .execute()
}

/** Members whose birthday has begun (in their merchant's zone), earliest first. */
export function listMembersDueBirthday(db: Db, now: number, limit: number) {
  return db
    .selectFrom('members')
    .innerJoin('merchants', 'merchants.id', 'members.merchant_id')
    .select(['members.merchant_id', 'members.id', 'members.next_birthday_at', 'members.birthday', 'merchants.timezone'])
    .where('members.next_birthday_at', '<=', now)
    .orderBy('members.next_birthday_at')
    .limit(limit)
    .execute()
}

/** Moves a member's next birthday on from the one handled; false when another run moved it already. */
export async function moveNextBirthday(tx: Db, merchantId: string, memberId: string, from: number | null, to: number | null): Promise<boolean> {
  const moved = await tx.updateTable('members').set({ next_birthday_at: to }).where('merchant_id', '=', merchantId).where('id', '=', memberId).where('next_birthday_at', '=', from).executeTakeFirst()
  return Number(moved.numUpdatedRows) === 1
}
