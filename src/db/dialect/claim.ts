import type { SelectQueryBuilder } from 'kysely'
import type { Engine } from '../database.ts'

/**
 * Rows a worker claims for its transaction: on PostgreSQL they are locked, and rows another worker's
 * transaction holds are skipped (`FOR UPDATE [OF table] SKIP LOCKED`), so several processes claim disjoint
 * batches without waiting on each other. SQLite needs nothing: its write transactions (BEGIN IMMEDIATE)
 * already run one at a time.
 */
export function claimRows<DB, TB extends keyof DB & string, O>(engine: Engine, query: SelectQueryBuilder<DB, TB, O>, of?: TB): SelectQueryBuilder<DB, TB, O> {
  return engine === 'postgres' ? query.forUpdate(of).skipLocked() : query
}
