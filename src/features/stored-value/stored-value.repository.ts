import type { Db } from '../../db/database.ts'
import type { StoredValueEntriesTable } from './stored-value.table.ts'

export type StoredValueEntryRow = StoredValueEntriesTable

export function findStoredValueEntryBySource(db: Db, merchantId: string, sourceRef: string): Promise<StoredValueEntryRow | undefined> {
  return db.selectFrom('stored_value_entries').selectAll().where('merchant_id', '=', merchantId).where('source_ref', '=', sourceRef).executeTakeFirst()
}

export function findStoredValueEntryByRequest(db: Db, merchantId: string, memberId: string, requestRef: string): Promise<StoredValueEntryRow | undefined> {
  return db.selectFrom('stored_value_entries').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).where('member_id', '=', memberId).executeTakeFirst()
}

export async function insertStoredValueEntry(tx: Db, entry: StoredValueEntryRow): Promise<void> {
  await tx.insertInto('stored_value_entries').values(entry).execute()
}

/** A member's entries newest first, before the sequence number `before`. */
export function listStoredValueEntryRows(db: Db, merchantId: string, memberId: string, before: number | null, limit: number): Promise<StoredValueEntryRow[]> {
  let q = db.selectFrom('stored_value_entries').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId)
  if (before !== null) q = q.where('seq', '<', before)
  return q.orderBy('seq', 'desc').limit(limit).execute()
}
