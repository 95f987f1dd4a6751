import { sql, type Kysely } from 'kysely'

/**
 * More rows remember the Idempotency-Key request that made them (as redemptions do since 0007), so that a
 * retry after a crash between the commit and the stored response finds what the first run did instead of
 * doing it again or answering that it was already done: ledger entries (stored-value payments and top-ups,
 * sign-ins, points adjustments), reward exchanges and their pick-up, a member's joining, a reversal.
 * Each reference is unique per merchant; the indexes hold only the rows that have one.
 */
const REFS = [
  ['points_entries', 'request_ref'],
  ['stored_value_entries', 'request_ref'],
  ['reward_exchanges', 'request_ref'],
  ['reward_exchanges', 'pickup_request_ref'],
  ['members', 'request_ref'],
  ['redemptions', 'reversal_request_ref'],
] as const

const indexName = (table: string, column: string) => `${table}_${column}_uq`

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, column] of REFS) {
    await db.schema.alterTable(table).addColumn(column, 'text').execute()
    await db.schema.createIndex(indexName(table, column)).on(table).columns(['merchant_id', column]).unique().where(sql.ref(column), 'is not', null).execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column] of [...REFS].reverse()) {
    await db.schema.dropIndex(indexName(table, column)).execute()
    await db.schema.alterTable(table).dropColumn(column).execute()
  }
}
