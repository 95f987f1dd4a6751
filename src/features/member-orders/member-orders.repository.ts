import type { Db } from '../../db/database.ts'
import type { MemberOrderRefundsTable, MemberOrdersTable } from './member-orders.table.ts'

export type MemberOrderRow = MemberOrdersTable
export type MemberOrderRefundRow = MemberOrderRefundsTable

export async function insertOrder(tx: Db, order: MemberOrderRow): Promise<void> {
  await tx.insertInto('member_orders').values(order).execute()
}

export function findOrderByRef(db: Db, merchantId: string, orderRef: string): Promise<MemberOrderRow | undefined> {
  return db.selectFrom('member_orders').selectAll().where('merchant_id', '=', merchantId).where('order_ref', '=', orderRef).executeTakeFirst()
}

export function findOrder(db: Db, merchantId: string, orderId: string): Promise<MemberOrderRow> {
  return db.selectFrom('member_orders').selectAll().where('merchant_id', '=', merchantId).where('id', '=', orderId).executeTakeFirstOrThrow()
}

/** The order a redemption's member earned with, if the redemption named a member. */
export function findOrderOfRedemption(db: Db, merchantId: string, redemptionId: string): Promise<MemberOrderRow | undefined> {
  return db.selectFrom('member_orders').selectAll().where('merchant_id', '=', merchantId).where('redemption_id', '=', redemptionId).executeTakeFirst()
}

/** Adds a refund to the order's totals, if no other refund was added since `order` was read (undefined then). */
export function addRefundToOrder(
  tx: Db,
  order: MemberOrderRow,
  refund: { amount: number; points_reversed: number; points_unrecovered: number; growth_reversed: number; stored_value_returned: number },
  now: number,
): Promise<MemberOrderRow | undefined> {
  return tx
    .updateTable('member_orders')
    .set((eb) => ({
      refunded_amount: eb('refunded_amount', '+', refund.amount),
      points_reversed: eb('points_reversed', '+', refund.points_reversed),
      points_unrecovered: eb('points_unrecovered', '+', refund.points_unrecovered),
      growth_reversed: eb('growth_reversed', '+', refund.growth_reversed),
      stored_value_returned: eb('stored_value_returned', '+', refund.stored_value_returned),
      updated_at: now,
    }))
    .where('merchant_id', '=', order.merchant_id)
    .where('id', '=', order.id)
    .where('refunded_amount', '=', order.refunded_amount)
    .returningAll()
    .executeTakeFirst()
}

export async function insertRefund(tx: Db, refund: MemberOrderRefundRow): Promise<void> {
  await tx.insertInto('member_order_refunds').values(refund).execute()
}

export function findRefund(db: Db, merchantId: string, orderId: string, refundRef: string): Promise<MemberOrderRefundRow | undefined> {
  return db.selectFrom('member_order_refunds').selectAll().where('merchant_id', '=', merchantId).where('order_id', '=', orderId).where('refund_ref', '=', refundRef).executeTakeFirst()
}
