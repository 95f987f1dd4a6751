import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { newId } from '../../ports/ids.ts'

/**
 * Records an event in the outbox. Call it inside the transaction that makes the change, so an event
 * exists exactly when its change was committed.
 */
export async function recordEvent(db: Db, input: { merchantId: string; type: string; data: object; now: number }): Promise<string> {
  const id = newId('evt', input.now)
  await db.insertInto('events').values({ id, merchant_id: input.merchantId, type: input.type, data: toJson(input.data), created_at: input.now }).execute()
  return id
}
