import { Type } from 'typebox'
import { CouponFields } from '../coupons/coupons.schemas.ts'
import { Money, Nullable, Timestamp } from '../../http/schemas.ts'

export const PaymentItemSchema = Type.Object(
  {
    sku: Type.Optional(Type.String({ maxLength: 100 })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    amount: Type.Optional(Money),
  },
  { additionalProperties: false },
)

/** A coupon a payment issued, as it is now (see coupons.presenter.ts), with the rule that issued it. */
export const IssuedCouponSchema = Type.Object({ rule_id: Type.String(), ...CouponFields })

export const PaymentSchema = Type.Object({
  id: Type.String(),
  order_id: Type.String(),
  amount: Money,
  user_id: Type.String(),
  store_id: Nullable(Type.String()),
  items: Nullable(Type.Array(PaymentItemSchema)),
  created_at: Timestamp,
  coupons: Type.Array(IssuedCouponSchema),
  failures: Type.Array(
    Type.Object({ rule_id: Type.String(), card_id: Type.String(), code: Type.String({ description: 'The error code the issue answered with' }), message: Type.String() }),
    { description: 'Rules that could not issue (no stock, the user’s limit, …); they never fail the payment' },
  ),
})

export const PaymentRuleSchema = Type.Object({
  id: Type.String(),
  card_id: Type.String(),
  min_amount: Money,
  active: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
})
