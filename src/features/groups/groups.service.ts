import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { decideGroupJoin, groupDeadline } from '../../domain/groups.ts'
import type { RiskSubject } from '../../domain/risk.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import { findCardWithTerms, addToStock, type CardWithTerms } from '../cards/cards.repository.ts'
import { takeFromAllowance, giveBackAllowance } from '../coupons/coupons.repository.ts'
import { issueHeldCouponInTx, validityForIssue } from '../coupons/coupons.service.ts'
import { recordEvent } from '../events/events.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { tellCustomer } from '../notifications/inbox.ts'
import { findMerchantLanguage } from '../notifications/notifications.repository.ts'
import { judgeRisk } from '../risk/risk.service.ts'
import {
  closeGroup, countGroupMember, findGroup, findGroupByRequest, findMemberByRequest, holdStock, insertGroup, insertGroupMember,
  findDueGroups, listGroupMembers, releaseGroupMembers, setMemberCoupon, type GroupMemberRow, type GroupRow,
} from './groups.repository.ts'

export type { GroupRow, GroupMemberRow }

export interface GroupWithMembers {
  group: GroupRow
  members: GroupMemberRow[]
  card: CardWithTerms
}

type RiskContext = Pick<RiskSubject, 'deviceId' | 'address'>

function groupNotFound(): AppError {
  return new AppError('group_not_found', 'There is no group with this id.')
}

function alreadyInGroup(): AppError {
  return new AppError('already_in_group', 'You are already in an open group of this card (or in this group).')
}

/** A group with its members and card, of the merchant; another merchant's group does not exist. */
export async function loadGroup(db: Db, merchantId: string, groupId: string): Promise<GroupWithMembers> {
  const group = await findGroup(db, merchantId, groupId)
  if (!group) throw groupNotFound()
  const [members, card] = await Promise.all([listGroupMembers(db, merchantId, groupId), findCardWithTerms(db, merchantId, group.card_id)])
  if (!card) throw groupNotFound()
  return { group, members, card }
}

/** The card's group option, checking the card takes a new member now (active, validity not ended). */
function groupOptionOf(found: CardWithTerms, now: number, merchantTz: string) {
  const option = found.terms.group
  if (!option) throw new AppError('group_not_offered', 'This card is not a group coupon; it has no groups to open.')
  validityForIssue(found, now, merchantTz)
  return option
}

function memberRow(customer: CustomerPrincipal, group: Pick<GroupRow, 'id' | 'card_id'>, now: number, requestRef: string | null): GroupMemberRow {
  return { merchant_id: customer.merchantId, group_id: group.id, user_id: customer.userId, card_id: group.card_id, open_card_id: group.card_id, coupon_id: null, joined_at: now, request_ref: requestRef }
}

/**
 * Opens a group of a group card with the customer as its first member, in one transaction: their
 * allowance of the card is taken (get_limit), and the whole group's coupons (`size`) are held from the
 * card's stock, so a group that fills can always be issued. A user is in one open group of a card at a time.
 */
export async function openGroup(ctx: AppContext, customer: CustomerPrincipal, cardId: string, requestRef: string | null = null, risk: RiskContext = {}): Promise<GroupWithMembers> {
  const { merchantId, merchantTz, userId } = customer
  const { db } = ctx.database
  const opened = async (ref: string) => {
    const group = await findGroupByRequest(db, merchantId, ref)
    return group && loadGroup(db, merchantId, group.id)
  }
  const groupId = await onceForRequest(requestRef, async (ref) => (await opened(ref))?.group.id, async () => {
    const found = await findCardWithTerms(db, merchantId, cardId)
    if (!found) throw new AppError('card_not_found', 'There is no card with this id.')
    // Checked before risk counts anything: a card without groups is a mistake, not an attempt.
    groupOptionOf(found, ctx.clock.now(), merchantTz)
    await judgeRisk(ctx, merchantId, { ...risk, userId }, 'join_group')
    const now = ctx.clock.now()
    return db.transaction().execute(async (tx) => {
      const card = await findCardWithTerms(tx, merchantId, cardId)
      if (!card) throw new AppError('card_not_found', 'There is no card with this id.')
      const option = groupOptionOf(card, now, merchantTz)
      const group: GroupRow = {
        id: newId('grp', now),
        merchant_id: merchantId,
        card_id: cardId,
        size: option.size,
        member_count: 1,
        state: 'open',
        opened_by: userId,
        expires_at: groupDeadline(option, now),
        created_at: now,
        closed_at: null,
        request_ref: requestRef,
      }
      await insertGroup(tx, group)
      if (!(await insertGroupMember(tx, memberRow(customer, group, now, null)))) throw alreadyInGroup()
      if (!(await takeFromAllowance(tx, merchantId, cardId, userId, card.card.get_limit))) {
        throw new AppError('get_limit_reached', `You already have the most coupons of this card allowed (${card.card.get_limit}).`)
      }
      // Held last, so that on PostgreSQL parallel openings queue on the card's row for the shortest time.
      const stockRemaining = await holdStock(tx, merchantId, cardId, option.size, now)
      if (stockRemaining === undefined) throw new AppError('out_of_stock', `The card has not enough stock left for a group of ${option.size}.`)
      await recordEvent(tx, {
        merchantId,
        type: 'group.opened',
        data: { group_id: group.id, card_id: cardId, user_id: userId, size: group.size, expires_at: group.expires_at, stock_held: group.size, stock_remaining: stockRemaining },
        now,
      })
      return group.id
    })
  })
  return loadGroup(db, merchantId, groupId)
}

/**
 * The customer joins a group, in one transaction: their membership (once per group, one open group per
 * card), their allowance, and one more member counted by a conditional update that never takes the group
 * past its size or its deadline. The member who fills it completes it: every member is issued their
 * coupon from the held stock, at once, in the same transaction.
 */
export async function joinGroup(ctx: AppContext, customer: CustomerPrincipal, groupId: string, requestRef: string | null = null, risk: RiskContext = {}): Promise<GroupWithMembers> {
  const { merchantId, merchantTz, userId } = customer
  const { db } = ctx.database
  const joined = async (ref: string) => (await findMemberByRequest(db, merchantId, ref))?.group_id
  const joinedId = await onceForRequest(requestRef, joined, async () => {
    // Refused without counting risk when the group cannot be joined anyway.
    const before = await findGroup(db, merchantId, groupId)
    if (!before) throw groupNotFound()
    const early = decideGroupJoin(before, ctx.clock.now())
    if (!early.ok) throw new AppError(early.error, early.detail)
    await judgeRisk(ctx, merchantId, { ...risk, userId }, 'join_group')
    const now = ctx.clock.now()
    return db.transaction().execute(async (tx) => {
      const group = await findGroup(tx, merchantId, groupId)
      if (!group) throw groupNotFound()
      const decision = decideGroupJoin(group, now)
      if (!decision.ok) throw new AppError(decision.error, decision.detail)
      const card = await findCardWithTerms(tx, merchantId, group.card_id)
      if (!card) throw groupNotFound()
      validityForIssue(card, now, merchantTz)
      if (!(await insertGroupMember(tx, memberRow(customer, group, now, requestRef)))) throw alreadyInGroup()
      if (!(await takeFromAllowance(tx, merchantId, group.card_id, userId, card.card.get_limit))) {
        throw new AppError('get_limit_reached', `You already have the most coupons of this card allowed (${card.card.get_limit}).`)
      }
      const count = await countGroupMember(tx, merchantId, groupId, now)
      if (count === undefined) {
        // Filled, completed or out of time between the read and the write.
        throw new AppError('group_closed', 'The group is full or closed.')
      }
      await recordEvent(tx, { merchantId, type: 'group.joined', data: { group_id: groupId, card_id: group.card_id, user_id: userId, members: count, size: group.size }, now })
      if (count === group.size) await completeGroupInTx(ctx, tx, { ...group, member_count: count }, card, merchantTz, now)
      return groupId
    })
  })
  return loadGroup(db, merchantId, joinedId)
}

/** Issues every member of a group that just filled their coupon, closes it, and tells them. */
async function completeGroupInTx(ctx: AppContext, tx: Db, group: GroupRow, card: CardWithTerms, merchantTz: string, now: number): Promise<void> {
  const { merchant_id: merchantId } = group
  if (!(await closeGroup(tx, merchantId, group.id, 'completed', now))) throw new Error(`group ${group.id} was not open when it filled`)
  const members = await listGroupMembers(tx, merchantId, group.id)
  if (members.length !== group.size) throw new Error(`group ${group.id} has ${members.length} members, not ${group.size}`)
  const language = await findMerchantLanguage(tx, merchantId)
  const coupons: { user_id: string; coupon_id: string }[] = []
  for (const member of members) {
    const issued = await issueHeldCouponInTx(
      ctx,
      tx,
      { merchantId, merchantTz, cardId: group.card_id, userId: member.user_id, source: 'group', sourceRef: `group:${group.id}:${member.user_id}`, found: card },
      now,
    )
    await setMemberCoupon(tx, merchantId, group.id, member.user_id, issued.coupon.id)
    coupons.push({ user_id: member.user_id, coupon_id: issued.coupon.id })
  }
  await releaseGroupMembers(tx, merchantId, group.id)
  await recordEvent(tx, { merchantId, type: 'group.completed', data: { group_id: group.id, card_id: group.card_id, size: group.size, coupons }, now })
  for (const { user_id, coupon_id } of coupons) {
    await tellCustomer(ctx.notifier, tx, {
      merchantId,
      userId: user_id,
      kind: 'group.completed',
      params: { title: card.terms.title, size: group.size },
      data: { group_id: group.id, card_id: group.card_id, coupon_id },
      dedupeKey: `group.completed:${group.id}:${user_id}`,
      language,
      now,
    })
  }
}

/**
 * Fails one open group whose time is up, in one transaction: the stock held for it goes back to the card,
 * each member's allowance back to them, nothing is issued, and the members are told. False when the group
 * was no longer open (it completed, or another process failed it).
 */
export async function failGroupInTx(ctx: AppContext, tx: Db, group: GroupRow, now: number): Promise<boolean> {
  const { merchant_id: merchantId } = group
  if (!(await closeGroup(tx, merchantId, group.id, 'failed', now))) return false
  const members = await listGroupMembers(tx, merchantId, group.id)
  for (const member of members) await giveBackAllowance(tx, merchantId, group.card_id, member.user_id)
  await releaseGroupMembers(tx, merchantId, group.id)
  const stockRemaining = await addToStock(tx, merchantId, group.card_id, group.size, now)
  await recordEvent(tx, {
    merchantId,
    type: 'group.failed',
    data: { group_id: group.id, card_id: group.card_id, size: group.size, members: members.length, user_ids: members.map((m) => m.user_id), stock_returned: group.size, stock_remaining: stockRemaining ?? null },
    now,
  })
  const card = await findCardWithTerms(tx, merchantId, group.card_id)
  const language = await findMerchantLanguage(tx, merchantId)
  for (const member of members) {
    await tellCustomer(ctx.notifier, tx, {
      merchantId,
      userId: member.user_id,
      kind: 'group.failed',
      params: { title: card?.terms.title ?? '', size: group.size, members: members.length },
      data: { group_id: group.id, card_id: group.card_id },
      dedupeKey: `group.failed:${group.id}:${member.user_id}`,
      language,
      now,
    })
  }
  return true
}

/** Fails up to `limit` groups whose time is up, each in its own transaction; how many failed. */
export async function failDueGroups(ctx: AppContext, now: number, limit: number): Promise<number> {
  const { db } = ctx.database
  const due = await findDueGroups(db, now, limit)
  let failed = 0
  for (const group of due) {
    const done = await db.transaction().execute((tx) => failGroupInTx(ctx, tx, group, now))
    if (done) failed++
  }
  return failed
}
