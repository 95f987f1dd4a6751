import type { Db } from '../../db/database.ts'
import { AppError } from '../../errors.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { insertLedgerEntry, type Ledger, type Posting } from '../ledger/ledger.ts'
import { ledgerChange, notifyStoredValueChanged, type StoredValueChangedData } from '../members/member-notices.ts'
import type { MemberRow } from '../members/members.repository.ts'
import { findStoredValueEntryByRequest, findStoredValueEntryBySource, insertStoredValueEntry, type StoredValueEntryRow } from './stored-value.repository.ts'
import type { StoredValueEntryType } from './stored-value.table.ts'

export { findStoredValueEntryByRequest, findStoredValueEntryBySource, type StoredValueEntryRow, type StoredValueEntryType }

/** The stored-value ledger: the member's balance in fen and its entries. */
export const STORED_VALUE_LEDGER: Ledger<StoredValueEntryRow> = {
  balance: 'stored_value',
  idPrefix: 'sve',
  insertEntry: insertStoredValueEntry,
  findEntryBySource: findStoredValueEntryBySource,
  findEntryByRequest: findStoredValueEntryByRequest,
}

export interface PostStoredValue extends Posting<StoredValueEntryType> {
  /** Tells the member of the change. */
  notifier: Notifier
  paymentRef: string | null
}

/**
 * Posts one movement of a member's stored value in the caller's transaction: a conditional update keeps
 * the balance at zero or above under parallel spending, the entry records the balance after it, a
 * `stored_value.changed` event goes to the outbox and the member is notified.
 */
export async function postStoredValueInTx(tx: Db, input: PostStoredValue): Promise<{ entry: StoredValueEntryRow; member: MemberRow }> {
  const { member, delta, now } = input
  const short = () => new AppError('insufficient_balance', `The stored value balance is ${member.stored_value_balance}; ${-delta} cannot be taken from it.`)
  const { entry, member: updated } = await insertLedgerEntry(tx, STORED_VALUE_LEDGER, input, { payment_ref: input.paymentRef }, short)
  const data: StoredValueChangedData = { ...ledgerChange(member, entry, input.reason), payment_ref: input.paymentRef, stored_value_balance: updated.stored_value_balance }
  await recordEvent(tx, { merchantId: member.merchant_id, type: 'stored_value.changed', data, now })
  await notifyStoredValueChanged(input.notifier, tx, member.merchant_id, data, now)
  return { entry, member: updated }
}
