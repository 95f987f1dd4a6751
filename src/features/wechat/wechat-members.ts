// WeChat member cards (WECHAT-API.md §2.6) through the native member-card, member, points and stored-value
// services: a second door onto them, with no rule of its own. What WeChat has and Kabao does not (the code
// identifying a member at tills, activation and its display fields) is kept in wechat_member_codes.
import type { AppContext } from '../../app-context.ts'
import type { Db, Tx } from '../../db/database.ts'
import { fromJson } from '../../db/database.ts'
import { hasValidCheckDigit, looksNumeric, normalizeCode } from '../../domain/codes.ts'
import type { Profile } from '../../domain/member-card-rules.ts'
import {
  balanceChangeOf, MAX_MEMBERSHIP_NUMBER, MAX_RECORD, memberCardFromWechat, memberCardToWechat, memberFieldsOf, memberUserInfo, touchesBalances, type MemberFields,
} from '../../domain/wechat-member-cards.ts'
import { readInt, readString } from '../../domain/wechat-parse.ts'
import type { WxErrcode } from '../../domain/wechat-errcodes.ts'
import { AppError } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { createMemberCard, findMemberCard, setMemberCardStatus } from '../member-cards/member-cards.service.ts'
import type { MemberCardInput } from '../member-cards/member-cards.schemas.ts'
import { joinMember } from '../members/members.service.ts'
import { findMember, listMembers, lockMemberWithCard, updateMember, type MemberRow } from '../members/members.repository.ts'
import { findPointsEntryByRequest, postPointsInTx } from '../points/points.ledger.ts'
import { findStoredValueEntryByRequest, postStoredValueInTx } from '../stored-value/stored-value.ledger.ts'
import { memberCodeIn } from './wechat-member-codes.ts'
import {
  findMemberCodeByHash, findWechatCard, markMemberActivated, updateMemberCodeFields, upsertWechatCard, type WechatMemberCodeRow,
} from './wechat.repository.ts'
import { WxFailure, type WxCaller } from './wechat.service.ts'

/** Member cards are `mcd_…`, coupon cards `crd_…`: the same `card_id` field names either. */
export const isMemberCardId = (cardId: string): boolean => cardId.startsWith('mcd_')

const required = (value: unknown, field: string, missing: WxErrcode = 41011): string => {
  const read = readString(value)
  if (!read.ok) throw new WxFailure(40097, field)
  if (read.value === undefined) throw new WxFailure(missing, field)
  return read.value
}

const optional = (value: unknown, field: string, max: number): string | undefined => {
  const read = readString(value)
  if (!read.ok) throw new WxFailure(40097, field)
  if (read.value !== undefined && [...read.value].length > max) throw new WxFailure(45021, field)
  return read.value
}

// ---------------------------------------------------------------------------------------------------
// Definitions

/** `card/create` with `member_card`: a native member card with one level; the WeChat definition is kept. */
export async function createWechatMemberCard(ctx: AppContext, caller: WxCaller, card: Record<string, unknown>): Promise<{ card_id: string }> {
  const read = memberCardFromWechat(card)
  if (!read.ok) throw new WxFailure(read.errcode, read.detail)
  const { merchantId } = caller.principal
  const created = await createMemberCard(ctx, merchantId, read.draft as MemberCardInput)
  await upsertWechatCard(ctx.database.db, merchantId, created.row.id, card, ctx.clock.now())
  if (caller.app.create_as_draft === 1) await setMemberCardStatus(ctx, merchantId, created.row.id, 'paused')
  return { card_id: created.row.id }
}

/** `card/get` of a member card, native or made through the facade. */
export async function getWechatMemberCard(ctx: AppContext, caller: WxCaller, cardId: string): Promise<{ card: Record<string, unknown> }> {
  const { merchantId } = caller.principal
  const { row, terms } = await findMemberCard(ctx.database.db, merchantId, cardId)
  const definition = await findWechatCard(ctx.database.db, merchantId, cardId)
  return { card: memberCardToWechat({ id: row.id, status: row.status, member_count: row.member_count, terms, definition }) }
}

// ---------------------------------------------------------------------------------------------------
// Claims and codes

/** The member's code, drawn on its first use (a claim, or the first call that names a member joined natively). */
const codeOfMember = (ctx: AppContext, member: MemberRow) => memberCodeIn(ctx, ctx.database.db, member)

/** `kabao/card/issue` of a member card: the native join (`user_id` = openid, `outer_str` its event's channel) and the member's code. A second claim → 45033. */
export async function issueWechatMember(ctx: AppContext, caller: WxCaller, cardId: string, openid: string, channel: string | null) {
  const { merchantId, merchantTz } = caller.principal
  // The member's code is drawn in the join's transaction: the member.joined push already carries it.
  const joined = await joinMember(ctx, { merchantId, merchantTz }, cardId, { userId: openid, profile: {}, consent: false, referrerMemberId: null, channel, withinJoin: async (tx, member) => void (await memberCodeIn(ctx, tx, member)) })
  const { code } = await codeOfMember(ctx, joined.member)
  return { code, card_id: cardId, openid }
}

/** The member a code names (undefined when it names none); the check digit is verified before the lookup. */
export async function memberCodeOf(ctx: AppContext, merchantId: string, rawCode: string): Promise<WechatMemberCodeRow | undefined> {
  const code = normalizeCode(rawCode)
  if (!looksNumeric(code) || !hasValidCheckDigit(code)) return undefined
  return findMemberCodeByHash(ctx.database.db, merchantId, ctx.secrets.codeLookupHash(code))
}

/** The member of a `{code, card_id}` body: an unknown code, another merchant's or a `card_id` not the code's → 40056. */
async function memberOf(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, cardIdRequired: boolean): Promise<WechatMemberCodeRow> {
  const raw = required(body.code, 'code')
  const cardId = cardIdRequired ? required(body.card_id, 'card_id', 41012) : readString(body.card_id)
  const expected = typeof cardId === 'string' ? cardId : cardId.ok ? cardId.value : undefined
  if (typeof cardId !== 'string' && !cardId.ok) throw new WxFailure(40097, 'card_id')
  const row = await memberCodeOf(ctx, caller.principal.merchantId, raw)
  if (!row || (expected !== undefined && expected !== row.member_card_id)) throw new WxFailure(40056)
  return row
}

/** The member codes of an openid, for `card/user/getcardlist`; members joined natively get their code here. */
export async function userMemberCards(ctx: AppContext, merchantId: string, openid: string, cardId: string | undefined): Promise<{ code: string; card_id: string }[]> {
  const { db } = ctx.database
  if (cardId !== undefined && !isMemberCardId(cardId)) return []
  const members = (await listMembers(db, merchantId, { userId: openid, ...(cardId ? { memberCardId: cardId } : {}) }, null, 100)).map(({ terms: _terms, ...member }) => member)
  const out = []
  for (const member of members) {
    const { code } = await codeOfMember(ctx, member)
    out.push({ code, card_id: member.member_card_id })
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// Activation, balances, user info

const fieldsOf = (row: WechatMemberCodeRow): MemberFields => (fromJson<MemberFields>(row.fields) ?? {}) as MemberFields

/** A `membership_number` another member of the card has → 40097, nothing changed. */
async function ensureNumberFree(db: Db, member: MemberRow, number: string): Promise<void> {
  if (number === member.member_number) return
  const taken = await listMembers(db, member.merchant_id, { memberCardId: member.member_card_id, memberNumber: number }, null, 1)
  if (taken.length > 0) throw new WxFailure(40097, 'membership_number is taken by another member')
}

/** Runs a posting transaction; a unique-key clash (a number or a source taken meanwhile) is 40097, nothing written. */
async function inTransaction<T>(ctx: AppContext, detail: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await ctx.database.db.transaction().execute(work)
  } catch (error) {
    if (ctx.database.isUniqueViolation(error)) throw new WxFailure(40097, detail)
    throw error
  }
}

/**
 * `membercard/activate`: the member becomes active; `membership_number` becomes the member number; on the
 * first activation only, `init_bonus` posts one points entry and `init_balance` one stored-value entry, in
 * one transaction with the rest. Later calls change number, background and fields.
 */
export async function activateWechatMember(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, requestRef: string | null) {
  const code = await memberOf(ctx, caller, body, false)
  const number = required(body.membership_number, 'membership_number')
  if ([...number].length > MAX_MEMBERSHIP_NUMBER) throw new WxFailure(45021, 'membership_number')
  const bonus = readInt(body.init_bonus, 0, 1_000_000_000_000)
  const balance = readInt(body.init_balance, 0, 1_000_000_000_000)
  if (!bonus.ok) throw new WxFailure(40097, 'init_bonus')
  if (!balance.ok) throw new WxFailure(40097, 'init_balance')
  const bonusRecord = optional(body.init_bonus_record, 'init_bonus_record', MAX_RECORD)
  const balanceRecord = optional(body.init_balance_record, 'init_balance_record', MAX_RECORD)
  const fields = memberFieldsOf(body, fieldsOf(code), true)
  if (!fields.ok) throw new WxFailure(fields.errcode, fields.detail)
  const { merchantId, merchantTz } = caller.principal
  const now = ctx.clock.now()
  await inTransaction(ctx, 'membership_number is taken by another member', async (tx) => {
    const { member, card } = await lockMemberWithCard(tx, merchantId, code.member_id)
    await ensureNumberFree(tx, member, number)
    let current = member.member_number === number ? member : await updateMember(tx, merchantId, member.id, { member_number: number, updated_at: now })
    const first = await markMemberActivated(tx, merchantId, member.id, now)
    if (first && bonus.value) {
      current = (await postPointsInTx(tx, { notifier: ctx.notifier, member: current, terms: card.terms, merchantTz, delta: bonus.value, type: 'adjustment', reason: bonusRecord ?? 'activate', sourceRef: `wechat-activate:${member.id}`, requestRef, now })).member
    }
    if (first && balance.value) {
      if (!card.terms.stored_value.enabled) throw new AppError('stored_value_not_enabled', 'This member card does not take stored value.')
      await postStoredValueInTx(tx, { notifier: ctx.notifier, member: current, delta: balance.value, type: 'top_up', reason: balanceRecord ?? 'activate', paymentRef: null, sourceRef: `wechat-activate:${member.id}`, requestRef, now })
    }
    await updateMemberCodeFields(tx, merchantId, member.id, fields.value, now)
  })
  return {}
}

/**
 * `membercard/updateuser`: `add_bonus` (signed) or `bonus` (the new total, its delta read under the
 * member's lock) posts one points entry with reason `record_bonus`; balance likewise in fen, one
 * stored-value entry. Both, and the display fields, in one transaction: a burn beyond a balance → 40097
 * and nothing posted. With an Idempotency-Key a retry after a crash finds its entries (native semantics);
 * without one a retry posts again, as on WeChat.
 */
export async function updateWechatMember(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>, requestRef: string | null) {
  const code = await memberOf(ctx, caller, body, true)
  const bonusRecord = optional(body.record_bonus, 'record_bonus', MAX_RECORD)
  const balanceRecord = optional(body.record_balance, 'record_balance', MAX_RECORD)
  const fields = memberFieldsOf(body, fieldsOf(code), false)
  if (!fields.ok) throw new WxFailure(fields.errcode, fields.detail)
  // The shape of the deltas is checked before anything is locked.
  const shape = balanceChangeOf(body, { points: 0, storedValue: 0 })
  if (!shape.ok) throw new WxFailure(shape.errcode, shape.detail)
  const touches = touchesBalances(body)
  const { merchantId, merchantTz } = caller.principal
  const { db } = ctx.database
  const memberId = code.member_id
  const answer = (member: MemberRow) => ({ result_bonus: member.points_balance, result_balance: member.stored_value_balance, openid: member.user_id })
  const posted = async (ref: string) => {
    const points = await findPointsEntryByRequest(db, merchantId, memberId, ref)
    const stored = await findStoredValueEntryByRequest(db, merchantId, memberId, ref)
    if (!points && !stored) return undefined
    const member = await findMember(db, merchantId, memberId)
    return { result_bonus: points?.balance_after ?? member.points_balance, result_balance: stored?.balance_after ?? member.stored_value_balance, openid: member.user_id }
  }
  const now = ctx.clock.now()
  return onceForRequest(requestRef, posted, () => inTransaction(ctx, 'posted at the same time by another request', async (tx) => {
    const { member, card } = await lockMemberWithCard(tx, merchantId, memberId)
    const change = balanceChangeOf(body, { points: member.points_balance, storedValue: member.stored_value_balance })
    if (!change.ok) throw new WxFailure(change.errcode, change.detail)
    let current = member
    if (touches.bonus && change.value.bonus !== 0) {
      current = (await postPointsInTx(tx, { notifier: ctx.notifier, member: current, terms: card.terms, merchantTz, delta: change.value.bonus, type: 'adjustment', reason: bonusRecord ?? 'WeChat updateuser', sourceRef: null, requestRef, now })).member
    }
    if (touches.balance) {
      if (!card.terms.stored_value.enabled) throw new AppError('stored_value_not_enabled', 'This member card does not take stored value.')
      if (change.value.balance !== 0) {
        const delta = change.value.balance
        current = (await postStoredValueInTx(tx, { notifier: ctx.notifier, member: current, delta, type: delta > 0 ? 'top_up' : 'payment', reason: balanceRecord ?? 'WeChat updateuser', paymentRef: null, sourceRef: null, requestRef, now })).member
      }
    }
    await updateMemberCodeFields(tx, merchantId, memberId, fields.value, now)
    return answer(current)
  }))
}

/** `membercard/userinfo/get`: the member, its profile, balances and activation. */
export async function wechatMemberUserInfo(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const code = await memberOf(ctx, caller, body, true)
  const { db } = ctx.database
  const member = await findMember(db, caller.principal.merchantId, code.member_id)
  const definition = await findWechatCard(db, caller.principal.merchantId, code.member_card_id)
  const memberCard = (definition?.[Object.keys(definition).find((k) => k.toLowerCase() === 'member_card') ?? 'member_card'] ?? {}) as Record<string, unknown>
  return memberUserInfo({
    openid: member.user_id,
    memberNumber: member.member_number,
    points: member.points_balance,
    storedValue: member.stored_value_balance,
    profile: (fromJson<Profile>(member.profile) ?? {}) as Profile,
    fields: fieldsOf(code),
    activated: code.activated_at !== null,
    definition: memberCard,
  })
}
