import type { Database, Db } from '../../db/database.ts'
import { runStatement, runWrite, statement, type Statement } from '../../db/statements.ts'
import type { CounterBucket, CounterUse, RiskAction, RiskRule, RiskRuleName } from '../../domain/risk.ts'
import type { RiskBlocksTable, RiskEventsTable } from './risk.table.ts'

export type RiskBlockRow = RiskBlocksTable
export type RiskEventRow = RiskEventsTable

export async function listChangedRules(db: Db, merchantId: string): Promise<RiskRule[]> {
  const rows = await db.selectFrom('risk_rules').selectAll().where('merchant_id', '=', merchantId).execute()
  return rows.map((row) => ({ name: row.name, enabled: row.enabled === 1, limit: row.limit_value, window_seconds: row.window_seconds, action: row.action }))
}

export async function saveRules(db: Db, merchantId: string, rules: RiskRule[], now: number): Promise<void> {
  if (rules.length === 0) return
  const rows = rules.map((r) => ({ merchant_id: merchantId, name: r.name, enabled: r.enabled ? (1 as const) : (0 as const), limit_value: r.limit, window_seconds: r.window_seconds, action: r.action, updated_at: now }))
  await db
    .insertInto('risk_rules')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['merchant_id', 'name']).doUpdateSet((eb) => ({
        enabled: eb.ref('excluded.enabled'),
        limit_value: eb.ref('excluded.limit_value'),
        window_seconds: eb.ref('excluded.window_seconds'),
        action: eb.ref('excluded.action'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute()
}

/** Blocks that have not ended (the whole list a decision looks at). */
export async function listActiveBlocks(db: Db, merchantId: string, now: number): Promise<RiskBlockRow[]> {
  return db
    .selectFrom('risk_blocks')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
    .orderBy('id')
    .execute()
}

export async function insertBlock(db: Db, row: RiskBlockRow): Promise<void> {
  await db.insertInto('risk_blocks').values(row).execute()
}

export async function deleteBlock(db: Db, merchantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('risk_blocks').where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function insertRiskEvent(db: Db, row: RiskEventRow): Promise<void> {
  await db.insertInto('risk_events').values(row).execute()
}

export interface RiskEventFilter {
  decision: RiskAction | null
  rule: RiskRuleName | null
  since: number | null
  /** One subject's history: both parts, or neither. */
  subject: { type: string; value: string } | null
}

/** The merchant's challenges and blocks, newest first, before the cursor's id. */
export async function listRiskEvents(db: Db, merchantId: string, filter: RiskEventFilter, before: string | null, limit: number): Promise<RiskEventRow[]> {
  let q = db.selectFrom('risk_events').selectAll().where('merchant_id', '=', merchantId)
  if (filter.decision) q = q.where('decision', '=', filter.decision)
  if (filter.rule) q = q.where('rule', '=', filter.rule)
  if (filter.since !== null) q = q.where('created_at', '>=', filter.since)
  if (filter.subject) q = q.where('subject_type', '=', filter.subject.type as RiskEventRow['subject_type']).where('subject_value', '=', filter.subject.value)
  if (before) q = q.where('id', '<', before)
  return q.orderBy('id', 'desc').limit(limit).execute()
}

/** Marks a redemption challenge confirmed, once: false when it is unknown, for another code, or already used. */
export async function confirmChallenge(db: Db, merchantId: string, challengeId: string, challengeRef: string, confirmedBy: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('risk_events')
    .set({ confirmed_at: now, confirmed_by: confirmedBy })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', challengeId)
    .where('decision', '=', 'challenge')
    .where('challenge_ref', '=', challengeRef)
    .where('confirmed_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** The earlier buckets' hits of the counter of row `t` (a bucket's own `expires_at` tells how far back its window reaches). */
const priorOf = (t: string) =>
  `(select coalesce(sum(p.n), 0) from risk_counts p where p.merchant_id = ${t}.merchant_id and p.counter_key = ${t}.counter_key and p.bucket_start > 2 * ${t}.bucket_start - ${t}.expires_at and p.bucket_start < ${t}.bucket_start)`
const PRIOR_OF_HIT = '(select coalesce(sum(p.n), 0) from risk_counts p where p.merchant_id = h.column1 and p.counter_key = h.column2 and p.bucket_start > 2 * h.column3 - h.column5 and p.bucket_start < h.column3)'

/**
 * Plain counters' hits (every hit counted), one row each, at most one per counter: each moves the bucket
 * of its `now` (made when it is the first) unless its window already holds its limit, reading the earlier
 * buckets in the same statement. Atomic by itself: the upsert writes the bucket's row, which on PostgreSQL
 * locks it and is applied to its latest version (SQLite runs one writer at a time), so parallel hits in
 * one bucket count one after another; the earlier buckets are past and no longer move. Rows are written in
 * key order, so two statements never wait for each other's rows in a cycle. Answers, per counter, the
 * earlier buckets' sum, this bucket's count, and whether its hit was counted.
 */
function countInBucketsStatement(rows: number): Statement {
  return statement(`
    insert into risk_counts (merchant_id, counter_key, bucket_start, n, last_counted, limit_value, expires_at)
    select h.column1, h.column2, h.column3, case when ${PRIOR_OF_HIT} < h.column4 then 1 else 0 end, case when ${PRIOR_OF_HIT} < h.column4 then 1 else 0 end, h.column4, h.column5
    from (values ${Array(rows).fill('(cast(? as text), cast(? as text), cast(? as bigint), cast(? as integer), cast(? as bigint))').join(', ')}) as h
    where true
    order by h.column1, h.column2
    on conflict (merchant_id, counter_key, bucket_start) do update set
      n = risk_counts.n + case when risk_counts.n + ${priorOf('excluded')} < excluded.limit_value then 1 else 0 end,
      last_counted = case when risk_counts.n + ${priorOf('excluded')} < excluded.limit_value then 1 else 0 end,
      limit_value = excluded.limit_value,
      expires_at = case when excluded.expires_at > risk_counts.expires_at then excluded.expires_at else risk_counts.expires_at end
    returning merchant_id, counter_key, n, last_counted, ${priorOf('risk_counts')} as prior
  `)
}

/** Hits one statement counts at most. */
const MAX_BATCH = 64
const batchStatements = new Map<number, Statement>()

export interface PlainHit {
  merchantId: string
  counterKey: string
  bucket: CounterBucket
  limit: number
}

export interface BucketHit {
  prior: number
  n: number
  counted: boolean
}

interface Queued {
  hit: PlainHit
  resolve(result: BucketHit): void
  reject(error: unknown): void
}

/**
 * Plain counters' hits of one process, counted together: the hits that arrive while the event loop
 * handles pending I/O go out in one statement (one round trip on PostgreSQL, one short transaction on
 * SQLite), as group commit does for transactions. A second hit of a counter already in the statement
 * waits for the next one.
 */
class CountBatcher {
  readonly #database: Database
  #queue: Queued[] = []
  #scheduled = false

  constructor(database: Database) {
    this.#database = database
  }

  count(hit: PlainHit): Promise<BucketHit> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ hit, resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush(): void {
    const taken: Queued[] = []
    const later: Queued[] = []
    const keys = new Set<string>()
    for (const queued of this.#queue) {
      const key = `${queued.hit.merchantId}\n${queued.hit.counterKey}`
      if (taken.length >= MAX_BATCH || keys.has(key)) later.push(queued)
      else (keys.add(key), taken.push(queued))
    }
    this.#queue = later
    if (later.length > 0) this.#schedule()
    this.#run(taken).catch((error) => taken.forEach((queued) => queued.reject(error)))
  }

  async #run(taken: Queued[]): Promise<void> {
    let st = batchStatements.get(taken.length)
    if (!st) batchStatements.set(taken.length, (st = countInBucketsStatement(taken.length)))
    const parameters = taken.flatMap(({ hit }) => [hit.merchantId, hit.counterKey, hit.bucket.bucketStart, hit.limit, hit.bucket.expiresAt])
    const rows = await runWrite<{ merchant_id: string; counter_key: string; n: number | string; last_counted: number | string; prior: number | string }>(this.#database, st, parameters)
    const byKey = new Map(rows.map((row) => [`${row.merchant_id}\n${row.counter_key}`, row]))
    for (const queued of taken) {
      const row = byKey.get(`${queued.hit.merchantId}\n${queued.hit.counterKey}`)
      if (row) queued.resolve({ prior: Number(row.prior), n: Number(row.n), counted: Number(row.last_counted) === 1 })
      else queued.reject(new Error('a counted hit was not answered'))
    }
  }
}

const batchers = new WeakMap<Database, CountBatcher>()

/** The statement of one hit, counted in the caller's transaction. */
const COUNT_ONE_IN_BUCKET = countInBucketsStatement(1)

/** Counts a plain counter's hit (see CountBatcher): the earlier buckets' sum, the bucket's count, and whether it was counted. */
export function countInBucket(database: Database, hit: PlainHit): Promise<BucketHit> {
  let batcher = batchers.get(database)
  if (!batcher) batchers.set(database, (batcher = new CountBatcher(database)))
  return batcher.count(hit)
}

/**
 * Counts a plain counter's hit in the caller's transaction `tx` (the same statement, alone), for a database
 * where such a write is cheapest there (Database.shortWritePlacement): it commits, or not, with `tx`.
 */
export async function countInBucketIn(database: Database, tx: Db, hit: PlainHit): Promise<BucketHit> {
  const [row] = await runStatement<{ n: number | string; last_counted: number | string; prior: number | string }>(database, COUNT_ONE_IN_BUCKET, [hit.merchantId, hit.counterKey, hit.bucket.bucketStart, hit.limit, hit.bucket.expiresAt], tx)
  return { prior: Number(row.prior), n: Number(row.n), counted: Number(row.last_counted) === 1 }
}

const LOCK_DISTINCT = statement(`
  insert into risk_counters (merchant_id, counter_key, touched_at, expires_at) values (?, ?, ?, ?)
  on conflict (merchant_id, counter_key) do update set touched_at = excluded.touched_at, expires_at = excluded.expires_at
`)
const DROP_OLD_MEMBERS = statement('delete from risk_counter_hits where merchant_id = ? and counter_key = ? and at <= ?')
const READ_MEMBERS = statement(`
  select count(*) as n, coalesce(max(case when member = ? then 1 else 0 end), 0) as known
  from risk_counter_hits where merchant_id = ? and counter_key = ?
`)
const KEEP_MEMBER = statement(`
  insert into risk_counter_hits (merchant_id, counter_key, member, at) values (?, ?, ?, ?)
  on conflict (merchant_id, counter_key, member) do update set at = excluded.at
`)

/**
 * A distinct counter's hit: counts `member` in the sliding window unless the window already holds
 * `limit` members; a member already there is only refreshed. Answers the count with this member (the
 * would-be count when refused). The counter's row is written first, which locks it on PostgreSQL (SQLite
 * runs one writer at a time), so parallel hits on one counter count one after another: no slack.
 */
export async function countDistinct(database: Database, merchantId: string, counterKey: string, use: Pick<CounterUse, 'limit' | 'windowMs'>, member: string, now: number, inTx?: Db): Promise<number> {
  const count = async (tx: Db) => {
    await runStatement(database, LOCK_DISTINCT, [merchantId, counterKey, now, now + use.windowMs], tx)
    await runStatement(database, DROP_OLD_MEMBERS, [merchantId, counterKey, now - use.windowMs], tx)
    const [read] = await runStatement<{ n: number | string; known: number | string }>(database, READ_MEMBERS, [member, merchantId, counterKey], tx)
    const counted = Number(read.n)
    const known = Number(read.known) === 1
    if (!known && counted >= use.limit) return counted + 1
    await runStatement(database, KEEP_MEMBER, [merchantId, counterKey, member, now], tx)
    return known ? counted : counted + 1
  }
  // In the caller's transaction when given one (it commits with it), else in one of its own.
  return inTx ? count(inTx) : database.db.transaction().execute(count)
}

/** Forgets plain counters' buckets that have left every window, at most `limit`, oldest first (no hit moves such a bucket again). */
export async function purgeExpiredCounts(db: Db, now: number, limit: number): Promise<number> {
  const due = db.selectFrom('risk_counts').select(['merchant_id', 'counter_key', 'bucket_start']).where('expires_at', '<=', now).orderBy('expires_at').limit(limit)
  const result = await db
    .deleteFrom('risk_counts')
    .where((eb) => eb(eb.refTuple('merchant_id', 'counter_key', 'bucket_start'), 'in', due.$asTuple('merchant_id', 'counter_key', 'bucket_start')))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Forgets distinct counters whose window has passed since their last hit (every member of theirs is out
 * of the window: they count nothing), with their members, at most `limit`, oldest first. Each is checked
 * again as it is deleted: a hit that came meanwhile moved its `expires_at` (and, on PostgreSQL, holds its
 * row until it commits), so a counter in use stays.
 */
export async function purgeExpiredCounters(db: Db, now: number, limit: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const due = await tx.selectFrom('risk_counters').select(['merchant_id', 'counter_key']).where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute()
    let purged = 0
    for (const { merchant_id, counter_key } of due) {
      const gone = await tx.deleteFrom('risk_counters').where('merchant_id', '=', merchant_id).where('counter_key', '=', counter_key).where('expires_at', '<=', now).executeTakeFirst()
      if (gone.numDeletedRows === 0n) continue
      await tx.deleteFrom('risk_counter_hits').where('merchant_id', '=', merchant_id).where('counter_key', '=', counter_key).execute()
      purged++
    }
    return purged
  })
}

/** Forgets blocks that have ended, at most `limit`, oldest first; a block until removed never ends. The risk log keeps what happened. */
export async function purgeEndedBlocks(db: Db, now: number, limit: number): Promise<number> {
  const due = await db.selectFrom('risk_blocks').select(['merchant_id', 'id']).where('until', '<=', now).orderBy('until').limit(limit).execute()
  if (due.length === 0) return 0
  let purged = 0
  for (const { merchant_id, id } of due) {
    const gone = await db.deleteFrom('risk_blocks').where('merchant_id', '=', merchant_id).where('id', '=', id).where('until', '<=', now).executeTakeFirst()
    purged += Number(gone.numDeletedRows)
  }
  return purged
}
