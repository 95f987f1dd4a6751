import type { Db } from '../../db/database.ts'
import type { StoredValueEntriesTable } from '../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { notifyStoredValueChanged, type StoredValueChangedData } from '../members/member-notices.ts'
import { moveMemberBalance, type MemberRow } from '../members/members.repository.ts'

export type StoredValueEntryRow = StoredValueEntriesTable

/** Why stored value moved: a top-up, a payment, an order refund paid back to the card, a refund paid out to the member, a correction. */
export type StoredValueEntryType = 'top_up' | 'payment' | 'order_refund' | 'refund' | 'adjustment'

export interface PostStoredValue {
  /** Tells the member of the change. */
  notifier: Notifier
  /** The member, locked by `lockMember` in this transaction. */
  member: MemberRow
  delta: number
  type: StoredValueEntryType
  reason: string
  paymentRef: string | null
  sourceRef: string | null
  /** The Idempotency-Key request posting it, if any (see onceForRequest). */
  requestRef?: string | null
  now: number
}

export function findStoredValueEntryBySource(db: Db, merchantId: string, sourceRef: string): Promise<StoredValueEntryRow | undefined> {
  return db.selectFrom('stored_value_entries').selectAll().where('merchant_id', '=', merchantId).where('source_ref', '=', sourceRef).executeTakeFirst()
}

/** The entry an Idempotency-Key request posted to this member, if it did. */
export function findStoredValueEntryByRequest(db: Db, merchantId: string, memberId: string, requestRef: string): Promise<StoredValueEntryRow | undefined> {
  return db.selectFrom('stored_value_entries').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).where('member_id', '=', memberId).executeTakeFirst()
}

/**
 * Posts one movement of a member's stored value in the caller's transaction: a conditional update keeps
 * the balance at zero or above under parallel spending, the entry records the balance after it, a
 * `stored_value.changed` event goes to the outbox and the member is notified.
 */
export async function postStoredValueInTx(tx: Db, input: PostStoredValue): Promise<{ entry: StoredValueEntryRow; member: MemberRow }> {
  const { member, delta, now } = input
  if (!Number.isSafeInteger(delta) || delta === 0) throw new RangeError('a stored-value entry moves a non-zero whole number of fen')
  const updated = await moveMemberBalance(tx, member, 'stored_value', delta, now)
  if (!updated) throw new AppError('insufficient_balance', `The stored value balance is ${member.stored_value_balance}; ${-delta} cannot be taken from it.`)
  const entry: StoredValueEntryRow = {
    id: newId('sve', now),
    merchant_id: member.merchant_id,
    member_id: member.id,
    seq: updated.stored_value_seq,
    type: input.type,
    delta,
    balance_after: updated.stored_value_balance,
    reason: input.reason,
    payment_ref: input.paymentRef,
    source_ref: input.sourceRef,
    created_at: now,
    request_ref: input.requestRef ?? null,
  }
  await tx.insertInto('stored_value_entries').values(entry).execute()
  const data: StoredValueChangedData = {
    member_id: member.id,
    member_card_id: member.member_card_id,
    user_id: member.user_id,
    entry_id: entry.id,
    type: input.type,
    delta,
    reason: input.reason,
    payment_ref: input.paymentRef,
    stored_value_balance: updated.stored_value_balance,
  }
  await recordEvent(tx, { merchantId: member.merchant_id, type: 'stored_value.changed', data, now })
  await notifyStoredValueChanged(input.notifier, tx, member.merchant_id, data, now)
  return { entry, member: updated }
}
