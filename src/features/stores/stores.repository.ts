import type { Db } from '../../db/database.ts'
import type { StoresTable } from './stores.table.ts'

export type StoreRow = StoresTable

export async function findStore(db: Db, merchantId: string, storeId: string): Promise<StoreRow | undefined> {
  return db.selectFrom('stores').selectAll().where('merchant_id', '=', merchantId).where('id', '=', storeId).executeTakeFirst()
}

/** The ids among `storeIds` that are not stores of this merchant. */
export async function unknownStoreIds(db: Db, merchantId: string, storeIds: string[]): Promise<string[]> {
  if (storeIds.length === 0) return []
  const rows = await db.selectFrom('stores').select('id').where('merchant_id', '=', merchantId).where('id', 'in', storeIds).execute()
  const known = new Set(rows.map((r) => r.id))
  return storeIds.filter((id) => !known.has(id))
}

export async function insertStore(db: Db, row: StoreRow): Promise<void> {
  await db.insertInto('stores').values(row).execute()
}

/** A page of the merchant's stores in id order, after the cursor's id. */
export async function listStores(db: Db, merchantId: string, after: string | null, limit: number): Promise<StoreRow[]> {
  let q = db.selectFrom('stores').selectAll().where('merchant_id', '=', merchantId)
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

export async function updateStore(db: Db, merchantId: string, storeId: string, changes: Partial<Omit<StoreRow, 'id' | 'merchant_id'>>): Promise<void> {
  await db.updateTable('stores').set(changes).where('merchant_id', '=', merchantId).where('id', '=', storeId).execute()
}
