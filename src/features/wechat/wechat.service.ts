import { randomBytes } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import { AppError } from '../../errors.ts'
import type { MerchantPrincipal, Scope } from '../../principals.ts'
import { hashToken, safeEqual } from '../../ports/secrets.ts'
import { cardFromWechat, cardToWechat, cardUpdateFromWechat, mergeDefinition, nativeStatusesOf, userCardStatusOf } from '../../domain/wechat-cards.ts'
import { errcodeOfNative, wxError, type WxErrcode, type WxError } from '../../domain/wechat-errcodes.ts'
import { poiIdsOfStores, storeIdsOfLocations } from '../../domain/wechat-locations.ts'
import { firstPresent, readBool, readInt, readObject, readString } from '../../domain/wechat-parse.ts'
import { effectiveCouponState } from '../../domain/redemption-rules.ts'
import { changeCardStatus, changeStock, createCard, getCard, updateCard } from '../cards/cards.service.ts'
import type { CardInput } from '../cards/cards.schemas.ts'
import { findCouponByCode, issueCoupon, voidCoupon } from '../coupons/coupons.service.ts'
import { listUserCoupons } from '../coupons/coupons.repository.ts'
import { claimLinkToken, createClaimLink, getClaimLink } from '../claim-links/claim-links.service.ts'
import { linkUrl } from '../claim-links/claim-links.routes.ts'
import { randomToken } from '../../ports/ids.ts'
import { MAX_TAG_LENGTH } from '../../domain/sharing.ts'
import { decryptCodeOf } from './wechat-encrypt-code.ts'
import { lookUpJudged, redeem } from '../redemptions/redemptions.service.ts'
import { findMemberCard, setMemberCardStatus } from '../member-cards/member-cards.service.ts'
import { createWechatMemberCard, getWechatMemberCard, isMemberCardId, issueWechatMember, memberCodeOf, userMemberCards } from './wechat-members.ts'
import { findStore } from '../stores/stores.repository.ts'
import {
  assignPois, listPois, rotateCodeKey, type PoiRow, findLandingPage, findLiveToken, findToken, findWechatApp, findWechatCard, findWechatQrcode, insertLandingPage, insertWechatQrcode, listCardIds, insertTokenSuperseding, insertWechatApp, listWechatApps, updateWechatApp, upsertWechatCard,
  type WechatAppRow,
} from './wechat.repository.ts'

/** WeChat's token lifetime, and how long a token works on after a newer one was fetched. */
export const TOKEN_TTL_MS = 7200 * 1000
export const TOKEN_OVERLAP_MS = 300 * 1000

/** A facade answer other than success: the routes send it as HTTP 200 `{errcode, errmsg}`. */
export class WxFailure extends Error {
  readonly answer: WxError
  constructor(errcode: WxErrcode, detail?: string) {
    const answer = wxError(errcode, detail)
    super(answer.errmsg)
    this.answer = answer
  }
}

/** Any error as WeChat's answer: native codes mapped (§3), a failure of ours -1 with nothing leaked. */
export function wxAnswerOf(error: unknown): WxError {
  if (error instanceof WxFailure) return error.answer
  if (error instanceof AppError) {
    const detail = error.errors && error.errors.length > 0 ? error.errors.map((e) => `${e.field} ${e.code}`).join('; ') : error.detail
    return wxError(errcodeOfNative(error.code), detail)
  }
  return wxError(-1)
}

// ---------------------------------------------------------------------------------------------------
// Credentials

export interface NewWechatApp {
  app: WechatAppRow
  secret: string
}

const newSecret = () => randomBytes(16).toString('hex')

export async function createWechatApp(
  ctx: AppContext,
  merchantId: string,
  input: { scope?: Scope; store_id?: string | null; original_id?: string; create_as_draft?: boolean },
): Promise<NewWechatApp> {
  const { db } = ctx.database
  if (input.store_id && !(await findStore(db, merchantId, input.store_id))) throw new AppError('store_not_found', `There is no store ${input.store_id}.`)
  const now = ctx.clock.now()
  const secret = newSecret()
  const app: WechatAppRow = {
    merchant_id: merchantId,
    appid: `wx${randomBytes(8).toString('hex')}`,
    secret_hash: hashToken(secret),
    original_id: input.original_id ?? `gh_${randomBytes(6).toString('hex')}`,
    scope: input.scope ?? 'full',
    store_id: input.store_id ?? null,
    create_as_draft: input.create_as_draft ? 1 : 0,
    status: 'active',
    generation: 1,
    created_at: now,
    updated_at: now,
  }
  await insertWechatApp(db, app)
  return { app, secret }
}

export function listApps(ctx: AppContext, merchantId: string): Promise<WechatAppRow[]> {
  return listWechatApps(ctx.database.db, merchantId)
}

async function ownApp(ctx: AppContext, merchantId: string, appid: string): Promise<WechatAppRow> {
  const app = await findWechatApp(ctx.database.db, appid)
  if (!app || app.merchant_id !== merchantId) throw new AppError('wechat_app_not_found', 'There is no WeChat app credential with this appid.')
  const { timezone: _tz, ...row } = app
  return row
}

/** A new secret; every token of the old one stops working at once (a new generation). */
export async function rotateSecret(ctx: AppContext, merchantId: string, appid: string): Promise<NewWechatApp> {
  const app = await ownApp(ctx, merchantId, appid)
  const secret = newSecret()
  const changes = { secret_hash: hashToken(secret), generation: app.generation + 1, updated_at: ctx.clock.now() }
  await updateWechatApp(ctx.database.db, merchantId, appid, changes)
  return { app: { ...app, ...changes }, secret }
}

export async function disableApp(ctx: AppContext, merchantId: string, appid: string): Promise<WechatAppRow> {
  const app = await ownApp(ctx, merchantId, appid)
  const changes = { status: 'disabled' as const, updated_at: ctx.clock.now() }
  await updateWechatApp(ctx.database.db, merchantId, appid, changes)
  return { ...app, ...changes }
}

// ---------------------------------------------------------------------------------------------------
// access_token

/** `cgi-bin/token`: checks appid and secret, issues a token (256 random bits) and gives the previous ones their 300 s. */
export async function fetchToken(ctx: AppContext, params: Record<string, unknown>): Promise<{ access_token: string; expires_in: number }> {
  return issueToken(ctx, await appOfCredentials(ctx, params))
}

/** The active app whose appid and secret a token call sends, checked in WeChat's order of errcodes. */
async function appOfCredentials(ctx: AppContext, params: Record<string, unknown>): Promise<WechatAppRow> {
  const grant = readString(params.grant_type)
  const appid = readString(params.appid)
  const secret = readString(params.secret)
  if (!grant.ok || grant.value !== 'client_credential') throw new WxFailure(40002)
  if (!appid.ok || appid.value === undefined) throw new WxFailure(41002)
  if (!secret.ok || secret.value === undefined) throw new WxFailure(41004)
  const app = await findWechatApp(ctx.database.db, appid.value)
  if (!app) throw new WxFailure(40013)
  if (app.status !== 'active' || !safeEqual(hashToken(secret.value), app.secret_hash)) throw new WxFailure(40001)
  return app
}

async function issueToken(ctx: AppContext, app: WechatAppRow): Promise<{ access_token: string; expires_in: number }> {
  const now = ctx.clock.now()
  const token = randomBytes(32).toString('base64url')
  await ctx.database.db.transaction().execute((tx) =>
    insertTokenSuperseding(tx, { token_hash: hashToken(token), merchant_id: app.merchant_id, appid: app.appid, generation: app.generation, token_sealed: ctx.secrets.seal(token), issued_at: now, expires_at: now + TOKEN_TTL_MS, superseded_at: null }),
  )
  return { access_token: token, expires_in: TOKEN_TTL_MS / 1000 }
}

/** `cgi-bin/stable_token`: the live token and what is left of it, a new one only when there is none or `force_refresh`. */
export async function stableToken(ctx: AppContext, params: Record<string, unknown>): Promise<{ access_token: string; expires_in: number }> {
  const force = readBool(params.force_refresh)
  const app = await appOfCredentials(ctx, params)
  const now = ctx.clock.now()
  const live = force.ok && force.value ? undefined : await findLiveToken(ctx.database.db, app.merchant_id, app.appid, app.generation, now)
  if (live) return { access_token: ctx.secrets.unseal(live.token_sealed), expires_in: Math.floor((live.expires_at - now) / 1000) }
  return issueToken(ctx, app)
}

export interface WxCaller {
  principal: MerchantPrincipal
  app: WechatAppRow
  /** The client address as the risk rules count it (set by the facade's routes). */
  address?: string | null
}

/** The merchant a token acts as: 41001 without one, 42001 past its 7200 s, 40001 for anything else unusable. */
export async function authenticateToken(ctx: AppContext, token: string | undefined): Promise<WxCaller> {
  if (!token) throw new WxFailure(41001)
  if (token.length > 512) throw new WxFailure(40001)
  const row = await findToken(ctx.database.db, hashToken(token))
  if (!row) throw new WxFailure(40001)
  const now = ctx.clock.now()
  if (now >= row.expires_at) throw new WxFailure(42001)
  if (row.superseded_at !== null && now >= row.superseded_at + TOKEN_OVERLAP_MS) throw new WxFailure(40001)
  const app = await findWechatApp(ctx.database.db, row.appid)
  if (!app || app.merchant_id !== row.merchant_id || app.status !== 'active' || app.generation !== row.generation) throw new WxFailure(40001)
  const { timezone, ...appRow } = app
  return {
    app: appRow,
    principal: { kind: 'merchant', merchantId: app.merchant_id, merchantTz: timezone, keyId: null, scope: app.scope, storeId: app.store_id, staffId: null },
  }
}

// ---------------------------------------------------------------------------------------------------
// Cards and codes, through the native services

const reqString = (value: unknown, field: string, missing: WxErrcode = 41011): string => {
  const read = readString(value)
  if (!read.ok) throw new WxFailure(40097, field)
  if (read.value === undefined) throw new WxFailure(missing, field)
  return read.value
}

/** The merchant's stores with their POI ids, numbering the stores that have none yet. */
export async function merchantPois(ctx: AppContext, merchantId: string): Promise<PoiRow[]> {
  const { pois, missing } = await listPois(ctx.database.db, merchantId)
  if (missing.length === 0) return pois
  return ctx.database.db.transaction().execute((tx) => assignPois(tx, merchantId))
}

/** The store ids a `location_id_list` names (POI ids or store ids); an unknown one is 40072. */
async function storesOfLocations(ctx: AppContext, merchantId: string, locations: readonly (string | number)[]): Promise<string[]> {
  if (locations.length === 0) return []
  const read = storeIdsOfLocations(locations, await merchantPois(ctx, merchantId))
  if (!read.ok) throw new WxFailure(40072, read.unknown)
  return read.storeIds
}

export async function createWechatCard(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>): Promise<{ card_id: string }> {
  const card = body.card
  if (card === null || typeof card !== 'object' || Array.isArray(card)) throw new WxFailure(41011, 'card')
  const type = readString((card as Record<string, unknown>).card_type)
  if (type.ok && type.value?.toUpperCase() === 'MEMBER_CARD') return createWechatMemberCard(ctx, caller, card as Record<string, unknown>)
  const read = cardFromWechat(card as Record<string, unknown>, ctx.clock.now())
  if (!read.ok) throw new WxFailure(read.errcode, read.detail)
  if (!('draft' in read)) throw new WxFailure(-1)
  const storeIds = await storesOfLocations(ctx, caller.principal.merchantId, read.locations)
  // WeChat's codes are digits only, and integrations and tills built for them expect digits: numeric codes.
  const input: CardInput = { ...read.draft, store_ids: storeIds, draft: caller.app.create_as_draft === 1, code_format: 'numeric' }
  const created = await createCard(ctx, caller.principal.merchantId, input)
  await upsertWechatCard(ctx.database.db, caller.principal.merchantId, created.card.id, { ...(card as object), kabao_permanent: read.permanent }, ctx.clock.now())
  return { card_id: created.card.id }
}

export async function getWechatCard(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>): Promise<{ card: Record<string, unknown> }> {
  const cardId = reqString(body.card_id, 'card_id', 41012)
  if (isMemberCardId(cardId)) return getWechatMemberCard(ctx, caller, cardId)
  const { merchantId } = caller.principal
  const found = await getCard(ctx, merchantId, cardId)
  const definition = await findWechatCard(ctx.database.db, merchantId, cardId)
  const { card, terms } = found
  const poiIds = terms.store_ids.length > 0 ? poiIdsOfStores(terms.store_ids, await merchantPois(ctx, merchantId)) : []
  return {
    card: cardToWechat({ id: card.id, status: card.status, stock_remaining: card.stock_remaining, issued_count: card.issued_count, get_limit: card.get_limit, code_type: card.code_type, code_format: card.code_format ?? 'alphanumeric', version: card.version, terms, definition, permanent: definition?.kabao_permanent === true, poiIds }),
  }
}

/** Who looks codes up, as the risk rules count wrong codes: the app (a facade credential is no API key) and the client address. */
function riskWhoOf(caller: WxCaller) {
  return { riskKey: `wechat:${caller.app.appid}`, clientAddress: caller.address ?? null }
}

/**
 * The coupon of a code, checked against the `card_id` sent: a code of another card is unknown (40056).
 * Judged as a native look-up is (lookUpJudged): refused while the key or address is blocked (48001), and an
 * unknown code (neither a coupon's nor a member's) counts as a wrong code for the risk rules.
 */
async function couponOf(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const code = reqString(body.code, 'code')
  const cardId = readString(body.card_id)
  if (!cardId.ok) throw new WxFailure(40097, 'card_id')
  const found = await lookUpJudged(ctx, caller.principal, riskWhoOf(caller), () => findCouponByCode(ctx, caller.principal.merchantId, code).catch(async (error: unknown) => {
    // A member card's code is no coupon: what a consume of it answers (40071) is the caller's to say.
    const member = error instanceof AppError && error.code === 'code_not_found' ? await memberCodeOf(ctx, caller.principal.merchantId, code) : undefined
    if (member && (cardId.value === undefined || cardId.value === member.member_card_id)) throw new MemberCode(member.member_card_id, member.user_id)
    throw error
  }))
  if (cardId.value !== undefined && cardId.value !== found.coupon.card_id) throw new WxFailure(40056)
  return { code, found }
}

/** Thrown by couponOf for the code of a member: not a coupon, so never consumed (40071). */
class MemberCode extends WxFailure {
  readonly cardId: string
  readonly openid: string
  constructor(cardId: string, openid: string) {
    super(40071, 'a member card’s code is not consumed')
    this.cardId = cardId
    this.openid = openid
  }
}

export async function getWechatCode(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const check = readBool(body.check_consume)
  if (!check.ok) throw new WxFailure(40097, 'check_consume')
  let found: Awaited<ReturnType<typeof couponOf>>['found']
  try {
    found = (await couponOf(ctx, caller, body)).found
  } catch (error) {
    // A member's code: a normal card that cannot be consumed (a consume answers 40071).
    if (!(error instanceof MemberCode) || check.value !== false) throw error
    return { openid: error.openid, card: { card_id: error.cardId, begin_time: 0, end_time: 0 }, can_consume: false, user_card_status: 'NORMAL' }
  }
  const now = ctx.clock.now()
  const { coupon } = found
  const state = effectiveCouponState(coupon, now)
  const status = userCardStatusOf(state, coupon.voided_by ?? null)
  const withinValidity = coupon.valid_from <= now && now <= coupon.valid_until
  if (check.value !== false) {
    if (state === 'redeemed') throw new WxFailure(40099)
    if (status !== 'NORMAL') throw new WxFailure(40127)
    if (!withinValidity) throw new WxFailure(40079)
  }
  return {
    openid: coupon.user_id,
    card: { card_id: coupon.card_id, begin_time: Math.floor(coupon.valid_from / 1000), end_time: Math.floor(coupon.valid_until / 1000) },
    can_consume: status === 'NORMAL' && withinValidity,
    user_card_status: status,
  }
}

export async function consumeWechatCode(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, requestRef: string | null) {
  const { code } = await couponOf(ctx, caller, body)
  const location = readString(body.location_id)
  if (!location.ok) throw new WxFailure(40097, 'location_id')
  // A till-bound credential consumes at its own store; otherwise the POI id (or store id) sent, if any.
  const storeId = caller.principal.storeId || location.value === undefined ? null : (await storesOfLocations(ctx, caller.principal.merchantId, [location.value]))[0]
  const result = await redeem(ctx, caller.principal, { code, storeId, orderAmount: null, withoutOrder: true, channel: 'api', requestRef, ...riskWhoOf(caller) })
  return { openid: result.coupon.user_id, card: { card_id: result.coupon.card_id } }
}

/** Kabao's own `kabao/card/issue`: the native issue for server-side giving. */
export async function issueWechatCard(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const cardId = reqString(body.card_id, 'card_id', 41012)
  const openid = reqString(body.openid, 'openid')
  if (openid.length > 128) throw new WxFailure(45021, 'openid')
  const outer = readString(body.outer_str)
  if (!outer.ok) throw new WxFailure(40097, 'outer_str')
  if (outer.value !== undefined && outer.value.length > MAX_TAG_LENGTH) throw new WxFailure(45021, 'outer_str')
  if (isMemberCardId(cardId)) return issueWechatMember(ctx, caller, cardId, openid, outer.value ?? null)
  const issued = await issueCoupon(ctx, { merchantId: caller.principal.merchantId, merchantTz: caller.principal.merchantTz, cardId, userId: openid, source: 'api', tags: { channel: outer.value ?? null, campaign: null } })
  return { code: issued.code, card_id: cardId, openid }
}

// ---------------------------------------------------------------------------------------------------
// More card calls (§2.2.3–2.2.5)

/** `card/batchget`: the merchant's card ids in creation order, `count` clamped to 1…50. */
export async function batchGetCards(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const offset = readInt(body.offset, 0)
  const count = readInt(body.count)
  if (!offset.ok) throw new WxFailure(40097, 'offset')
  if (!count.ok) throw new WxFailure(40097, 'count')
  const raw = body.status_list
  const list = raw === undefined || raw === null || raw === '' ? null : Array.isArray(raw) ? raw : [raw]
  if (list && list.some((s) => typeof s !== 'string')) throw new WxFailure(40097, 'status_list')
  const statuses = list ? [...new Set((list as string[]).flatMap(nativeStatusesOf))] : null
  const { ids, total } = await listCardIds(ctx.database.db, caller.principal.merchantId, statuses, offset.value ?? 0, Math.min(50, Math.max(1, count.value ?? 50)))
  return { card_id_list: ids, total_num: total }
}

/** `card/update`: the native change; promised terms make a new version, date_info may only widen. */
export async function updateWechatCard(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const cardId = reqString(body.card_id, 'card_id', 41012)
  if (isMemberCardId(cardId)) throw new WxFailure(48001, 'a member card’s terms do not change; make a new member card')
  const { merchantId } = caller.principal
  const current = await getCard(ctx, merchantId, cardId)
  const definition = await findWechatCard(ctx.database.db, merchantId, cardId)
  const read = cardUpdateFromWechat(body, current.terms, definition?.kabao_permanent === true, ctx.clock.now())
  if (!read.ok) throw new WxFailure(read.errcode, read.detail)
  const change: Partial<CardInput> = { ...read.change }
  if (read.locations) change.store_ids = await storesOfLocations(ctx, merchantId, read.locations)
  if (Object.keys(change).length > 0) await updateCard(ctx, merchantId, cardId, change)
  if (Object.keys(read.sent).length > 0) {
    await upsertWechatCard(ctx.database.db, merchantId, cardId, { ...mergeDefinition(definition, current.terms.type, read.sent), kabao_permanent: definition?.kabao_permanent === true }, ctx.clock.now())
  }
  return { send_check: false }
}

/** `card/modifystock`: increase − reduce, never below zero (40122, nothing changed). */
export async function modifyWechatStock(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, requestRef: string | null) {
  const cardId = reqString(body.card_id, 'card_id', 41012)
  const increase = readInt(body.increase_stock_value, 0, 1_000_000_000)
  const reduce = readInt(body.reduce_stock_value, 0, 1_000_000_000)
  if (!increase.ok) throw new WxFailure(40097, 'increase_stock_value')
  if (!reduce.ok) throw new WxFailure(40097, 'reduce_stock_value')
  const delta = (increase.value ?? 0) - (reduce.value ?? 0)
  if (isMemberCardId(cardId)) throw new WxFailure(48001, 'a member card takes every member: it has no stock to change')
  if (delta === 0) await getCard(ctx, caller.principal.merchantId, cardId)
  else await changeStock(ctx, caller.principal.merchantId, cardId, delta, requestRef)
  return {}
}

/** `card/delete`: the card ends; issued coupons stay valid. */
export async function deleteWechatCard(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const cardId = reqString(body.card_id, 'card_id', 41012)
  // A member card stops taking members (paused); its members keep card, points and balance.
  if (isMemberCardId(cardId)) await setMemberCardStatus(ctx, caller.principal.merchantId, cardId, 'paused')
  else await changeCardStatus(ctx, caller.principal.merchantId, cardId, 'end')
  return {}
}

// ---------------------------------------------------------------------------------------------------
// More code calls (§2.4, §2.5)

export async function decryptWechatCode(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const sealed = reqString(body.encrypt_code, 'encrypt_code')
  let raw = sealed
  try {
    // A client may send the value still percent-encoded, as it came in the page's URL.
    raw = decodeURIComponent(sealed)
  } catch {
    throw new WxFailure(40075)
  }
  const code = await decryptCodeOf(ctx, caller.principal.merchantId, raw)
  if (code === undefined) throw new WxFailure(40075)
  return { code }
}

/** A new generation of the merchant's encrypt_code key: every encrypt_code handed out before stops opening (40075). */
export async function rotateEncryptCodeKey(ctx: AppContext, merchantId: string): Promise<{ generation: number; rotated_at: number }> {
  const now = ctx.clock.now()
  const generation = await ctx.database.db.transaction().execute((tx) => rotateCodeKey(tx, merchantId, now))
  return { generation, rotated_at: now }
}

/** `card/code/unavailable`: the native void with its reason; voiding again is errcode 0, a consumed code 40099. */
export async function unavailableWechatCode(ctx: AppContext, caller: WxCaller, params: Record<string, unknown>) {
  const { code } = await couponOf(ctx, caller, params)
  const reason = readString(params.reason)
  if (!reason.ok) throw new WxFailure(40097, 'reason')
  if (reason.value !== undefined && reason.value.length > 500) throw new WxFailure(45021, 'reason')
  await voidCoupon(ctx, caller.principal.merchantId, caller.principal.merchantTz, code, reason.value ?? null)
  return {}
}

/** `card/code/update`: Kabao generates every code, so no card may change one (43009); an unknown code is 40056 first. */
export async function updateWechatCode(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  await couponOf(ctx, caller, body)
  reqString(firstPresent(body, 'new_code', 'newcode'), 'new_code')
  throw new WxFailure(43009, 'new_code')
}

/** `card/user/getcardlist`: the openid's coupons still in the wallet (available, not yet valid, gifting). */
export async function userCardList(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const openid = reqString(body.openid, 'openid')
  const cardId = readString(body.card_id)
  if (!cardId.ok) throw new WxFailure(40097, 'card_id')
  const now = ctx.clock.now()
  const rows = await listUserCoupons(ctx.database.db, caller.principal.merchantId, openid, { cardId: cardId.value, now, before: null, limit: 1000 })
  const kept = rows.filter((row) => ['available', 'gifting'].includes(effectiveCouponState(row, now))).reverse()
  const members = await userMemberCards(ctx, caller.principal.merchantId, openid, cardId.value)
  return { card_list: [...kept.map((row) => ({ code: ctx.secrets.decryptCode(row.code_enc), card_id: row.card_id })), ...members], has_share_card: false }
}

// ---------------------------------------------------------------------------------------------------
// QR codes (§2.3): a native claim link behind an opaque ticket

const QR_MIN_S = 60
const QR_MAX_S = 1800
/** WeChat's limit on the cards of one QR_MULTIPLE_CARD (its documentation: at most 5). */
export const QR_MULTIPLE_MAX_CARDS = 5

/**
 * A card QR codes and landing pages may offer: a coupon card or a member card (`mcd_…`, claimed by joining),
 * with its face. Unknown or another merchant's → 40073 (as the native not-found maps); not active → 40078.
 */
async function claimableCard(ctx: AppContext, merchantId: string, cardId: string): Promise<{ title: string; subtitle: string | null }> {
  if (isMemberCardId(cardId)) {
    const { row, terms } = await findMemberCard(ctx.database.db, merchantId, cardId)
    if (row.status !== 'active') throw new WxFailure(40078)
    return { title: terms.title, subtitle: terms.subtitle }
  }
  const found = await getCard(ctx, merchantId, cardId)
  if (found.card.status !== 'active') throw new WxFailure(40078)
  return { title: found.terms.title, subtitle: found.terms.subtitle }
}

/** The channel tag of a QR entry: `outer_str`, else `outer_id` as a string (≤ 64 characters, else 45021). */
function outerOf(fields: Record<string, unknown>): string | undefined {
  const outerStr = readString(fields.outer_str)
  const outerId = readInt(fields.outer_id)
  if (!outerStr.ok || !outerId.ok) throw new WxFailure(40097, 'outer_str, outer_id')
  const outer = outerStr.value ?? (outerId.value !== undefined ? String(outerId.value) : undefined)
  if (outer !== undefined && outer.length > MAX_TAG_LENGTH) throw new WxFailure(45021, 'outer_str')
  return outer
}

/** `expire_seconds`: absent, null or 0 → permanent (null); else clamped to 60…1800. */
function qrSecondsOf(body: Record<string, unknown>): number | null {
  const expire = readInt(body.expire_seconds, 0)
  if (!expire.ok) throw new WxFailure(40097, 'expire_seconds')
  return !expire.value ? null : Math.min(QR_MAX_S, Math.max(QR_MIN_S, expire.value))
}

export async function createWechatQrcode(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, showUrl: (ticket: string) => string, pageUrl: (token: string) => string) {
  const action = readString(body.action_name)
  const name = action.ok ? action.value?.toUpperCase() : undefined
  if (name === 'QR_MULTIPLE_CARD') return createMultipleCardQrcode(ctx, caller, body, showUrl, pageUrl)
  if (name !== 'QR_CARD') throw new WxFailure(40053)
  const info = readObject(body.action_info)
  const card = info.ok ? readObject(info.value?.card) : { ok: false as const }
  if (!card.ok || card.value === undefined) throw new WxFailure(40053)
  const fields = card.value
  const cardId = reqString(fields.card_id, 'card_id', 41012)
  const seconds = qrSecondsOf(body)
  const unique = readBool(fields.is_unique_code)
  const openid = readString(fields.openid)
  if (!unique.ok) throw new WxFailure(40097, 'is_unique_code')
  if (!openid.ok) throw new WxFailure(40097, 'openid')
  const outer = outerOf(fields)
  if (openid.value !== undefined && openid.value.length > 128) throw new WxFailure(45021, 'openid')
  const { merchantId } = caller.principal
  await claimableCard(ctx, merchantId, cardId)
  const now = ctx.clock.now()
  const expiresAt = seconds === null ? null : now + seconds * 1000
  // The channel tag goes to every coupon claimed through the link and its events; an openid reserves the link for that user.
  // A member card's link joins the member card (claim-links joinThroughLink): one membership per user.
  const link = await createClaimLink(ctx, merchantId, cardId, { maxClaims: unique.value ? 1 : null, expiresAt, tags: { channel: outer ?? null, campaign: null }, forUserId: openid.value ?? null })
  const ticket = randomToken(24)
  await insertWechatQrcode(ctx.database.db, { ticket_hash: hashToken(ticket), merchant_id: merchantId, claim_link_id: link.id, card_id: cardId, openid: openid.value ?? null, outer_str: outer ?? null, expires_at: expiresAt, created_at: now })
  return { ticket, ...(seconds === null ? {} : { expire_seconds: seconds }), url: linkUrl(ctx, cardId, claimLinkToken(ctx.secrets, link)), show_qrcode_url: showUrl(ticket) }
}

/**
 * `QR_MULTIPLE_CARD` `{multiple_card:{card_list:[{card_id, outer_str?|outer_id?}, …]}}` (1 to 5 distinct cards):
 * a landing page offering the cards, each through a native claim link of its own tagged with its entry's
 * `outer_str`; the page and its links expire with the QR code. Everything is checked before anything is written.
 */
async function createMultipleCardQrcode(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, showUrl: (ticket: string) => string, pageUrl: (token: string) => string) {
  const info = readObject(body.action_info)
  const multiple = info.ok ? readObject(info.value?.multiple_card) : { ok: false as const }
  const list = multiple.ok ? multiple.value?.card_list : undefined
  if (!Array.isArray(list) || list.length === 0 || list.length > QR_MULTIPLE_MAX_CARDS) throw new WxFailure(40053)
  const entries: { card_id: string; outer: string | null }[] = []
  for (const entry of list) {
    const item = readObject(entry)
    if (!item.ok || item.value === undefined) throw new WxFailure(40053)
    const cardId = readString(item.value.card_id)
    if (!cardId.ok || cardId.value === undefined) throw new WxFailure(40053)
    if (entries.some((e) => e.card_id === cardId.value)) throw new WxFailure(40053)
    entries.push({ card_id: cardId.value, outer: outerOf(item.value) ?? null })
  }
  const seconds = qrSecondsOf(body)
  const { merchantId } = caller.principal
  for (const entry of entries) await claimableCard(ctx, merchantId, entry.card_id)
  const now = ctx.clock.now()
  const expiresAt = seconds === null ? null : now + seconds * 1000
  const cards: { card_id: string; thumb_url: string | null; claim_link_id: string }[] = []
  for (const entry of entries) {
    const link = await createClaimLink(ctx, merchantId, entry.card_id, { maxClaims: null, expiresAt, tags: { channel: entry.outer, campaign: null } })
    cards.push({ card_id: entry.card_id, thumb_url: null, claim_link_id: link.id })
  }
  const token = randomToken(24)
  const page = { merchant_id: merchantId, token_hash: hashToken(token), page_title: '领取卡券', banner: null, can_share: 1 as const, scene: null, cards, created_at: now, expires_at: expiresAt }
  const ticket = randomToken(24)
  await ctx.database.db.transaction().execute(async (tx) => {
    await insertLandingPage(tx, page)
    await insertWechatQrcode(tx, { ticket_hash: hashToken(ticket), merchant_id: merchantId, claim_link_id: cards[0].claim_link_id, card_id: cards[0].card_id, openid: null, outer_str: null, expires_at: expiresAt, created_at: now, page_token_sealed: ctx.secrets.seal(token) })
  })
  return { ticket, ...(seconds === null ? {} : { expire_seconds: seconds }), url: pageUrl(token), show_qrcode_url: showUrl(ticket) }
}

/** The page a ticket stands for (a claim page, or a QR_MULTIPLE_CARD's page), for `cgi-bin/showqrcode` (no token: the ticket is the secret). */
export async function qrcodeTarget(ctx: AppContext, ticket: string | undefined, pageUrl: (token: string) => string): Promise<string> {
  if (!ticket || ticket.length > 200) throw new WxFailure(40097, 'ticket')
  const row = await findWechatQrcode(ctx.database.db, hashToken(ticket))
  if (!row || (row.expires_at !== null && ctx.clock.now() >= row.expires_at)) throw new WxFailure(40097, 'ticket')
  if (row.page_token_sealed) return pageUrl(ctx.secrets.unseal(row.page_token_sealed))
  const link = await getClaimLink(ctx.database.db, row.merchant_id, row.claim_link_id)
  return linkUrl(ctx, link.card_id, claimLinkToken(ctx.secrets, link))
}

// ---------------------------------------------------------------------------------------------------
// Landing pages (§2.3): a page listing cards, each with a native claim link

const isWebUrl = (url: string) => /^https?:\/\/[^\s]+$/i.test(url) && url.length <= 1000

export async function createWechatLandingPage(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, pageUrl: (token: string) => string) {
  const title = reqString(body.page_title, 'page_title')
  if ([...title].length > 64) throw new WxFailure(45021, 'page_title')
  const banner = readString(body.banner)
  if (!banner.ok || (banner.value !== undefined && !isWebUrl(banner.value))) throw new WxFailure(40097, 'banner')
  const share = readBool(body.can_share)
  if (!share.ok) throw new WxFailure(40097, 'can_share')
  const scene = readString(body.scene)
  if (!scene.ok || (scene.value !== undefined && scene.value.length > 64)) throw new WxFailure(40097, 'scene')
  const list = body.card_list
  if (list === undefined || list === null) throw new WxFailure(41011, 'card_list')
  if (!Array.isArray(list) || list.length === 0 || list.length > 20) throw new WxFailure(40097, 'card_list (1 to 20 cards)')
  const { merchantId } = caller.principal
  const entries: { card_id: string; thumb_url: string | null }[] = []
  for (const entry of list) {
    const item = readObject(entry)
    if (!item.ok || item.value === undefined) throw new WxFailure(40097, 'card_list')
    const cardId = reqString(item.value.card_id, 'card_id', 41012)
    const thumb = readString(item.value.thumb_url)
    if (!thumb.ok || (thumb.value !== undefined && !isWebUrl(thumb.value))) throw new WxFailure(40097, 'thumb_url')
    await claimableCard(ctx, merchantId, cardId)
    entries.push({ card_id: cardId, thumb_url: thumb.value ?? null })
  }
  const cards = []
  for (const entry of entries) cards.push({ ...entry, claim_link_id: (await createClaimLink(ctx, merchantId, entry.card_id, { maxClaims: null, expiresAt: null, tags: { channel: scene.value ?? null, campaign: null } })).id })
  const token = randomToken(24)
  const row = { merchant_id: merchantId, token_hash: hashToken(token), page_title: title, banner: banner.value ?? null, can_share: (share.value === false ? 0 : 1) as 0 | 1, scene: scene.value ?? null, cards, created_at: ctx.clock.now() }
  const pageId = await ctx.database.db.transaction().execute((tx) => insertLandingPage(tx, row))
  return { url: pageUrl(token), page_id: pageId }
}

/** A landing page's texts and its cards still active with their claim pages; unknown token or expired page → undefined. */
export async function landingPageOf(ctx: AppContext, token: string) {
  if (!/^[A-Za-z0-9_-]{32}$/.test(token)) return undefined
  const page = await findLandingPage(ctx.database.db, hashToken(token))
  if (!page || (page.expires_at != null && ctx.clock.now() >= page.expires_at)) return undefined
  const cards = []
  for (const entry of page.cards) {
    const face = await claimableCard(ctx, page.merchant_id, entry.card_id).catch((error: unknown) => {
      if (error instanceof WxFailure) return undefined
      throw error
    })
    if (!face) continue
    const link = await getClaimLink(ctx.database.db, page.merchant_id, entry.claim_link_id)
    cards.push({ title: face.title, subtitle: face.subtitle, thumb_url: entry.thumb_url, claim_url: linkUrl(ctx, entry.card_id, claimLinkToken(ctx.secrets, link)) })
  }
  return { page, cards }
}
