import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

/** Rows forgotten per statement: a backlog (after downtime, say) goes in short statements, never one long one. */
export const PURGE_BATCH = 1000

interface PurgeTarget {
  table: 'idempotency_keys' | 'otp_challenges' | 'login_attempts'
  /** The time a row is judged by. */
  column: 'created_at' | 'expires_at'
  /** The row's key. */
  key: readonly string[]
}

/**
 * Deletes the oldest rows of a table whose `column` is at or before `cutoff`, at most PURGE_BATCH; returns
 * how many went (the runner calls the job again until it returns 0). The outer test is checked again on
 * each row as it is deleted, so a row that changed meanwhile (an idempotency key a new request took over)
 * stays.
 */
export async function purgeOldest(db: Db, { table, column, key }: PurgeTarget, cutoff: number): Promise<number> {
  const keys = sql.join(key.map((k) => sql.ref(k)))
  const at = sql.ref(column)
  const result = await sql`
    delete from ${sql.table(table)} where ${at} <= ${cutoff} and (${keys}) in (
      select ${keys} from ${sql.table(table)} where ${at} <= ${cutoff} order by ${at} limit ${PURGE_BATCH})`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
