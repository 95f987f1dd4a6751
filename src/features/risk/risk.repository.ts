import type { Db } from '../../db/database.ts'
import type { CounterUse, RiskAction, RiskRule, RiskRuleName } from '../../domain/risk.ts'
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

/**
 * Counts a hit in a sliding window unless the window already holds `limit`; returns the count with this
 * hit (the would-be count when refused). A member already in the window is not counted again. The
 * counter's row is written first, which locks it on PostgreSQL (SQLite runs one writer at a time), so
 * parallel hits on one counter count one after another: no slack.
 */
export async function countHit(db: Db, merchantId: string, counterKey: string, use: Pick<CounterUse, 'limit' | 'windowMs'>, member: string, now: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('risk_counters')
      .values({ merchant_id: merchantId, counter_key: counterKey, touched_at: now, expires_at: now + use.windowMs })
      .onConflict((oc) => oc.columns(['merchant_id', 'counter_key']).doUpdateSet({ touched_at: now, expires_at: now + use.windowMs }))
      .execute()
    const hits = tx.selectFrom('risk_counter_hits').where('merchant_id', '=', merchantId).where('counter_key', '=', counterKey)
    await tx.deleteFrom('risk_counter_hits').where('merchant_id', '=', merchantId).where('counter_key', '=', counterKey).where('at', '<=', now - use.windowMs).execute()
    const { count } = await hits.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow()
    const counted = Number(count)
    const known = await tx
      .updateTable('risk_counter_hits')
      .set({ at: now })
      .where('merchant_id', '=', merchantId)
      .where('counter_key', '=', counterKey)
      .where('member', '=', member)
      .executeTakeFirst()
    if (known.numUpdatedRows > 0n) return counted
    if (counted >= use.limit) return counted + 1
    await tx.insertInto('risk_counter_hits').values({ merchant_id: merchantId, counter_key: counterKey, member, at: now }).execute()
    return counted + 1
  })
}

/**
 * Forgets database counters whose window has passed since their last hit (every hit of theirs is out of
 * the window: they count nothing), with their hits, at most `limit`, oldest first. Each is checked again
 * as it is deleted: a hit that came meanwhile moved its `expires_at` (and, on PostgreSQL, holds its row
 * until it commits), so a counter in use stays.
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
