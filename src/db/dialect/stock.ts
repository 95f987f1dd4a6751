import { CompiledQuery } from 'kysely'
import type { Db } from '../database.ts'
import { statement } from '../statements.ts'

/** One coupon taken from a card's stock, with the event (see Database.takeOneFromStock). */
export interface StockTake {
  merchantId: string
  cardId: string
  now: number
  /** The event; its `data.stock_remaining` is filled in with what is left. */
  event: { id: string; type: string; data: Record<string, unknown> }
}

/** SQLite: the conditional update, then the event, on the caller's transaction. */
export async function takeOneFromStockSqlite(tx: Db, take: StockTake): Promise<boolean> {
  const { merchantId, cardId, now, event } = take
  const stock = await tx
    .updateTable('cards')
    .set((eb) => ({ stock_remaining: eb('stock_remaining', '-', 1), issued_count: eb('issued_count', '+', 1), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', cardId)
    .where('status', '=', 'active')
    .where('stock_remaining', '>', 0)
    .returning('stock_remaining')
    .executeTakeFirst()
  if (!stock) return false
  const data = JSON.stringify({ ...event.data, stock_remaining: stock.stock_remaining })
  await tx.insertInto('events').values({ id: event.id, merchant_id: merchantId, type: event.type, data, created_at: now, request_ref: null }).execute()
  return true
}

/** PostgreSQL: one from stock and the event in one statement. */
const TAKE_ONE_AND_RECORD = statement(`
  with taken as (
    update cards set stock_remaining = stock_remaining - 1, issued_count = issued_count + 1, updated_at = ?::bigint
    where merchant_id = ?::text and id = ?::text and status = 'active' and stock_remaining > 0
    returning stock_remaining
  )
  insert into events (id, merchant_id, type, data, created_at)
  select ?::text, ?::text, ?::text, jsonb_set(?::jsonb, '{stock_remaining}', to_jsonb(taken.stock_remaining)), ?::bigint from taken
  returning id`)

export async function takeOneFromStockPostgres(tx: Db, take: StockTake): Promise<boolean> {
  const { merchantId, cardId, now, event } = take
  const data = JSON.stringify({ ...event.data, stock_remaining: null })
  const parameters = [now, merchantId, cardId, event.id, merchantId, event.type, data, now]
  const recorded = await tx.executeQuery(CompiledQuery.raw(TAKE_ONE_AND_RECORD.sql.postgres, parameters))
  return recorded.rows.length === 1
}
