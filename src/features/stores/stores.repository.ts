import type { Db } from '../../db/database.ts'
import type { StoresTable } from '../../db/schema.ts'

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
