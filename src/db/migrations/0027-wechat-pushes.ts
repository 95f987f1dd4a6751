import type { Kysely } from 'kysely'

/**
 * WeChat event pushes go out through the webhook deliveries: a WeChat app's push URL is a webhook endpoint
 * of kind `wechat` (its sealed secret is the push Token), hidden from the webhook API and signed and shaped
 * as WeChat's XML pushes. The app keeps its push URL, the endpoint and the card_pass_check setting.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_endpoints').addColumn('kind', 'text', (c) => c.notNull().defaultTo('webhook')).execute()
  await db.schema.alterTable('webhook_endpoints').addColumn('wechat_appid', 'text').execute()
  await db.schema.alterTable('wechat_apps').addColumn('push_url', 'text').execute()
  await db.schema.alterTable('wechat_apps').addColumn('push_endpoint_id', 'text').execute()
  await db.schema.alterTable('wechat_apps').addColumn('push_card_pass_check', 'integer', (c) => c.notNull().defaultTo(1)).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['push_card_pass_check', 'push_endpoint_id', 'push_url']) await db.schema.alterTable('wechat_apps').dropColumn(column).execute()
  for (const column of ['wechat_appid', 'kind']) await db.schema.alterTable('webhook_endpoints').dropColumn(column).execute()
}
