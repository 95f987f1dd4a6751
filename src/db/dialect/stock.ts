import { CompiledQuery } from 'kysely'
import type { Db } from '../database.ts'
import { statement, type Statement } from '../statements.ts'

/** One coupon taken from a card's stock, with the issue's event (see Database.takeOneFromStock). */
export interface StockTake {
  merchantId: string
  cardId: string
  now: number
  /** The issue's event; its `data.stock_remaining` is filled in with what is left. */
  event: { id: string; type: string; data: Record<string, unknown> }
  /**
   * The roll-up rows every issue of the card that day shares (stats: its card_activity_days row and
   * card_reach counters), written only when the stock is taken. On PostgreSQL they are written in the
   * stock's own statement, so parallel issues queue on all these rows for one statement and the commit
   * that follows; SQLite (one writer at a time) calls `write` after taking the stock.
   */
  shared?: { counts: SharedIssueCounts; write: (tx: Db) => Promise<void> }
}

/** The shared roll-up rows of one issue: its activity row (one more issued and kept claim) and reach changes. */
export interface SharedIssueCounts {
  activity: { key: { merchant_id: string; card_id: string; day: string; channel: string; channel_tag: string; campaign: string } }
  reach: readonly { key: { merchant_id: string; card_id: string; action: string }; changes: readonly { day: string; prev_day: string; people: number }[] }[]
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
  await take.shared?.write(tx)
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

/**
 * PostgreSQL, with the shared roll-up rows: the stock, the event, the reach counters and then the activity
 * row, all only when the stock is taken, in one statement (per number of reach changes). The rows are
 * locked in the order every issue and void takes them: card, reach, activity.
 */
const takeAndCountStatements = new Map<number, Statement>()

function takeAndCount(reachChanges: number): Statement {
  let st = takeAndCountStatements.get(reachChanges)
  if (st) return st
  const reachValues = Array.from({ length: reachChanges }, () => '(?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint)').join(', ')
  const reached = reachChanges === 0 ? '' : `, reached as (
    insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
    select r.merchant_id, r.card_id, r.action, r.day, r.prev_day, r.people
    from (values ${reachValues}) as r (merchant_id, card_id, action, day, prev_day, people), taken
    on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + excluded.people
    returning 1
  )`
  st = statement(`
    with taken as (
      update cards set stock_remaining = stock_remaining - 1, issued_count = issued_count + 1, updated_at = ?::bigint
      where merchant_id = ?::text and id = ?::text and status = 'active' and stock_remaining > 0
      returning stock_remaining
    ), recorded as (
      insert into events (id, merchant_id, type, data, created_at)
      select ?::text, ?::text, ?::text, jsonb_set(?::jsonb, '{stock_remaining}', to_jsonb(taken.stock_remaining)), ?::bigint from taken
      returning id
    )${reached}, counted as (
      insert into card_activity_days (merchant_id, card_id, day, channel, channel_tag, campaign, issued, voided, claims_kept, redeemed, reversed, redemptions_kept, discount_amount, order_amount, discount_kept, order_kept)
      select ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0 from taken
      ${reachChanges === 0 ? '' : 'where (select count(*) from reached) >= 0'}
      on conflict (merchant_id, card_id, day, channel, channel_tag, campaign)
      do update set issued = card_activity_days.issued + 1, claims_kept = card_activity_days.claims_kept + 1
      returning 1
    )
    select recorded.id from recorded, counted`)
  takeAndCountStatements.set(reachChanges, st)
  return st
}

export async function takeOneFromStockPostgres(tx: Db, take: StockTake): Promise<boolean> {
  const { merchantId, cardId, now, event, shared } = take
  const data = JSON.stringify({ ...event.data, stock_remaining: null })
  const parameters: unknown[] = [now, merchantId, cardId, event.id, merchantId, event.type, data, now]
  if (!shared) {
    const recorded = await tx.executeQuery(CompiledQuery.raw(TAKE_ONE_AND_RECORD.sql.postgres, parameters))
    return recorded.rows.length === 1
  }
  const { activity, reach } = shared.counts
  let changes = 0
  for (const { key, changes: some } of reach) {
    for (const c of some) parameters.push(key.merchant_id, key.card_id, key.action, c.day, c.prev_day, c.people)
    changes += some.length
  }
  const a = activity.key
  parameters.push(a.merchant_id, a.card_id, a.day, a.channel, a.channel_tag, a.campaign)
  const recorded = await tx.executeQuery(CompiledQuery.raw(takeAndCount(changes).sql.postgres, parameters))
  return recorded.rows.length === 1
}
