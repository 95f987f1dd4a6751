import type { Db } from '../../db/database.ts'
import type { Json } from '../../db/json.ts'
import type { ApiKeysTable, MerchantsTable } from './merchants.table.ts'

export type MerchantTableRow = MerchantsTable
export type ApiKeyRow = ApiKeysTable
/** What a list of keys shows: never the hash. */
export type ApiKeyListRow = Pick<ApiKeysTable, 'id' | 'name' | 'scope' | 'store_id' | 'key_hint' | 'created_at' | 'revoked_at' | 'expires_at'>

export async function findMerchantRow(db: Db, merchantId: string): Promise<MerchantTableRow | undefined> {
  return db.selectFrom('merchants').selectAll().where('id', '=', merchantId).executeTakeFirst()
}

/** Only the merchant's policy, as stored: what checking an amount needs. */
export async function findMerchantPolicy(db: Db, merchantId: string): Promise<Json | undefined> {
  const row = await db.selectFrom('merchants').select('policy').where('id', '=', merchantId).executeTakeFirst()
  return row?.policy
}

/** Whether the installation has any merchant at all (made by the first run or by `kabao merchant create`). */
export async function anyMerchantExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('merchants').select('id').limit(1).executeTakeFirst()) !== undefined
}

export async function insertMerchantRow(db: Db, row: Omit<MerchantTableRow, 'wallet_secret_prev_enc' | 'wallet_secret_prev_until' | 'wallet_secret_request_ref'>): Promise<void> {
  await db.insertInto('merchants').values(row).execute()
}

export async function updateMerchant(db: Db, merchantId: string, changes: Partial<Omit<MerchantTableRow, 'id'>>): Promise<void> {
  await db.updateTable('merchants').set(changes).where('id', '=', merchantId).execute()
}

export async function insertApiKeyRow(db: Db, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute()
}

export async function findApiKey(db: Db, merchantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('merchant_id', '=', merchantId).where('id', '=', keyId).executeTakeFirst()
}

/** The key a keyed request made, if it got as far as that. */
export async function findApiKeyByRequest(db: Db, merchantId: string, requestRef: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
}

/** Revokes the key a request made and frees its reference; false when another run took it first. */
export async function revokeApiKeyOfRequest(db: Db, merchantId: string, keyId: string, requestRef: string, revokedAt: number): Promise<boolean> {
  const taken = await db
    .updateTable('api_keys')
    .set({ revoked_at: revokedAt, request_ref: null })
    .where((eb) => eb.and({ merchant_id: merchantId, id: keyId, request_ref: requestRef }))
    .executeTakeFirst()
  return Number(taken.numUpdatedRows) === 1
}

/** A page of the merchant's keys in id order, after the cursor's id. */
export async function listApiKeys(db: Db, merchantId: string, after: string | null, limit: number): Promise<ApiKeyListRow[]> {
  let q = db.selectFrom('api_keys').select(['id', 'name', 'scope', 'store_id', 'key_hint', 'created_at', 'revoked_at', 'expires_at']).where('merchant_id', '=', merchantId)
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

export async function revokeApiKey(db: Db, merchantId: string, keyId: string, revokedAt: number): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: revokedAt }).where('merchant_id', '=', merchantId).where('id', '=', keyId).where('revoked_at', 'is', null).execute()
}

export async function setApiKeyExpiry(db: Db, merchantId: string, keyId: string, expiresAt: number): Promise<void> {
  await db.updateTable('api_keys').set({ expires_at: expiresAt }).where('merchant_id', '=', merchantId).where('id', '=', keyId).execute()
}

/** The key with this hash and its merchant's time zone, whatever its state (authentication checks that). */
export async function findApiKeyByHash(db: Db, keyHash: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('merchants', 'merchants.id', 'api_keys.merchant_id')
    .select(['api_keys.id', 'api_keys.merchant_id', 'api_keys.scope', 'api_keys.store_id', 'api_keys.revoked_at', 'api_keys.expires_at', 'merchants.timezone'])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst()
}
