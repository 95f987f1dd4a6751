import type { Database, Db } from '../../db/database.ts'
import type { EventsTable } from './events.table.ts'
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

export type EventRow = EventsTable

/** A page of the merchant's events in id order, after `after` (an event id), of one type when given. */
export async function listEvents(db: Db, merchantId: string, filter: { type?: string; after?: string }, limit: number): Promise<EventRow[]> {
  let q = db.selectFrom('events').selectAll().where('merchant_id', '=', merchantId)
  if (filter.type) q = q.where('type', '=', filter.type)
  if (filter.after) q = q.where('id', '>', filter.after)
  return q.orderBy('id').limit(limit).execute()
}

export async function eventExists(db: Db, merchantId: string, eventId: string): Promise<boolean> {
  return (await db.selectFrom('events').select('id').where('merchant_id', '=', merchantId).where('id', '=', eventId).executeTakeFirst()) !== undefined
}

/** The merchant's events created at or after `since`, in id order after `after`: their ids and types. */
export async function listEventTypesSince(db: Db, merchantId: string, since: number, after: string | null, limit: number): Promise<Pick<EventRow, 'id' | 'type'>[]> {
  let q = db.selectFrom('events').select(['id', 'type']).where('merchant_id', '=', merchantId).where('created_at', '>=', since)
  if (after !== null) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

/** Whether any committed event is still to be fanned out to webhook endpoints. */
export async function anyUndispatchedEvent(db: Db): Promise<boolean> {
  return (await db.selectFrom('events').select('id').where('dispatched_at', 'is', null).limit(1).executeTakeFirst()) !== undefined
}

/** Up to `limit` events still to fan out, oldest id first, claimed for the caller's transaction (see Database.claimRows). */
export async function claimUndispatchedEvents(database: Pick<Database, 'claimRows'>, tx: Db, limit: number): Promise<Pick<EventRow, 'merchant_id' | 'id' | 'type' | 'created_at'>[]> {
  return database.claimRows(tx.selectFrom('events').select(['merchant_id', 'id', 'type', 'created_at']).where('dispatched_at', 'is', null).orderBy('id').limit(limit)).execute()
}

export async function markEventsDispatched(db: Db, merchantId: string, eventIds: string[], now: number): Promise<void> {
  await db.updateTable('events').set({ dispatched_at: now }).where('merchant_id', '=', merchantId).where('id', 'in', eventIds).execute()
}

/** Events in the outbox, of every merchant (the metrics gauge). */
export async function countEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Events not yet fanned out to webhook endpoints, of every merchant (the metrics gauge). */
export async function countUndispatchedEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('dispatched_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n)
}
