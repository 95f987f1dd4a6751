import { sql, type ExpressionBuilder, type ExpressionWrapper, type SqlBool } from 'kysely'
import type { Database, Db } from '../../db/database.ts'
import { columnList, runStatement, statement, type Statement } from '../../db/statements.ts'
import type { DB } from '../../db/schema.ts'
import type { CardTerms } from '../../domain/types.ts'
import { findVersionTerms, type CardRow, type CardWithTerms } from '../cards/cards.repository.ts'
import type { CouponsTable, CouponState, CouponVoider } from './coupons.table.ts'

export type CouponRow = CouponsTable

export interface CouponWithTerms {
  coupon: CouponRow
  /** The coupon's code, in canonical form. */
  code: string
  terms: CardTerms
  /** Where it was redeemed, when it is. */
  redeemedStoreId: string | null
}

export interface StoreRef {
  id: string
  timezone: string
}

/** Every column of a coupon, named (hand-written statements never select `*`). */
export const COUPON_COLUMNS = [
  'id', 'merchant_id', 'card_id', 'card_version_id', 'code_hash', 'code_enc', 'user_id', 'state', 'source', 'source_ref',
  'valid_from', 'valid_until', 'issued_at', 'redeemed_at', 'redemption_id', 'voided_at', 'updated_at', 'reminded_at', 'gifted_by',
  'channel_tag', 'campaign', 'shared_by', 'unlock_after_friends', 'voided_by',
] as const satisfies readonly (keyof CouponRow)[]
// A column added to the table must be added to the list above.
const everyColumnListed: Exclude<keyof CouponRow, (typeof COUPON_COLUMNS)[number]> extends never ? true : never = true
void everyColumnListed

/** The coupon and the store named (if the merchant has it). */
const COUPON_BY_CODE = statement(`
  select ${columnList('c', COUPON_COLUMNS)}, s.id as found_store_id, s.timezone as found_store_timezone
  from coupons c
  left join stores s on s.merchant_id = c.merchant_id and s.id = ?
  where c.merchant_id = ? and c.code_hash = ?`)

/**
 * Where a redeemed coupon was redeemed: a statement of its own, read only for a redeemed coupon. (Joined
 * into the lookup, PostgreSQL's plan for it, made once per connection while the table was still empty,
 * scanned the whole table.)
 */
const REDEEMED_STORE = statement('select store_id from redemptions where merchant_id = ? and id = ?')

type CouponByCodeRow = CouponRow & { found_store_id: string | null; found_store_timezone: string | null }

/**
 * A coupon by its code's keyed hash, with the terms it was issued under and where it was redeemed: one
 * indexed query (two for a redeemed coupon), the terms coming from memory once read. Given a store id,
 * the same query reads that store too (`store` is null when the merchant has no such store), so a
 * redemption reads all it needs at once.
 * Pass `tx` to read inside a transaction.
 */
export async function findCouponByCodeHash(
  database: Database,
  merchantId: string,
  codeHash: string,
  code: string,
  storeId: string | null = null,
  tx?: Db,
): Promise<(CouponWithTerms & { store: StoreRef | null }) | undefined> {
  const [row] = await runStatement<CouponByCodeRow>(database, COUPON_BY_CODE, [storeId ?? '', merchantId, codeHash], tx)
  if (!row) return undefined
  const { found_store_id, found_store_timezone } = row
  // Copied column by column: a rest pattern over a row this wide cost more than the query's own work.
  const coupon: Record<string, unknown> = {}
  for (const column of COUPON_COLUMNS) coupon[column] = row[column]
  const terms = (await findVersionTerms(tx ?? database.db, merchantId, [row.card_version_id])).get(row.card_version_id)
  if (!terms) throw new Error(`coupon ${row.id} has no card version ${row.card_version_id}`)
  const redeemedStoreId = row.redemption_id === null ? null : ((await runStatement<{ store_id: string | null }>(database, REDEEMED_STORE, [merchantId, row.redemption_id], tx))[0]?.store_id ?? null)
  const store = found_store_id === null || found_store_timezone === null ? null : { id: found_store_id, timezone: found_store_timezone }
  return { coupon: coupon as unknown as CouponRow, code, terms, redeemedStoreId, store }
}

/** Every column of a card, named. */
const CARD_COLUMNS = [
  'id', 'merchant_id', 'type', 'status', 'version', 'stock_remaining', 'issued_count', 'get_limit', 'code_type', 'created_at', 'updated_at',
  'stock_low_threshold', 'stock_low_at', 'remind_days_before', 'request_ref', 'share_rewards', 'code_format', 'unlock_after_friends',
] as const satisfies readonly (keyof CardRow)[]
const everyCardColumnListed: Exclude<keyof CardRow, (typeof CARD_COLUMNS)[number]> extends never ? true : never = true
void everyCardColumnListed

/** The most users one read of a card asks the allowance of (see findCardForIssues). */
export const MAX_USERS_PER_CARD_READ = 64

/**
 * The card, its current version and how many of its coupons each of `users` holds, in one read: a row per
 * user who has claimed some, or one row with no user. One statement per power of two of users (the list
 * padded by repeating its last), so a few texts serve every batch and each is prepared once per connection.
 */
const cardForIssueStatements = new Map<number, Statement>()
function cardForIssueStatement(users: number): Statement {
  let st = cardForIssueStatements.get(users)
  if (st) return st
  st = statement(`
    select ${columnList('k', CARD_COLUMNS)}, v.id as found_version_id, u.user_id as found_user_id, u.claimed as found_claimed
    from cards k
    join card_versions v on v.merchant_id = k.merchant_id and v.card_id = k.id and v.version = k.version
    left join card_user_claims u on u.merchant_id = k.merchant_id and u.card_id = k.id and u.user_id in (${Array.from({ length: users }, () => '?').join(', ')})
    where k.merchant_id = ? and k.id = ?`)
  cardForIssueStatements.set(users, st)
  return st
}

export interface CardForIssues extends CardWithTerms {
  /** How many coupons of the card each user asked about has been issued (what counts against get_limit); absent: none. */
  claimed: Map<string, number>
}

/**
 * What issues read before they decide: the card with its current terms (from memory once read), and how
 * many coupons of it each user has been issued: one indexed query for up to MAX_USERS_PER_CARD_READ users,
 * so refusals (sold out, limit reached) need no other, and parallel issues of one card can share it.
 */
export async function findCardForIssues(database: Database, merchantId: string, cardId: string, users: readonly string[]): Promise<CardForIssues | undefined> {
  if (users.length === 0 || users.length > MAX_USERS_PER_CARD_READ) throw new Error(`a card read asks about 1 to ${MAX_USERS_PER_CARD_READ} users, not ${users.length}`)
  let size = 1
  while (size < users.length) size *= 2
  const parameters: unknown[] = [...users]
  while (parameters.length < size) parameters.push(users[users.length - 1])
  parameters.push(merchantId, cardId)
  const rows = await runStatement<CardRow & { found_version_id: string; found_user_id: string | null; found_claimed: number | null }>(database, cardForIssueStatement(size), parameters)
  const [row] = rows
  if (!row) return undefined
  const card: Record<string, unknown> = {}
  for (const column of CARD_COLUMNS) card[column] = row[column]
  const claimed = new Map<string, number>()
  for (const r of rows) if (r.found_user_id !== null) claimed.set(r.found_user_id, Number(r.found_claimed ?? 0))
  const versionId = row.found_version_id
  const terms = (await findVersionTerms(database.db, merchantId, [versionId])).get(versionId)
  if (!terms) throw new Error(`card ${cardId} has no version ${versionId}`)
  return { card: card as unknown as CardRow, versionId, terms, claimed }
}

const NUMERIC_COUPON_COLUMNS = new Set(['valid_from', 'valid_until', 'issued_at', 'redeemed_at', 'voided_at', 'updated_at', 'reminded_at'])
const couponValue = (column: string) => (column === 'unlock_after_friends' ? '?::integer' : NUMERIC_COUPON_COLUMNS.has(column) ? '?::bigint' : '?::text')

/**
 * A whole issue as one statement, atomic by itself (PostgreSQL): one from the user's allowance (unless
 * `limit` is reached, or the card has no stock as far as the statement can see), then one from the card's
 * stock, the coupon, its event, and its counts in the roll-ups (the claim, and the claimer when it is
 * their first claim of the card that day, which is always their latest day), each only when the one before
 * it was written. Rows are locked in the order of every issue, bulk issues included: the user's allowance,
 * then the card. Should the allowance be taken and the coupon not written (the stock went meanwhile, or a
 * code clash), the statement fails by itself (ISSUE_UNDONE), so nothing of it stays. The card's row is
 * locked for the rest of this statement and its own commit: no round trip is made while it is held.
 */
const issueAtOnceStatements = new Map<boolean, Statement>()
export const ISSUE_UNDONE = 'kabao_issue_undone'

function issueAtOnceStatement(limited: boolean): Statement {
  let st = issueAtOnceStatements.get(limited)
  if (st) return st
  // The failing cast at the end reads a row, so that the planner cannot fold it into an error before any
  // row is written.
  st = statement(`
    with allowed as (
      insert into card_user_claims (merchant_id, card_id, user_id, claimed)
      select ?::text, ?::text, ?::text, 1
      where exists (select 1 from cards k where k.merchant_id = ?::text and k.id = ?::text and k.status = 'active' and k.stock_remaining > 0)
      on conflict (merchant_id, card_id, user_id) do update set claimed = card_user_claims.claimed + 1
      ${limited ? 'where card_user_claims.claimed < ?::integer' : ''}
      returning claimed
    ), taken as (
      update cards set stock_remaining = stock_remaining - 1, issued_count = issued_count + 1, updated_at = ?::bigint
      where merchant_id = ?::text and id = ?::text and status = 'active' and stock_remaining > 0 and exists (select 1 from allowed)
      returning stock_remaining
    ), inserted as (
      insert into coupons (${COUPON_COLUMNS.join(', ')})
      select ${COUPON_COLUMNS.map(couponValue).join(', ')} from taken
      on conflict (merchant_id, code_hash) do nothing
      returning id
    ), recorded as (
      insert into events (id, merchant_id, type, data, created_at)
      select ?::text, ?::text, 'coupon.issued', jsonb_set(?::jsonb, '{stock_remaining}', to_jsonb(taken.stock_remaining)), ?::bigint from taken, inserted
    ), person as (
      insert into card_person_days (merchant_id, card_id, action, person, day, n)
      select ?::text, ?::text, 'claim', ?::text, ?::text, 1 from inserted
      on conflict (merchant_id, card_id, action, person, day) do update set n = card_person_days.n + 1
      returning merchant_id, card_id, person, day, n
    ), reached as (
      insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
      select p.merchant_id, p.card_id, 'claim', p.day, coalesce((
        select max(d.day) from card_person_days d
        where d.merchant_id = p.merchant_id and d.card_id = p.card_id and d.action = 'claim' and d.person = p.person and d.day < p.day and d.n > 0
      ), ''), 1 from person p where p.n = 1
      on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + 1
    ), all_person as (
      insert into card_person_days (merchant_id, card_id, action, person, day, n)
      select ?::text, '', 'claim', ?::text, ?::text, 1 from inserted
      on conflict (merchant_id, card_id, action, person, day) do update set n = card_person_days.n + 1
      returning merchant_id, person, day, n
    ), all_reached as (
      insert into card_reach (merchant_id, card_id, action, day, prev_day, people)
      select p.merchant_id, '', 'claim', p.day, coalesce((
        select max(d.day) from card_person_days d
        where d.merchant_id = p.merchant_id and d.card_id = '' and d.action = 'claim' and d.person = p.person and d.day < p.day and d.n > 0
      ), ''), 1 from all_person p where p.n = 1
      on conflict (merchant_id, card_id, action, day, prev_day) do update set people = card_reach.people + 1
    ), counted as (
      insert into card_activity_days (merchant_id, card_id, day, channel, channel_tag, campaign, issued, voided, claims_kept, redeemed, reversed, redemptions_kept, discount_amount, order_amount, discount_kept, order_kept)
      select ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0 from inserted
      on conflict (merchant_id, card_id, day, channel, channel_tag, campaign)
      do update set issued = card_activity_days.issued + 1, claims_kept = card_activity_days.claims_kept + 1
    )
    select a.claimed, case when (select count(*) from inserted) = 0 then cast('${ISSUE_UNDONE}' || a.claimed as integer) end as undone
    from allowed a`)
  issueAtOnceStatements.set(limited, st)
  return st
}

/**
 * Issues the coupon `row` in one statement where the engine can (see issueAtOnceStatement): true when
 * issued; false when nothing was written for the allowance or the stock (the caller issues the long way,
 * which tells why). Undefined on an engine without such statements.
 */
export async function issueAtOnce(
  database: Database,
  row: CouponRow,
  input: { limit: number | null; eventId: string; eventData: Record<string, unknown>; day: string },
): Promise<boolean | undefined> {
  if (!database.writeAtOnce) return undefined
  const { merchant_id: m, card_id: card, user_id: user, issued_at: now } = row
  const values = row as unknown as Record<string, unknown>
  const parameters: unknown[] = [m, card, user, m, card]
  if (input.limit !== null) parameters.push(input.limit)
  parameters.push(now, m, card)
  for (const column of COUPON_COLUMNS) parameters.push(values[column] ?? null)
  parameters.push(input.eventId, m, JSON.stringify({ ...input.eventData, stock_remaining: null }), now)
  parameters.push(m, card, user, input.day)
  parameters.push(m, user, input.day)
  parameters.push(m, card, input.day, row.source, row.channel_tag ?? '', row.campaign ?? '')
  try {
    const rows = await database.writeAtOnce(issueAtOnceStatement(input.limit !== null), parameters)
    return rows.length === 1
  } catch (error) {
    if (error instanceof Error && error.message.includes(ISSUE_UNDONE)) return false
    throw error
  }
}

/** The coupon a source reference (an issue's idempotency reference) issued, if any. */
export async function findCouponBySourceRef(db: Db, merchantId: string, sourceRef: string): Promise<CouponRow | undefined> {
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('source_ref', '=', sourceRef).executeTakeFirst()
}

/**
 * Counts one more coupon of the card against the user's allowance, unless `limit` (the card's get_limit)
 * is already reached: one conditional upsert, so parallel issues can never pass the limit. No limit
 * (null) counts it anyway. False when the limit was reached and nothing was written.
 */
export async function takeFromAllowance(tx: Db, merchantId: string, cardId: string, userId: string, limit: number | null): Promise<boolean> {
  const allowance = await tx
    .insertInto('card_user_claims')
    .values({ merchant_id: merchantId, card_id: cardId, user_id: userId, claimed: 1 })
    .onConflict((oc) => {
      const counted = oc.columns(['merchant_id', 'card_id', 'user_id']).doUpdateSet({ claimed: sql`card_user_claims.claimed + 1` })
      return limit === null ? counted : counted.where('card_user_claims.claimed', '<', limit)
    })
    .returning('claimed')
    .executeTakeFirst()
  return allowance !== undefined
}

/** Counts a coupon issued from stock held for it (the stock was taken when it was held); the stock left. */
export async function countHeldIssue(tx: Db, merchantId: string, cardId: string, now: number): Promise<number> {
  const card = await tx
    .updateTable('cards')
    .set((eb) => ({ issued_count: eb('issued_count', '+', 1), updated_at: now }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', cardId)
    .returning('stock_remaining')
    .executeTakeFirstOrThrow()
  return card.stock_remaining
}

/** Gives back one coupon of the user's allowance of the card (a group they were in failed). */
export async function giveBackAllowance(tx: Db, merchantId: string, cardId: string, userId: string): Promise<void> {
  await tx
    .updateTable('card_user_claims')
    .set((eb) => ({ claimed: eb('claimed', '-', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('user_id', '=', userId)
    .where('claimed', '>', 0)
    .execute()
}

/** How many coupons of the card the user has been issued (what counts against get_limit). */
export async function claimedCount(db: Db, merchantId: string, cardId: string, userId: string): Promise<number> {
  const claims = await db
    .selectFrom('card_user_claims')
    .select('claimed')
    .where('merchant_id', '=', merchantId)
    .where('card_id', '=', cardId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return claims?.claimed ?? 0
}

/** Inserts a coupon; false, with nothing written, when the merchant already has a coupon with its code. */
export async function insertCouponUnlessCodeTaken(tx: Db, row: CouponRow): Promise<boolean> {
  const result = await tx
    .insertInto('coupons')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'code_hash']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

/**
 * Voids the coupon if it is still stored as available (or locked, waiting for friends), noting who voided
 * it (its holder removing it from the wallet, or the merchant); the voided row, or undefined when it was not.
 */
export async function markCouponVoided(tx: Db, merchantId: string, couponId: string, now: number, by: CouponVoider = 'merchant'): Promise<CouponRow | undefined> {
  return tx
    .updateTable('coupons')
    .set({ state: 'voided', voided_at: now, updated_at: now, voided_by: by })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', couponId)
    .where('state', 'in', ['available', 'locked'])
    .returningAll()
    .executeTakeFirst()
}

/**
 * A filter on the state a coupon reads as at `now`: a stored `available` (or `locked`) past its last valid
 * second is expired even before the expiry job has written that down.
 */
export function couponStateFilter(state: CouponState, now: number) {
  // valid_until is the last valid second: expired from valid_until + 1 s on.
  const lastValidSecond = now - 1000
  return (eb: ExpressionBuilder<DB, 'coupons'>): ExpressionWrapper<DB, 'coupons', SqlBool> => {
    if (state === 'available' || state === 'locked') return eb.and([eb('state', '=', state), eb('valid_until', '>', lastValidSecond)])
    if (state === 'expired') {
      return eb.or([eb('state', '=', 'expired'), eb.and([eb('state', 'in', ['available', 'locked']), eb('valid_until', '<=', lastValidSecond)])])
    }
    return eb('state', '=', state)
  }
}

export interface UserCouponsQuery {
  /** The state they read as at `now`. */
  state?: CouponState
  cardId?: string
  now: number
  /** The id the page starts below (newest first). */
  before: string | null
  limit: number
  /** Leaves out coupons their holder removed from the wallet (voided by the holder): the wallet's own list. */
  withoutRemoved?: boolean
}

/** A page of a user's coupons with the merchant, newest first. */
export async function listUserCoupons(db: Db, merchantId: string, userId: string, query: UserCouponsQuery): Promise<CouponRow[]> {
  let q = db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId)
  if (query.state) q = q.where(couponStateFilter(query.state, query.now))
  if (query.cardId) q = q.where('card_id', '=', query.cardId)
  if (query.before) q = q.where('id', '<', query.before)
  if (query.withoutRemoved) q = q.where((eb) => eb.or([eb('state', '!=', 'voided'), eb('voided_by', 'is', null), eb('voided_by', '!=', 'holder')]))
  return q.orderBy('id', 'desc').limit(query.limit).execute()
}
