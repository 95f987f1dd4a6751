import type { Db } from '../../db/database.ts'
import type { GroupMembersTable, GroupsTable } from './groups.table.ts'

export type GroupRow = GroupsTable
export type GroupMemberRow = GroupMembersTable

export async function insertGroup(tx: Db, row: GroupRow): Promise<void> {
  await tx.insertInto('groups').values(row).execute()
}

export async function findGroup(db: Db, merchantId: string, groupId: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').selectAll().where('merchant_id', '=', merchantId).where('id', '=', groupId).executeTakeFirst()
}

export async function findGroupByRequest(db: Db, merchantId: string, requestRef: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
}

export async function findMemberByRequest(db: Db, merchantId: string, requestRef: string): Promise<GroupMemberRow | undefined> {
  return db.selectFrom('group_members').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
}

/**
 * Adds a member unless they are in this group already or in another open group of the card (the two
 * unique keys): false, with nothing written, when they are.
 */
export async function insertGroupMember(tx: Db, row: GroupMemberRow): Promise<boolean> {
  const result = await tx.insertInto('group_members').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export async function listGroupMembers(db: Db, merchantId: string, groupId: string): Promise<GroupMemberRow[]> {
  return db.selectFrom('group_members').selectAll().where('merchant_id', '=', merchantId).where('group_id', '=', groupId).orderBy('joined_at').orderBy('user_id').execute()
}

/**
 * Counts one more member while the group is open, before its deadline and short of its size: one
 * conditional update, so parallel joins never take a group past its size. The new count, or undefined
 * when the group took nobody.
 */
export async function countGroupMember(tx: Db, merchantId: string, groupId: string, now: number): Promise<number | undefined> {
  const counted = await tx
    .updateTable('groups')
    .set((eb) => ({ member_count: eb('member_count', '+', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', groupId)
    .where('state', '=', 'open')
    .where('expires_at', '>', now)
    .where((eb) => eb('member_count', '<', eb.ref('size')))
    .returning('member_count')
    .executeTakeFirst()
  return counted?.member_count
}

/** Closes an open group as completed or failed; false when it was not open (another run closed it). */
export async function closeGroup(tx: Db, merchantId: string, groupId: string, state: 'completed' | 'failed', now: number): Promise<boolean> {
  let q = tx.updateTable('groups').set({ state, closed_at: now }).where('merchant_id', '=', merchantId).where('id', '=', groupId).where('state', '=', 'open')
  // Only a group whose time is up fails.
  if (state === 'failed') q = q.where('expires_at', '<=', now)
  const closed = await q.executeTakeFirst()
  return Number(closed.numUpdatedRows) === 1
}

/** Frees the members of a closed group to join another group of the card. */
export async function releaseGroupMembers(tx: Db, merchantId: string, groupId: string): Promise<void> {
  await tx.updateTable('group_members').set({ open_card_id: null }).where('merchant_id', '=', merchantId).where('group_id', '=', groupId).execute()
}

export async function setMemberCoupon(tx: Db, merchantId: string, groupId: string, userId: string, couponId: string): Promise<void> {
  await tx.updateTable('group_members').set({ coupon_id: couponId }).where('merchant_id', '=', merchantId).where('group_id', '=', groupId).where('user_id', '=', userId).execute()
}

/**
 * Holds `size` units of the card's stock for a new group, while the card is active and has them: one
 * conditional update (parallel openings never hold more than there is). The stock left, or undefined.
 */
export async function holdStock(tx: Db, merchantId: string, cardId: string, size: number, now: number): Promise<number | undefined> {
  const held = await tx
    .updateTable('cards')
    .set((eb) => ({ stock_remaining: eb('stock_remaining', '-', size), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', cardId)
    .where('status', '=', 'active')
    .where('stock_remaining', '>=', size)
    .returning('stock_remaining')
    .executeTakeFirst()
  return held?.stock_remaining
}

/** Open groups whose time is up, any merchant, oldest deadline first (each is failed by a conditional update). */
export async function findDueGroups(db: Db, now: number, limit: number): Promise<GroupRow[]> {
  return db.selectFrom('groups').selectAll().where('state', '=', 'open').where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute()
}

/** The user's groups of a card, newest first. */
export async function listUserGroups(db: Db, merchantId: string, userId: string, cardId: string | null, limit: number): Promise<GroupRow[]> {
  let q = db
    .selectFrom('groups')
    .innerJoin('group_members', (join) => join.onRef('group_members.merchant_id', '=', 'groups.merchant_id').onRef('group_members.group_id', '=', 'groups.id'))
    .selectAll('groups')
    .where('groups.merchant_id', '=', merchantId)
    .where('group_members.user_id', '=', userId)
  if (cardId) q = q.where('groups.card_id', '=', cardId)
  return q.orderBy('groups.id', 'desc').limit(limit).execute()
}
