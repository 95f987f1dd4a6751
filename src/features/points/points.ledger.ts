import type { Db } from '../../db/database.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import { allocateBurn, computeLotExpiry, type LotTake } from '../../domain/points-rules.ts'
import { AppError } from '../../errors.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { insertLedgerEntry, type Ledger, type Posting } from '../ledger/ledger.ts'
import { ledgerChange, notifyPointsChanged, type PointsChangedData } from '../members/member-notices.ts'
import type { MemberRow } from '../members/members.repository.ts'
import {
  findPointsEntryByRequest,
  findPointsEntryBySource,
  heldLots,
  insertPointsEntry,
  insertPointsLot,
  takeFromLot,
  type PointsEntryRow,
  type PointsLotRow,
} from './points.repository.ts'
import type { PointsEntryType } from './points.table.ts'

export { findPointsEntryByRequest, findPointsEntryBySource, heldLots, type PointsEntryRow, type PointsEntryType, type PointsLotRow }

/** The points ledger: the member's points balance and its entries. */
export const POINTS_LEDGER: Ledger<PointsEntryRow> = {
  balance: 'points',
  idPrefix: 'pte',
  insertEntry: insertPointsEntry,
  findEntryBySource: findPointsEntryBySource,
  findEntryByRequest: findPointsEntryByRequest,
}

const DAY_MS = 86_400_000

/** A points posting: a positive delta earns (a new lot), a negative one burns (oldest lots first). */
export interface PostPoints extends Posting<PointsEntryType> {
  /** Tells the member of the change. */
  notifier: Notifier
  terms: MemberCardTerms
  merchantTz: string
  /** A burn takes this lot first (a refund takes back its order's own points). */
  firstLotId?: string | null
  /** A burn takes exactly these (the expiry job expires given lots). */
  takes?: LotTake[]
}

export interface PostedPoints {
  entry: PointsEntryRow
  member: MemberRow
}

export function insufficientPoints(balance: number, needed: number): AppError {
  return new AppError('insufficient_points', `The member has ${balance} points; ${needed} are needed.`)
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
    if (!(await takeFromLot(tx, member.merchant_id, id, take))) throw new Error(`points lot ${id} no longer holds ${take} points`)
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
  const { entry, member: updated } = await insertLedgerEntry(tx, POINTS_LEDGER, input, {}, () => insufficientPoints(member.points_balance, -delta))

  if (delta > 0) {
    const expiresAt = computeLotExpiry(input.terms.points_expiry, now, input.merchantTz)
    const noticeDays = input.terms.points_expiry_notice_days
    await insertPointsLot(tx, {
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
  } else {
    await takeFromLots(tx, input)
  }

  const data: PointsChangedData = { ...ledgerChange(member, entry, input.reason), points_balance: updated.points_balance }
  await recordEvent(tx, { merchantId: member.merchant_id, type: 'points.changed', data, now })
  await notifyPointsChanged(input.notifier, tx, member.merchant_id, data, now)
  return { entry, member: updated }
}
