import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { newId } from '../../ports/ids.ts'

export interface NewEvent {
  merchantId: string
  type: string
  data: object
  now: number
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
  const rows = events.map(outboxRow)
  await db.insertInto('events').values(rows).execute()
  return rows.map((row) => row.id)
}

export async function recordEvent(db: Db, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(db, [event])
  return id
}
