import type { Db } from '../../db/database.ts'
import type { PointsEntriesTable, PointsLotsTable } from './points.table.ts'

export type PointsEntryRow = PointsEntriesTable
export type PointsLotRow = PointsLotsTable

export function findPointsEntryBySource(db: Db, merchantId: string, sourceRef: string): Promise<PointsEntryRow | undefined> {
  return db.selectFrom('points_entries').selectAll().where('merchant_id', '=', merchantId).where('source_ref', '=', sourceRef).executeTakeFirst()
}

export function findPointsEntryByRequest(db: Db, merchantId: string, memberId: string, requestRef: string): Promise<PointsEntryRow | undefined> {
  return db.selectFrom('points_entries').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).where('member_id', '=', memberId).executeTakeFirst()
}

export async function insertPointsEntry(tx: Db, entry: PointsEntryRow): Promise<void> {
  await tx.insertInto('points_entries').values(entry).execute()
}

/** A member's entries newest first, before the sequence number `before`, each with the lot it opened (earned points). */
export function listPointsEntryRows(db: Db, merchantId: string, memberId: string, before: number | null, limit: number) {
  let q = db
    .selectFrom('points_entries')
    .leftJoin('points_lots', (join) => join.onRef('points_lots.merchant_id', '=', 'points_entries.merchant_id').onRef('points_lots.id', '=', 'points_entries.id'))
    .selectAll('points_entries')
    .select(['points_lots.expires_at', 'points_lots.remaining'])
    .where('points_entries.merchant_id', '=', merchantId)
    .where('points_entries.member_id', '=', memberId)
  if (before !== null) q = q.where('points_entries.seq', '<', before)
  return q.orderBy('points_entries.seq', 'desc').limit(limit).execute()
}

/** A member's lots that still hold points. */
export function heldLots(db: Db, merchantId: string, memberId: string): Promise<PointsLotRow[]> {
  return db.selectFrom('points_lots').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId).where('remaining', '>', 0).execute()
}

export async function insertPointsLot(tx: Db, lot: PointsLotRow): Promise<void> {
  await tx.insertInto('points_lots').values(lot).execute()
}

/** Takes `take` points from a lot, if it still holds them; whether it did. */
export async function takeFromLot(tx: Db, merchantId: string, lotId: string, take: number): Promise<boolean> {
  const taken = await tx
    .updateTable('points_lots')
    .set((eb) => ({ remaining: eb('remaining', '-', take) }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', lotId)
    .where('remaining', '>=', take)
    .executeTakeFirst()
  return Number(taken.numUpdatedRows) === 1
}

/** The balance right after an entry. */
export async function findBalanceAfter(db: Db, merchantId: string, entryId: string): Promise<number | undefined> {
  return (await db.selectFrom('points_entries').select('balance_after').where('merchant_id', '=', merchantId).where('id', '=', entryId).executeTakeFirst())?.balance_after
}

/* The points lots as the wallet and the jobs read them. */

/** The member's next points to expire: the earliest expiry date and how many points expire then. */
export async function findNextExpiringPoints(db: Db, merchantId: string, memberId: string): Promise<{ points: number; expires_at: number } | undefined> {
  const row = await db
    .selectFrom('points_lots')
    .select(['expires_at', (eb) => eb.fn.sum<number | string>('remaining').as('points')])
    .where('merchant_id', '=', merchantId)
    .where('member_id', '=', memberId)
    .where('remaining', '>', 0)
    .where('expires_at', 'is not', null)
    .$narrowType<{ expires_at: number }>()
    .groupBy('expires_at')
    .orderBy('expires_at')
    .limit(1)
    .executeTakeFirst()
  return row && { points: Number(row.points), expires_at: row.expires_at }
}

/** Lots with points left whose expiry is to be announced now, with their member and the merchant's zone. */
export function listLotsDueNotice(db: Db, now: number, limit: number) {
  return db
    .selectFrom('points_lots')
    .innerJoin('members', (join) => join.onRef('members.merchant_id', '=', 'points_lots.merchant_id').onRef('members.id', '=', 'points_lots.member_id'))
    .innerJoin('merchants', 'merchants.id', 'points_lots.merchant_id')
    .select(['points_lots.merchant_id', 'points_lots.id', 'points_lots.remaining', 'points_lots.expires_at', 'members.id as member_id', 'members.member_card_id', 'members.user_id', 'merchants.timezone'])
    .where('points_lots.notice_at', '<=', now)
    .where('points_lots.noticed_at', 'is', null)
    .where('points_lots.remaining', '>', 0)
    .where('points_lots.expires_at', '>', now)
    .$narrowType<{ expires_at: number }>()
    .orderBy('points_lots.notice_at')
    .limit(limit)
    .execute()
}

/** Marks a lot's expiry announced; false when it was already. */
export async function markLotNoticed(tx: Db, merchantId: string, lotId: string, now: number): Promise<boolean> {
  const marked = await tx.updateTable('points_lots').set({ noticed_at: now }).where('merchant_id', '=', merchantId).where('id', '=', lotId).where('noticed_at', 'is', null).executeTakeFirst()
  return Number(marked.numUpdatedRows) === 1
}

/** Members with expired points left (one row per lot), oldest expiry first, with the merchant's zone. */
export function listLotsExpired(db: Db, now: number, limit: number): Promise<{ merchant_id: string; member_id: string; timezone: string }[]> {
  return db
    .selectFrom('points_lots')
    .innerJoin('merchants', 'merchants.id', 'points_lots.merchant_id')
    .select(['points_lots.merchant_id', 'points_lots.member_id', 'merchants.timezone'])
    .where('points_lots.expires_at', '<=', now)
    .where('points_lots.remaining', '>', 0)
    .orderBy('points_lots.expires_at')
    .limit(limit)
    .execute()
}
