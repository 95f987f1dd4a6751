import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { newId } from '../../ports/ids.ts'

export interface NewEvent {
  merchantId: string
  type: string
  data: object
  now: number
  /**
   * The Idempotency-Key request whose change this is, for a change that makes no row of its own to record
   * it on (a stock change): unique per merchant, so a retry after a crash finds the change was made.
   */
  requestRef?: string | null
}

/** The outbox row of an event (for statements that insert it themselves, within their change's transaction). */
export function outboxRow(event: NewEvent): { id: string; merchant_id: string; type: string; data: string; created_at: number } {
  return { id: newId('evt', event.now), merchant_id: event.merchantId, type: event.type, data: toJson(event.data), created_at: event.now }
}

/**
 * Records events in the outbox. Call it inside the transaction that makes the change, so an event
 * exists exactly when its change was committed. Returns the new ids in order.
 */
export async function recordEvents(db: Db, events: NewEvent[]): Promise<string[]> {
  if (events.length === 0) return []
  const rows = events.map((event) => ({ ...outboxRow(event), request_ref: event.requestRef ?? null }))
  await db.insertInto('events').values(rows).execute()
  return rows.map((row) => row.id)
}

export async function recordEvent(db: Db, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(db, [event])
  return id
}

/** Whether the change of an Idempotency-Key request was recorded (see NewEvent.requestRef). */
export async function changedByRequest(db: Db, merchantId: string, requestRef: string): Promise<boolean> {
  const event = await db.selectFrom('events').select('id').where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
  return event !== undefined
}
