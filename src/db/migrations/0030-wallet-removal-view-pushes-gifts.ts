import { sql, type Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'
import { localDate } from '../../domain/time.ts'
import { pushOnViewOf } from '../../domain/wechat-cards.ts'

/**
 * - `coupons.voided_by`: who voided a voided coupon: `holder` when its holder removed it from the wallet
 *   (WeChat's `user_card_status` DELETE and `user_del_card`), `merchant` otherwise; null for coupons voided
 *   before (the merchant's) and for coupons not voided.
 * - `wechat_cards.push_on_view`: the card's `need_push_on_view` (WeChat `user_view_card` pushes on a wallet
 *   detail view), read from the definitions already stored.
 * - `card_activity_days.gifted`: gifts of the card accepted that day (merchant's zone), counted on the
 *   giver's coupon's row; existing accepted gifts are counted in.
 * - The push destinations of WeChat apps (webhook endpoints of kind `wechat`) subscribe to `coupon.voided`
 *   and `coupon.viewed`, which now push.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('coupons').addColumn('voided_by', 'text').execute()
  await db.schema.alterTable('wechat_cards').addColumn('push_on_view', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('card_activity_days').addColumn('gifted', t.bigint, (c) => c.notNull().defaultTo(0)).execute()

  const cards: { merchant_id: string; card_id: string; definition: unknown }[] = await db.selectFrom('wechat_cards').select(['merchant_id', 'card_id', 'definition']).execute()
  for (const card of cards) {
    const definition = typeof card.definition === 'string' ? JSON.parse(card.definition) : card.definition
    if (pushOnViewOf(definition as Record<string, unknown> | null)) {
      await db.updateTable('wechat_cards').set({ push_on_view: 1 }).where('merchant_id', '=', card.merchant_id).where('card_id', '=', card.card_id).execute()
    }
  }

  const endpoints: { merchant_id: string; id: string; events: unknown }[] = await db.selectFrom('webhook_endpoints').select(['merchant_id', 'id', 'events']).where('kind', '=', 'wechat').execute()
  for (const endpoint of endpoints) {
    const events = (typeof endpoint.events === 'string' ? JSON.parse(endpoint.events) : endpoint.events) as string[]
    const more = [...new Set([...events, 'coupon.voided', 'coupon.viewed'])]
    if (more.length !== events.length) await db.updateTable('webhook_endpoints').set({ events: JSON.stringify(more) }).where('merchant_id', '=', endpoint.merchant_id).where('id', '=', endpoint.id).execute()
  }

  const merchants: { id: string; timezone: string }[] = await db.selectFrom('merchants').select(['id', 'timezone']).execute()
  for (const merchant of merchants) await backfillGifts(db, merchant.id, merchant.timezone)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('card_activity_days').dropColumn('gifted').execute()
  await db.schema.alterTable('wechat_cards').dropColumn('push_on_view').execute()
  await db.schema.alterTable('coupons').dropColumn('voided_by').execute()
}

const COUNTERS = ['issued', 'voided', 'claims_kept', 'redeemed', 'reversed', 'redemptions_kept', 'discount_amount', 'order_amount', 'discount_kept', 'order_kept'] as const
const PAGE = 2_000
const BATCH = 500

/**
 * Counts a merchant's accepted gifts into card_activity_days.gifted: on the day of acceptance (zone `tz`),
 * in the row of the giver's coupon (its issue channel and tags), a page of gifts at a time.
 */
export async function backfillGifts(db: Kysely<any>, merchantId: string, tz: string): Promise<void> {
  const counts = new Map<string, { key: Record<string, string>; n: number }>()
  for (let after = ''; ; ) {
    const gifts: { id: string; card_id: string; closed_at: number | string; source: string; channel_tag: string | null; campaign: string | null }[] = await db
      .selectFrom('gifts as g')
      .innerJoin('coupons as c', (join) => join.onRef('c.merchant_id', '=', 'g.merchant_id').onRef('c.id', '=', 'g.coupon_id'))
      .select(['g.id', 'g.card_id', 'g.closed_at', 'c.source', 'c.channel_tag', 'c.campaign'])
      .where('g.merchant_id', '=', merchantId)
      .where('g.state', '=', 'accepted')
      .where('g.id', '>', after)
      .orderBy('g.id')
      .limit(PAGE)
      .execute()
    if (gifts.length === 0) break
    for (const g of gifts) {
      const d = localDate(Number(g.closed_at), tz)
      const day = `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`
      const key = { merchant_id: merchantId, card_id: g.card_id, day, channel: g.source, channel_tag: g.channel_tag ?? '', campaign: g.campaign ?? '' }
      const k = JSON.stringify(Object.values(key))
      const row = counts.get(k) ?? { key, n: 0 }
      row.n++
      counts.set(k, row)
    }
    after = gifts[gifts.length - 1].id
  }
  const rows = [...counts.values()].map(({ key, n }) => ({ ...key, ...Object.fromEntries(COUNTERS.map((c) => [c, 0])), gifted: n }))
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insertInto('card_activity_days')
      .values(rows.slice(i, i + BATCH))
      .onConflict((oc) => oc.columns(['merchant_id', 'card_id', 'day', 'channel', 'channel_tag', 'campaign']).doUpdateSet({ gifted: sql`card_activity_days.gifted + excluded.gifted` }))
      .execute()
  }
}
