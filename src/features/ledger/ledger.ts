import type { Database, Db } from '../../db/database.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { lockMemberWithCard, moveMemberBalance, type MemberRow, type MemberWithCard } from '../members/members.repository.ts'
import type { LedgerEntryColumns } from './ledger.table.ts'
import { decideBalanceMove } from '../../domain/limits.ts'
import { loadLimits } from '../merchants/merchants.service.ts'

/**
 * A member's ledgers, points and stored value, have one shape: a balance on the member row moved by a
 * conditional update, an entry per move carrying the balance after it and the member's next sequence
 * number, a business event posting once by its source reference. What differs is each ledger's own table.
 */
export interface Ledger<Entry extends LedgerEntryColumns<string>> {
  /** The balance of the member row it moves. */
  balance: 'points' | 'stored_value'
  /** Prefix of its entries' ids. */
  idPrefix: string
  insertEntry(tx: Db, entry: Entry): Promise<void>
  /** The entry a business event already posted, if it did. */
  findEntryBySource(db: Db, merchantId: string, sourceRef: string): Promise<Entry | undefined>
  /** The entry an Idempotency-Key request posted to this member, if it did. */
  findEntryByRequest(db: Db, merchantId: string, memberId: string, requestRef: string): Promise<Entry | undefined>
}

const BALANCE_COLUMNS = {
  points: { balance: 'points_balance', seq: 'points_seq', limit: 'max_points_balance' },
  stored_value: { balance: 'stored_value_balance', seq: 'stored_value_seq', limit: 'max_stored_value_balance' },
} as const

/**
 * Refuses a posting that would take the balance above the merchant's limit (409 balance_limit_exceeded,
 * with the limit and the balance), before the balance moves: the member is locked, so its balance as read
 * is the one the posting adds to, on either engine.
 */
async function ensureWithinLimit(tx: Db, ledger: 'points' | 'stored_value', member: MemberRow, delta: number): Promise<void> {
  if (delta <= 0) return
  const { balance, limit } = BALANCE_COLUMNS[ledger]
  const max = (await loadLimits(tx, member.merchant_id))[limit]
  const decided = decideBalanceMove(member[balance], delta, max)
  if (!decided.ok) throw new AppError(decided.error, decided.detail, undefined, { limit: max, balance: member[balance] })
}

export interface Posting<Type extends string> {
  /** The member, locked by `lockMember` in this transaction. */
  member: MemberRow
  /** Non-zero: + adds to the balance, − takes from it. */
  delta: number
  type: Type
  reason: string
  sourceRef: string | null
  requestRef?: string | null
  now: number
}

/**
 * Moves the member's balance and inserts the entry, in the caller's transaction; `short` is the error when
 * the balance does not cover a negative delta (the balance never goes below zero, even under parallel
 * spending). `columns` are the ledger's own columns of the entry.
 */
export async function insertLedgerEntry<Type extends string, Extra extends object>(
  tx: Db,
  ledger: Ledger<LedgerEntryColumns<Type> & Extra>,
  posting: Posting<Type>,
  columns: Extra,
  short: () => AppError,
): Promise<{ entry: LedgerEntryColumns<Type> & Extra; member: MemberRow }> {
  const { member, delta, now } = posting
  await ensureWithinLimit(tx, ledger.balance, member, delta)
  if (!Number.isSafeInteger(delta) || delta === 0) throw new RangeError(`a ${ledger.balance} entry moves a non-zero whole number`)
  const updated = await moveMemberBalance(tx, member, ledger.balance, delta, now)
  if (!updated) throw short()
  const { balance, seq } = BALANCE_COLUMNS[ledger.balance]
  const entry = {
    id: newId(ledger.idPrefix, now),
    merchant_id: member.merchant_id,
    member_id: member.id,
    seq: updated[seq],
    type: posting.type,
    delta,
    balance_after: updated[balance],
    reason: posting.reason,
    source_ref: posting.sourceRef,
    created_at: now,
    request_ref: posting.requestRef ?? null,
    ...columns,
  }
  await ledger.insertEntry(tx, entry)
  return { entry, member: updated }
}

/** Runs a posting's transaction, turning a unique-key clash between two postings of one business event into a clean conflict. */
export async function postingOnce<T>(db: Db, isUniqueViolation: (error: unknown) => boolean, work: (tx: Db) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work)
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('duplicate_source_ref', 'This business event was posted at the same time by another request.')
    throw error
  }
}

export interface Once {
  merchantId: string
  memberId: string
  /** The business event; null posts every time. */
  sourceRef: string | null
  /** The Idempotency-Key request posting it, if any. */
  requestRef?: string | null
  /** Whether an entry found by its source is answered as a replay (200), or as the first time. */
  replaysSource: boolean
  /** The error when the source already posted to another member. */
  clash: () => AppError
  /** Checked under the member's lock before anything else (say, that the card takes stored value). */
  check?: (locked: MemberWithCard) => void
}

/**
 * Posts an entry once per business event: with the member locked, a source already posted answers its
 * first entry and moves nothing; a retry of an Idempotency-Key request whose answer was lost finds the
 * entry it posted (by the `request_ref` it records), as the first time.
 */
export async function postOncePerSource<Entry extends LedgerEntryColumns<string>>(
  database: Database,
  ledger: Ledger<Entry>,
  once: Once,
  post: (tx: Db, locked: MemberWithCard) => Promise<Entry>,
): Promise<{ entry: Entry; replayed: boolean }> {
  const { db } = database
  const { merchantId, memberId, sourceRef } = once
  const posted = async (ref: string) => {
    const entry = await ledger.findEntryByRequest(db, merchantId, memberId, ref)
    return entry && { entry, replayed: false }
  }
  return onceForRequest(once.requestRef, posted, () => postingOnce(db, database.isUniqueViolation, async (tx) => {
    const locked = await lockMemberWithCard(tx, merchantId, memberId)
    once.check?.(locked)
    if (sourceRef !== null) {
      const existing = await ledger.findEntryBySource(tx, merchantId, sourceRef)
      if (existing && existing.member_id !== memberId) throw once.clash()
      if (existing) return { entry: existing, replayed: once.replaysSource }
    }
    return { entry: await post(tx, locked), replayed: false }
  }))
}
