import type { Db } from '../../db/database.ts'
import type { PointsEntriesTable, PointsLotsTable } from '../../db/schema.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import { allocateBurn, computeLotExpiry, type LotTake } from '../../domain/points-rules.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { notifyPointsChanged, type PointsChangedData } from '../members/member-notices.ts'
import { moveMemberBalance, type MemberRow } from '../members/members.repository.ts'

export type PointsEntryRow = PointsEntriesTable
export type PointsLotRow = PointsLotsTable

/** Why points moved. */
export type PointsEntryType = 'purchase' | 'sign_in' | 'profile_completed' | 'referral' | 'adjustment' | 'exchange' | 'expiry' | 'refund'

const DAY_MS = 86_400_000

export interface PostPoints {
  /** Tells the member of the change. */
  notifier: Notifier
  /** The member, locked by `lockMember` in this transaction. */
  member: MemberRow
  terms: MemberCardTerms
  merchantTz: string
  /** Non-zero: positive earns (a new lot), negative burns (oldest lots first). */
  delta: number
  type: PointsEntryType
  reason: string
  /** The business event this posting belongs to; a second posting of it is refused by a unique key. */
  sourceRef: string | null
  /** The Idempotency-Key request posting it, if any (see onceForRequest). */
  requestRef?: string | null
  /** A burn takes this lot first (a refund takes back its order's own points). */
  firstLotId?: string | null
  /** A burn takes exactly these (the expiry job expires given lots). */
  takes?: LotTake[]
  now: number
}

export interface PostedPoints {
  entry: PointsEntryRow
  member: MemberRow
}

/** The entry a business event already posted, if it did. */
export function findPointsEntryBySource(db: Db, merchantId: string, sourceRef: string): Promise<PointsEntryRow | undefined> {
  return db.selectFrom('points_entries').selectAll().where('merchant_id', '=', merchantId).where('source_ref', '=', sourceRef).executeTakeFirst()
}

/** The entry an Idempotency-Key request posted to this member, if it did. */
export function findPointsEntryByRequest(db: Db, merchantId: string, memberId: string, requestRef: string): Promise<PointsEntryRow | undefined> {
  return db.selectFrom('points_entries').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).where('member_id', '=', memberId).executeTakeFirst()
}

export function insufficientPoints(balance: number, needed: number): AppError {
  return new AppError('insufficient_points', `The member has ${balance} points; ${needed} are needed.`)
}

/** A member's lots that still hold points. */
export function heldLots(db: Db, merchantId: string, memberId: string): Promise<PointsLotRow[]> {
  return db.selectFrom('points_lots').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId).where('remaining', '>', 0).execute()
}

async function takeFromLots(tx: Db, input: PostPoints): Promise<void> {
  const { member } = input
  let takes = input.takes
  if (!takes) {
    const allocation = allocateBurn(await heldLots(tx, member.merchant_id, member.id), -input.delta, input.firstLotId ?? undefined)
    if (!allocation.ok) throw new Error(`points lots of member ${member.id} do not add up to its balance`)
    takes = allocation.takes
  }
  for (const { id, take } of takes) {
    const taken = await tx
      .updateTable('points_lots')
      .set((eb) => ({ remaining: eb('remaining', '-', take) }))
      .where('merchant_id', '=', member.merchant_id)
      .where('id', '=', id)
      .where('remaining', '>=', take)
      .executeTakeFirst()
    if (Number(taken.numUpdatedRows) !== 1) throw new Error(`points lot ${id} no longer holds ${take} points`)
  }
}

/**
 * Posts one entry to a member's points ledger, in the caller's transaction: the balance on the member row
 * moves with a conditional update (it never goes below zero, even with parallel burns), the entry records
 * the balance after it and the member's next sequence number, lots follow (a new lot for an earning, oldest
 * lots consumed by a burn), a `points.changed` event goes to the outbox and the member is notified.
 */
export async function postPointsInTx(tx: Db, input: PostPoints): Promise<PostedPoints> {
  const { member, delta, now } = input
  if (!Number.isSafeInteger(delta) || delta === 0) throw new RangeError('a points entry moves a non-zero whole number of points')
  const updated = await moveMemberBalance(tx, member, 'points', delta, now)
  if (!updated) throw insufficientPoints(member.points_balance, -delta)

  const entry: PointsEntryRow = {
    id: newId('pte', now),
    merchant_id: member.merchant_id,
    member_id: member.id,
    seq: updated.points_seq,
    type: input.type,
    delta,
    balance_after: updated.points_balance,
    reason: input.reason,
    source_ref: input.sourceRef,
    created_at: now,
    request_ref: input.requestRef ?? null,
  }
  await tx.insertInto('points_entries').values(entry).execute()

  if (delta > 0) {
    const expiresAt = computeLotExpiry(input.terms.points_expiry, now, input.merchantTz)
    const noticeDays = input.terms.points_expiry_notice_days
    await tx
      .insertInto('points_lots')
      .values({
        id: entry.id,
        merchant_id: member.merchant_id,
        member_id: member.id,
        amount: delta,
        remaining: delta,
        expires_at: expiresAt,
        notice_at: expiresAt === null || noticeDays === 0 ? null : expiresAt - noticeDays * DAY_MS,
        noticed_at: null,
        created_at: now,
      })
      .execute()
  } else {
    await takeFromLots(tx, input)
  }

  const data: PointsChangedData = {
    member_id: member.id,
    member_card_id: member.member_card_id,
    user_id: member.user_id,
    entry_id: entry.id,
    type: input.type,
    delta,
    reason: input.reason,
    points_balance: updated.points_balance,
  }
  await recordEvent(tx, { merchantId: member.merchant_id, type: 'points.changed', data, now })
  await notifyPointsChanged(input.notifier, tx, member.merchant_id, data, now)
  return { entry, member: updated }
}
