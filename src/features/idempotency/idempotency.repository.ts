import type { Db } from '../../db/database.ts'
import type { IdempotencyKeysTable } from './idempotency.table.ts'

export type IdempotencyKeyRow = IdempotencyKeysTable

/** A key of a merchant's key space, and the lease of the run holding it. */
interface RunningKey {
  merchantId: string
  key: string
  lockedUntil: number
}

/** Records a first use of a key; false when the key is already there. */
export async function insertIdempotencyKey(db: Db, row: IdempotencyKeyRow): Promise<boolean> {
  const inserted = await db.insertInto('idempotency_keys').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
}

export function findIdempotencyKey(db: Db, merchantId: string, key: string): Promise<IdempotencyKeyRow | undefined> {
  return db.selectFrom('idempotency_keys').selectAll().where('merchant_id', '=', merchantId).where('key', '=', key).executeTakeFirst()
}

/** Changes a key only if it is still as `seen` (no other run took it meanwhile); whether it did. */
export async function takeOverIdempotencyKey(db: Db, seen: IdempotencyKeyRow, set: Partial<IdempotencyKeyRow>): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set(set)
    .where('merchant_id', '=', seen.merchant_id)
    .where('key', '=', seen.key)
    .where('created_at', '=', seen.created_at)
    .where('state', '=', seen.state)
    .where('locked_until', '=', seen.locked_until)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

function heldBy(run: RunningKey) {
  return { merchant_id: run.merchantId, key: run.key, state: 'running' as const, locked_until: run.lockedUntil }
}

/** Whether the run still holds the key's lease: no later run took the request over. */
export async function holdsIdempotencyLease(db: Db, run: RunningKey): Promise<boolean> {
  const row = await db.selectFrom('idempotency_keys').select('key').where((eb) => eb.and(heldBy(run))).executeTakeFirst()
  return row !== undefined
}

/** Forgets a key whose run failed, if that run still holds it, so that a retry runs again. */
export async function dropIdempotencyKey(db: Db, run: RunningKey): Promise<void> {
  await db.deleteFrom('idempotency_keys').where((eb) => eb.and(heldBy(run))).execute()
}

/** Stores the answer of a run that still holds its key, for replays. */
export async function finishIdempotencyKey(db: Db, run: RunningKey, answer: { statusCode: number; sealedBody: string }): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', status_code: answer.statusCode, response_body: answer.sealedBody })
    .where((eb) => eb.and(heldBy(run)))
    .execute()
}

/** Tables of things a merchant makes, whose rows record the Idempotency-Key request that made them. */
export type MadeByRequest = 'cards' | 'stores' | 'rewards' | 'member_cards' | 'claim_links' | 'payment_rules' | 'webhook_endpoints' | 'staff' | 'experiments'

/** The `find` of onceForRequest for a creation: what `load` makes of the row the request made in `table`, if it made one. */
export function madeByRequest<T>(db: Db, table: MadeByRequest, merchantId: string, load: (id: string) => Promise<T>): (requestRef: string) => Promise<T | undefined> {
  return async (requestRef) => {
    const row = await db.selectFrom(table).select('id').where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
    return row === undefined ? undefined : load(row.id)
  }
}
