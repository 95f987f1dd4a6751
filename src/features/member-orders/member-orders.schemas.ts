import { Type } from 'typebox'
import { Money, Nullable, Timestamp } from '../../http/schemas.ts'
import { MemberSchema } from '../members/members.schemas.ts'

const OrderFields = {
  id: Type.String(),
  order_ref: Type.String(),
  member_id: Type.String(),
  store_id: Nullable(Type.String()),
  redemption_id: Nullable(Type.String({ description: 'The redemption it was recorded with, at the till' })),
  order_amount: Money,
  stored_value_amount: Money,
  refunded_amount: Money,
  points_earned: Type.Integer(),
  points_reversed: Type.Integer(),
  points_unrecovered: Type.Integer({ description: 'Points refunds should have taken back but the member had already spent' }),
  growth_earned: Type.Integer(),
  created_at: Timestamp,
}

export const OrderSchema = Type.Object(OrderFields)

export const RecordedOrderSchema = Type.Object({ ...OrderFields, member: MemberSchema })

export const OrderRefundSchema = Type.Object({
  id: Type.String(),
  refund_ref: Type.String(),
  amount: Money,
  points_reversed: Type.Integer(),
  points_unrecovered: Type.Integer(),
  growth_reversed: Type.Integer(),
  stored_value_returned: Money,
  created_at: Timestamp,
  order: OrderSchema,
  member: MemberSchema,
})

/** What a member earned with a redemption. */
export const MemberEarningSchema = Type.Object({
  id: Type.String(),
  member_number: Type.String(),
  level: Type.String(),
  paid_amount: Money,
  points_earned: Type.Integer(),
  growth_earned: Type.Integer(),
  points_balance: Type.Integer(),
})

/** What the till's check shows for the member named. */
export const MemberAtTillSchema = Type.Object({
  id: Type.String(),
  member_number: Type.String(),
  level: Type.String(),
  percent_off: Type.Integer(),
  member_discount_amount: Nullable(Money),
  paid_amount: Nullable(Money),
  points_to_earn: Type.Integer(),
  points_balance: Type.Integer(),
  stored_value_balance: Money,
})
