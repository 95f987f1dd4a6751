import { sql, type Kysely } from 'kysely'

/**
 * More rows remember the Idempotency-Key request that made them (as redemptions do since 0007), so that a
 * retry after a crash between the commit and the stored response finds what the first run did instead of
 * doing it again or answering that it was already done: ledger entries (stored-value payments and top-ups,
 * sign-ins, points adjustments), reward exchanges and their pick-up, a member's joining, a reversal, the
 * merchant's own creations (cards, stores, rewards, member cards, claim links, payment rules, webhook
 * endpoints, staff), and the events of changes that make no row of their own (stock changes). Each such
 * reference is unique per merchant; the indexes hold only the rows that have one. A secret rotation is
 * remembered on the row it rotates, which is found by its id (no index).
 */
const INDEXED = [
  ['points_entries', 'request_ref'],
  ['stored_value_entries', 'request_ref'],
  ['reward_exchanges', 'request_ref'],
  ['reward_exchanges', 'pickup_request_ref'],
  ['members', 'request_ref'],
  ['redemptions', 'reversal_request_ref'],
  ['cards', 'request_ref'],
  ['stores', 'request_ref'],
  ['rewards', 'request_ref'],
  ['member_cards', 'request_ref'],
  ['claim_links', 'request_ref'],
  ['payment_rules', 'request_ref'],
  ['webhook_endpoints', 'request_ref'],
  ['staff', 'request_ref'],
  ['events', 'request_ref'],
] as const
const UNINDEXED = [
  ['merchants', 'wallet_secret_request_ref'],
  ['webhook_endpoints', 'secret_request_ref'],
] as const

const indexName = (table: string, column: string) => `${table}_${column}_uq`

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, column] of INDEXED) {
    await db.schema.alterTable(table).addColumn(column, 'text').execute()
    await db.schema.createIndex(indexName(table, column)).on(table).columns(['merchant_id', column]).unique().where(sql.ref(column), 'is not', null).execute()
  }
  for (const [table, column] of UNINDEXED) await db.schema.alterTable(table).addColumn(column, 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column] of [...UNINDEXED].reverse()) await db.schema.alterTable(table).dropColumn(column).execute()
  for (const [table, column] of [...INDEXED].reverse()) {
    await db.schema.dropIndex(indexName(table, column)).execute()
    await db.schema.alterTable(table).dropColumn(column).execute()
  }
}
