import type { Kysely } from 'kysely'

/**
 * A claim link may be reserved for one customer (`for_user_id`): only that user id claims through it.
 * WeChat's QR codes bound to an `openid` are such links.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('claim_links').addColumn('for_user_id', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('claim_links').dropColumn('for_user_id').execute()
}
