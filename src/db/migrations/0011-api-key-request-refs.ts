import { sql, type Kysely } from 'kysely'

/**
 * An API key remembers the Idempotency-Key request that made it (created or rotated to it), as other rows
 * do since 0009, so that a retry after a crash between the commit and the stored response finds the key
 * whose secret was lost with the answer (only its hash is stored), revokes it and issues a fresh one
 * instead of leaving two active keys. Unique per merchant; the index holds only the keys that have one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('request_ref', 'text').execute()
  await db.schema.createIndex('api_keys_request_ref_uq').on('api_keys').columns(['merchant_id', 'request_ref']).unique().where(sql.ref('request_ref'), 'is not', null).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_keys_request_ref_uq').execute()
  await db.schema.alterTable('api_keys').dropColumn('request_ref').execute()
}
