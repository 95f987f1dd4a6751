import type { Kysely } from 'kysely'

/**
 * The language a merchant speaks to its customers in (the texts of their inbox notifications): zh-CN,
 * the wallet's default, for every merchant until it chooses English.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('language', 'text', (c) => c.notNull().defaultTo('zh-CN')).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('language').execute()
}
