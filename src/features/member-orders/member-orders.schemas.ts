import { Type } from 'typebox'
import { Money, Nullable, Timestamp } from '../../http/schemas.ts'

/** A member as presentMember shows it. */
export const MemberSchema = Type.Object({
  id: Type.String(),
  member_card_id: Type.String(),
  user_id: Type.String(),
  member_number: Type.String(),
  level: Type.String(),
  level_index: Type.Integer({ minimum: 0 }),
  level_benefits: Type.Object({ percent_off: Type.Integer(), points_multiplier: Type.Number(), birthday_gift: Type.Boolean(), perks: Type.Array(Type.String()) }),
  next_level: Nullable(Type.Object({ name: Type.String(), min_growth: Type.Integer(), growth_needed: Type.Integer() })),
  growth: Type.Integer(),
  points_balance: Type.Integer(),
  stored_value_balance: Money,
  profile: Type.Object({ name: Type.Optional(Type.String()), phone: Type.Optional(Type.String()), birthday: Type.Optional(Type.String()) }),
  consented_at: Nullable(Timestamp),
  referrer_member_id: Nullable(Type.String()),
  next_review_at: Nullable(Timestamp),
  joined_at: Timestamp,
  level_changed_at: Timestamp,
  updated_at: Timestamp,
})

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
