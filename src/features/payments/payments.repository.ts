import { sql } from 'kysely'
import type { Db } from '../../db/database.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import type { PaymentRulesTable, PaymentsTable } from './payments.table.ts'

export type PaymentRow = PaymentsTable
export type PaymentRuleRow = PaymentRulesTable

// Payments

export async function findPaymentRow(db: Db, merchantId: string, paymentId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('id', '=', paymentId).executeTakeFirst()
}

export async function findPaymentByOrder(db: Db, merchantId: string, orderId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('order_id', '=', orderId).executeTakeFirst()
}

/** Inserts the payment unless its order was reported already; false then. */
export async function insertPaymentOnce(db: Db, row: PaymentRow): Promise<boolean> {
  const inserted = await db.insertInto('payments').values(row).onConflict((oc) => oc.columns(['merchant_id', 'order_id']).doNothing()).executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
}

export async function setPaymentOutcome(db: Db, merchantId: string, paymentId: string, outcome: PaymentRow['outcome']): Promise<void> {
  await db.updateTable('payments').set({ outcome }).where('merchant_id', '=', merchantId).where('id', '=', paymentId).execute()
}

/** A page of the merchant's payments, newest first, before the cursor's id, for one store, user or order when given. */
export async function listPayments(db: Db, merchantId: string, filter: { storeId: string | null; userId?: string; orderId?: string; before: string | null }, limit: number): Promise<PaymentRow[]> {
  let q = db.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId)
  if (filter.storeId) q = q.where('store_id', '=', filter.storeId)
  if (filter.userId) q = q.where('user_id', '=', filter.userId)
  if (filter.orderId) q = q.where('order_id', '=', filter.orderId)
  if (filter.before) q = q.where('id', '<', filter.before)
  return q.orderBy('id', 'desc').limit(limit).execute()
}

/** The coupons payments issued, as they are now. */
export async function findCouponsByIds(db: Db, merchantId: string, couponIds: string[]): Promise<CouponRow[]> {
  if (couponIds.length === 0) return []
  return db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', 'in', couponIds).execute()
}

/**
 * Savepoints inside the caller's transaction: one rule's refused issue undoes its own partial writes only.
 * `name` is ours (never user input): savepoint names cannot be bound parameters.
 */
export async function savepoint(tx: Db, name: string, action: 'savepoint' | 'release' | 'rollback'): Promise<void> {
  const id = sql.raw(name)
  if (action === 'savepoint') await sql`savepoint ${id}`.execute(tx)
  else if (action === 'release') await sql`release savepoint ${id}`.execute(tx)
  else await sql`rollback to savepoint ${id}`.execute(tx)
}

// Rules

export async function findPaymentRuleRow(db: Db, merchantId: string, ruleId: string): Promise<PaymentRuleRow | undefined> {
  return db.selectFrom('payment_rules').selectAll().where('merchant_id', '=', merchantId).where('id', '=', ruleId).executeTakeFirst()
}

/** The active rules whose minimum `amount` reaches, in id order. */
export async function activeRulesReachedBy(db: Db, merchantId: string, amount: number): Promise<PaymentRuleRow[]> {
  return db.selectFrom('payment_rules').selectAll().where('merchant_id', '=', merchantId).where('active', '=', 1).where('min_amount', '<=', amount).orderBy('id').execute()
}

export async function insertPaymentRule(db: Db, row: PaymentRuleRow): Promise<void> {
  await db.insertInto('payment_rules').values(row).execute()
}

export async function updatePaymentRuleRow(db: Db, merchantId: string, ruleId: string, changes: Partial<Omit<PaymentRuleRow, 'id' | 'merchant_id'>>): Promise<void> {
  await db.updateTable('payment_rules').set(changes).where('merchant_id', '=', merchantId).where('id', '=', ruleId).execute()
}

export async function deletePaymentRuleRow(db: Db, merchantId: string, ruleId: string): Promise<void> {
  await db.deleteFrom('payment_rules').where('merchant_id', '=', merchantId).where('id', '=', ruleId).execute()
}

/** A page of the merchant's rules in id order, after the cursor's id, active or not when given. */
export async function listPaymentRules(db: Db, merchantId: string, filter: { active?: boolean; after: string | null }, limit: number): Promise<PaymentRuleRow[]> {
  let q = db.selectFrom('payment_rules').selectAll().where('merchant_id', '=', merchantId)
  if (filter.active !== undefined) q = q.where('active', '=', filter.active ? 1 : 0)
  if (filter.after) q = q.where('id', '>', filter.after)
  return q.orderBy('id').limit(limit).execute()
}

/** Whether the merchant has this card (a rule must name one). */
export async function cardExists(db: Db, merchantId: string, cardId: string): Promise<boolean> {
  return (await db.selectFrom('cards').select('id').where('merchant_id', '=', merchantId).where('id', '=', cardId).executeTakeFirst()) !== undefined
}
