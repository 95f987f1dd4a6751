import { sql } from 'kysely'
import type { Db, Tx } from '../../db/database.ts'
import type { TrackedEventsTable } from './tracking.table.ts'

export type TrackedEventRow = TrackedEventsTable

export async function insertTrackedEvent(db: Db | Tx, row: TrackedEventRow): Promise<void> {
  await db.insertInto('tracked_events').values(row).execute()
}

/** Notes that `viewer` saw the card that day; true only for their first view of the day. */
export async function noteDayViewer(db: Db | Tx, row: { merchant_id: string; card_id: string; day: string; viewer: string }): Promise<boolean> {
  const inserted = await db.insertInto('card_day_viewers').values(row).onConflict((oc) => oc.doNothing()).returning('viewer').executeTakeFirst()
  return inserted !== undefined
}

/** Adds a view to the card's day, and a viewer when it is their first view that day. */
export async function addDayView(db: Db | Tx, key: { merchant_id: string; card_id: string; day: string }, newViewer: boolean): Promise<void> {
  const viewers = newViewer ? 1 : 0
  await db
    .insertInto('card_view_days')
    .values({ ...key, views: 1, viewers })
    .onConflict((oc) =>
      oc.columns(['merchant_id', 'card_id', 'day']).doUpdateSet({
        views: sql`card_view_days.views + 1`,
        viewers: sql`card_view_days.viewers + ${viewers}`,
      }),
    )
    .execute()
}

/** Views and viewers per day of a card, for days in [fromDay, toDay]. */
export async function viewsPerDay(db: Db, merchantId: string, cardId: string, fromDay: string, toDay: string) {
  const rows = await db
    .selectFrom('card_view_days')
    .select(['day', 'views', 'viewers'])
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .execute()
  return rows.map((r) => ({ day: r.day, views: Number(r.views), viewers: Number(r.viewers) }))
}

/** Forgets at most `batch` tracked events (views and merchants' own events) older than `cutoff`, oldest first; returns how many. */
export async function purgeTrackedEvents(db: Db, cutoff: number, batch = 1000): Promise<number> {
  const oldest = db.selectFrom('tracked_events').select('id').where('occurred_at', '<', cutoff).orderBy('occurred_at').limit(batch)
  const result = await db.deleteFrom('tracked_events').where('id', 'in', oldest).where('occurred_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Forgets who viewed a card on the oldest merchant-day before `cutoffDay` ('YYYY-MM-DD'); returns how many rows. */
export async function purgeDayViewers(db: Db, cutoffDay: string): Promise<number> {
  const oldest = await db.selectFrom('card_day_viewers').select(['day', 'merchant_id']).where('day', '<', cutoffDay).orderBy('day').limit(1).executeTakeFirst()
  if (!oldest) return 0
  const result = await db.deleteFrom('card_day_viewers').where('day', '=', oldest.day).where('merchant_id', '=', oldest.merchant_id).executeTakeFirst()
  return Number(result.numDeletedRows)
}
