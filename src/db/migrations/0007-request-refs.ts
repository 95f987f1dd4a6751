import type { Kysely } from 'kysely'

/**
 * A redemption remembers the Idempotency-Key request that made it, so a retry after a crash between the
 * commit and the stored response finds the redemption instead of answering already_redeemed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('redemptions').addColumn('request_ref', 'text').execute()
  await db.schema.createIndex('redemptions_request_ref_uq').on('redemptions').columns(['merchant_id', 'request_ref']).unique().execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('redemptions_request_ref_uq').execute()
  await db.schema.alterTable('redemptions').dropColumn('request_ref').execute()
}
