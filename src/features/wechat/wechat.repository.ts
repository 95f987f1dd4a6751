import type { Db, Tx } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import type { CardType } from '../../domain/types.ts'
import { pushOnViewOf } from '../../domain/wechat-cards.ts'
import type { WechatAppsTable, WechatLandingPagesTable, WechatMemberCodesTable, WechatQrcodesTable, WechatTokensTable } from './wechat.table.ts'

export type WechatAppRow = WechatAppsTable
export type WechatTokenRow = WechatTokensTable

export async function insertWechatApp(db: Db | Tx, row: WechatAppRow): Promise<void> {
  await db.insertInto('wechat_apps').values(row).execute()
}

/** An app by its appid, whichever merchant it belongs to, with the merchant's time zone. */
export async function findWechatApp(db: Db | Tx, appid: string): Promise<(WechatAppRow & { timezone: string }) | undefined> {
  return db.selectFrom('wechat_apps').innerJoin('merchants', 'merchants.id', 'wechat_apps.merchant_id').selectAll('wechat_apps').select('merchants.timezone').where('wechat_apps.appid', '=', appid).executeTakeFirst()
}

export async function listWechatApps(db: Db, merchantId: string): Promise<WechatAppRow[]> {
  return db.selectFrom('wechat_apps').selectAll().where('merchant_id', '=', merchantId).orderBy('created_at').execute()
}

export async function updateWechatApp(db: Db | Tx, merchantId: string, appid: string, changes: Partial<Pick<WechatAppRow, 'secret_hash' | 'status' | 'generation' | 'updated_at'>>): Promise<boolean> {
  const result = await db.updateTable('wechat_apps').set(changes).where('merchant_id', '=', merchantId).where('appid', '=', appid).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Stores a new token and starts the 300 s overlap of the ones before it, in one transaction. */
export async function insertTokenSuperseding(tx: Tx, row: WechatTokenRow): Promise<void> {
  await tx
    .updateTable('wechat_tokens')
    .set({ superseded_at: row.issued_at })
    .where('merchant_id', '=', row.merchant_id)
    .where('appid', '=', row.appid)
    .where('superseded_at', 'is', null)
    .execute()
  // Tokens long dead are forgotten as new ones are fetched.
  await tx.deleteFrom('wechat_tokens').where('merchant_id', '=', row.merchant_id).where('appid', '=', row.appid).where('expires_at', '<', row.issued_at - 86_400_000).execute()
  await tx.insertInto('wechat_tokens').values(row).execute()
}

export async function findToken(db: Db, tokenHash: string): Promise<WechatTokenRow | undefined> {
  return db.selectFrom('wechat_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
}

/** The newest token of an app not superseded, for stable_token. */
export async function findLiveToken(db: Db | Tx, merchantId: string, appid: string, generation: number, now: number): Promise<WechatTokenRow | undefined> {
  return db
    .selectFrom('wechat_tokens')
    .selectAll()
    .where((eb) => eb.and({ merchant_id: merchantId, appid, generation, superseded_at: null }))
    .where('expires_at', '>', now)
    .orderBy('issued_at', 'desc')
    .executeTakeFirst()
}

/** Keeps a card's WeChat definition, with its `need_push_on_view` as the push_on_view flag. */
export async function upsertWechatCard(db: Db | Tx, merchantId: string, cardId: string, definition: Record<string, unknown>, now: number): Promise<void> {
  const pushOnView = pushOnViewOf(definition) ? 1 : 0
  await db
    .insertInto('wechat_cards')
    .values({ merchant_id: merchantId, card_id: cardId, definition: toJson(definition), created_at: now, updated_at: now, push_on_view: pushOnView })
    .onConflict((oc) => oc.columns(['merchant_id', 'card_id']).doUpdateSet({ definition: toJson(definition), updated_at: now, push_on_view: pushOnView }))
    .execute()
}

/** A card's WeChat definition and whether a wallet detail view pushes `user_view_card`; null for a card made natively. */
export async function findWechatCardFacts(db: Db | Tx, merchantId: string, cardId: string): Promise<{ definition: Record<string, unknown>; pushOnView: boolean } | null> {
  const row = await db.selectFrom('wechat_cards').select(['definition', 'push_on_view']).where('merchant_id', '=', merchantId).where('card_id', '=', cardId).executeTakeFirst()
  return row ? { definition: fromJson<Record<string, unknown>>(row.definition), pushOnView: Number(row.push_on_view) === 1 } : null
}

export async function findWechatCard(db: Db | Tx, merchantId: string, cardId: string): Promise<Record<string, unknown> | null> {
  const row = await db.selectFrom('wechat_cards').select('definition').where('merchant_id', '=', merchantId).where('card_id', '=', cardId).executeTakeFirst()
  return row ? fromJson<Record<string, unknown>>(row.definition) : null
}

/** The merchant's card ids in creation order, optionally of some statuses. */
export async function listCardIds(db: Db, merchantId: string, statuses: string[] | null, offset: number, count: number): Promise<{ ids: string[]; total: number }> {
  let q = db.selectFrom('cards').where('merchant_id', '=', merchantId)
  if (statuses) q = q.where('status', 'in', statuses.length > 0 ? (statuses as never[]) : (['none'] as never[]))
  const rows = await q.select('id').orderBy('id').offset(offset).limit(count).execute()
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return { ids: rows.map((r) => r.id), total: Number(total.n) }
}

export async function insertWechatQrcode(db: Db | Tx, row: WechatQrcodesTable): Promise<void> {
  await db.insertInto('wechat_qrcodes').values(row).execute()
}

/** A QR ticket by the hash of its public value, whichever merchant it belongs to. */
export async function findWechatQrcode(db: Db | Tx, ticketHash: string): Promise<WechatQrcodesTable | undefined> {
  return db.selectFrom('wechat_qrcodes').selectAll().where('ticket_hash', '=', ticketHash).executeTakeFirst()
}

/**
 * A landing page with the merchant's next integer page_id. The no-op update locks the merchant's row
 * until commit on PostgreSQL, so pages made at once, by any process, take their ids one after another
 * (SQLite's write transactions already do).
 */
export async function insertLandingPage(tx: Tx, row: Omit<WechatLandingPagesTable, 'page_id' | 'cards'> & { cards: unknown }): Promise<number> {
  await tx.updateTable('merchants').set((eb) => ({ name: eb.ref('name') })).where('id', '=', row.merchant_id).execute()
  const last = await tx.selectFrom('wechat_landing_pages').select((eb) => eb.fn.max('page_id').as('max')).where('merchant_id', '=', row.merchant_id).executeTakeFirst()
  const pageId = Number(last?.max ?? 0) + 1
  await tx.insertInto('wechat_landing_pages').values({ ...row, page_id: pageId, cards: toJson(row.cards) }).execute()
  return pageId
}

export async function findLandingPage(db: Db | Tx, tokenHash: string): Promise<(Omit<WechatLandingPagesTable, 'cards'> & { cards: { card_id: string; thumb_url: string | null; claim_link_id: string }[] }) | undefined> {
  const row = await db.selectFrom('wechat_landing_pages').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
  return row ? { ...row, cards: fromJson(row.cards) } : undefined
}

// ---------------------------------------------------------------------------------------------------
// encrypt_code keys (§2.4)

/** The generation of the merchant's encrypt_code key: 1 until the first rotation. */
export async function codeKeyGeneration(db: Db | Tx, merchantId: string): Promise<number> {
  const row = await db.selectFrom('wechat_code_keys').select('generation').where('merchant_id', '=', merchantId).executeTakeFirst()
  return row ? Number(row.generation) : 1
}

/** Raises the merchant's encrypt_code key to its next generation (one statement: parallel rotations each count) and returns it. */
export async function rotateCodeKey(tx: Tx, merchantId: string, now: number): Promise<number> {
  await tx
    .insertInto('wechat_code_keys')
    .values({ merchant_id: merchantId, generation: 2, rotated_at: now })
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet((eb) => ({ generation: eb('wechat_code_keys.generation', '+', 1), rotated_at: now })))
    .execute()
  return codeKeyGeneration(tx, merchantId)
}

// ---------------------------------------------------------------------------------------------------
// Member codes (§2.6)

export type WechatMemberCodeRow = WechatMemberCodesTable

/** Inserts a member's code unless the member has one already (or the code is taken): true when inserted. */
export async function insertMemberCode(db: Db | Tx, row: WechatMemberCodeRow): Promise<boolean> {
  const inserted = await db.insertInto('wechat_member_codes').values({ ...row, fields: toJson(row.fields) }).onConflict((oc) => oc.doNothing()).executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
}

export function findMemberCodeByHash(db: Db | Tx, merchantId: string, codeHash: string): Promise<WechatMemberCodeRow | undefined> {
  return db.selectFrom('wechat_member_codes').selectAll().where('merchant_id', '=', merchantId).where('code_hash', '=', codeHash).executeTakeFirst()
}

export function findMemberCodeOfMember(db: Db | Tx, merchantId: string, memberId: string): Promise<WechatMemberCodeRow | undefined> {
  return db.selectFrom('wechat_member_codes').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId).executeTakeFirst()
}

/** Marks the member activated unless it was already: true for the first activation. */
export async function markMemberActivated(tx: Tx, merchantId: string, memberId: string, now: number): Promise<boolean> {
  const result = await tx.updateTable('wechat_member_codes').set({ activated_at: now, updated_at: now }).where('merchant_id', '=', merchantId).where('member_id', '=', memberId).where('activated_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function updateMemberCodeFields(tx: Tx, merchantId: string, memberId: string, fields: unknown, now: number): Promise<void> {
  await tx.updateTable('wechat_member_codes').set({ fields: toJson(fields), updated_at: now }).where('merchant_id', '=', merchantId).where('member_id', '=', memberId).execute()
}

export interface PoiRow {
  store_id: string
  store_name: string
  poi_id: number
}

/** The merchant's stores with their POI ids, and the stores that have none yet (in creation order). */
export async function listPois(db: Db | Tx, merchantId: string): Promise<{ pois: PoiRow[]; missing: { store_id: string; store_name: string }[] }> {
  const rows = await db
    .selectFrom('stores')
    .leftJoin('wechat_pois', (join) => join.onRef('wechat_pois.merchant_id', '=', 'stores.merchant_id').onRef('wechat_pois.store_id', '=', 'stores.id'))
    .select(['stores.id as store_id', 'stores.name as store_name', 'wechat_pois.poi_id'])
    .where('stores.merchant_id', '=', merchantId)
    .orderBy('stores.created_at')
    .orderBy('stores.id')
    .execute()
  return {
    pois: rows.filter((r) => r.poi_id !== null).map((r) => ({ store_id: r.store_id, store_name: r.store_name, poi_id: Number(r.poi_id) })),
    missing: rows.filter((r) => r.poi_id === null).map((r) => ({ store_id: r.store_id, store_name: r.store_name })),
  }
}

/**
 * Gives every store of the merchant without a POI id the next integers, in creation order, and returns
 * them all. The no-op update locks the merchant's row until commit on PostgreSQL, so two processes
 * numbering at once take turns (SQLite's write transactions already do); a store keeps its id for good.
 */
export async function assignPois(tx: Tx, merchantId: string): Promise<PoiRow[]> {
  await tx.updateTable('merchants').set((eb) => ({ name: eb.ref('name') })).where('id', '=', merchantId).execute()
  const { pois, missing } = await listPois(tx, merchantId)
  let next = pois.reduce((max, p) => Math.max(max, p.poi_id), 0)
  for (const store of missing) {
    next += 1
    await tx.insertInto('wechat_pois').values({ merchant_id: merchantId, store_id: store.store_id, poi_id: next }).execute()
    pois.push({ ...store, poi_id: next })
  }
  return pois.sort((a, b) => a.poi_id - b.poi_id)
}

// ---------------------------------------------------------------------------------------------------
// Event pushes (§4)

/** What the pushes of an event need to know about the coupons, members, store and redemption it names. */
export async function pushFactRows(db: Db | Tx, merchantId: string, subjects: { couponIds: string[]; memberIds: string[]; storeId: string | null; redemptionId: string | null }) {
  const coupons = subjects.couponIds.length === 0 ? [] : await db.selectFrom('coupons').select(['id', 'code_enc', 'channel_tag', 'source']).where('merchant_id', '=', merchantId).where('id', 'in', subjects.couponIds).execute()
  const members =
    subjects.memberIds.length === 0
      ? []
      : await db
          .selectFrom('members')
          .leftJoin('wechat_member_codes', (join) => join.onRef('wechat_member_codes.merchant_id', '=', 'members.merchant_id').onRef('wechat_member_codes.member_id', '=', 'members.id'))
          .select(['members.id', 'members.member_number', 'wechat_member_codes.code_enc'])
          .where('members.merchant_id', '=', merchantId)
          .where('members.id', 'in', subjects.memberIds)
          .execute()
  const store = subjects.storeId === null ? undefined : await db.selectFrom('stores').select('name').where('merchant_id', '=', merchantId).where('id', '=', subjects.storeId).executeTakeFirst()
  const redemption = subjects.redemptionId === null ? undefined : await db.selectFrom('redemptions').select('staff_id').where('merchant_id', '=', merchantId).where('id', '=', subjects.redemptionId).executeTakeFirst()
  return { coupons, members, storeName: store?.name ?? null, staffId: redemption?.staff_id ?? null }
}

export async function updateWechatAppPush(db: Db | Tx, merchantId: string, appid: string, changes: Pick<WechatAppRow, 'push_url' | 'push_endpoint_id' | 'push_card_pass_check' | 'updated_at'>): Promise<void> {
  await db.updateTable('wechat_apps').set(changes).where('merchant_id', '=', merchantId).where('appid', '=', appid).execute()
}

// ---------------------------------------------------------------------------------------------------
// Datacube (§2.7)

/**
 * The merchant's coupon cards made before `until` (epoch ms), in id order: all of them, those made through
 * the WeChat-compatible API (`cond_source` 1: they have a WeChat definition) or the others (0).
 */
export async function datacubeCards(db: Db, merchantId: string, condSource: 0 | 1 | null, until: number): Promise<{ id: string; type: CardType }[]> {
  let q = db.selectFrom('cards').select(['id', 'type']).where('merchant_id', '=', merchantId).where('created_at', '<', until)
  if (condSource !== null) {
    q = q.where((eb) => {
      const viaFacade = eb.exists(eb.selectFrom('wechat_cards').select('wechat_cards.card_id').where('wechat_cards.merchant_id', '=', merchantId).whereRef('wechat_cards.card_id', '=', 'cards.id'))
      return condSource === 1 ? viaFacade : eb.not(viaFacade)
    })
  }
  return q.orderBy('id').execute()
}

/** The merchant's member cards made before `until`, chosen by `cond_source` as datacubeCards. */
export async function datacubeMemberCards(db: Db, merchantId: string, condSource: 0 | 1 | null, until: number): Promise<string[]> {
  let q = db.selectFrom('member_cards').select('id').where('merchant_id', '=', merchantId).where('created_at', '<', until)
  if (condSource !== null) {
    q = q.where((eb) => {
      const viaFacade = eb.exists(eb.selectFrom('wechat_cards').select('wechat_cards.card_id').where('wechat_cards.merchant_id', '=', merchantId).whereRef('wechat_cards.card_id', '=', 'member_cards.id'))
      return condSource === 1 ? viaFacade : eb.not(viaFacade)
    })
  }
  return (await q.orderBy('id').execute()).map((row) => row.id)
}

/** When members of the merchant's member cards joined and were activated through the WeChat API, from `since`. */
export function wechatMemberTimes(db: Db, merchantId: string, cardIds: string[], since: number): Promise<{ created_at: number; activated_at: number | null }[]> {
  if (cardIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('wechat_member_codes')
    .select(['created_at', 'activated_at'])
    .where('merchant_id', '=', merchantId)
    .where('member_card_id', 'in', cardIds)
    .where((eb) => eb.or([eb('created_at', '>=', since), eb('activated_at', '>=', since)]))
    .execute()
}
