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
