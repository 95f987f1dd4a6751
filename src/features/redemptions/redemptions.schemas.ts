import { Type, type Static } from 'typebox'
import { Money, Nullable, OrderAmount, Timestamp } from '../../http/schemas.ts'
import { CouponSchema } from '../coupons/coupons.schemas.ts'
import { MemberAtTillSchema, MemberEarningSchema } from '../member-orders/member-orders.schemas.ts'
import type { RedemptionChannel } from './redemptions.table.ts'

export const ChannelSchema = Type.Union([Type.Literal('scan'), Type.Literal('manual'), Type.Literal('api'), Type.Literal('self_service')], {
  description: 'How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer',
})
// The schema lists exactly the table's channels.
const sameChannels: [Static<typeof ChannelSchema>, RedemptionChannel] extends [RedemptionChannel, Static<typeof ChannelSchema>] ? true : never = true
void sameChannels

export const RedeemBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64, description: 'As scanned or typed; spaces, hyphens and case are ignored' }),
    store_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
    order_amount: Type.Optional(Nullable(OrderAmount)),
    channel: Type.Optional(ChannelSchema),
    member_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'The member whose order this is: the check shows their level discount, the redemption earns their points on what they pay' }))),
    location: Type.Optional(
      Nullable(
        Type.Object(
          { latitude: Type.Number({ minimum: -90, maximum: 90 }), longitude: Type.Number({ minimum: -180, maximum: 180 }) },
          { additionalProperties: false, description: 'Where the customer is, as their phone reports it (WGS 84), for a self-service redemption: one more than 1 km from the store is refused (risk rule redemption_distance)' },
        ),
      ),
    ),
    confirmer: Type.Optional(
      Type.Object(
        { login: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
        { additionalProperties: false, description: 'With `confirm` from a terminal whose clerk may not confirm: the owner or operator confirming, by their sign-in name and password (counted as sign-ins are)' },
      ),
    ),
    confirm: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The `challenge_id` of a 428 confirmation_required for this code, sent by an owner, an operator or a full key (二次确认)' })),
  },
  { additionalProperties: false },
)

const RedemptionFields = {
  id: Type.String(),
  code: Type.String(),
  coupon_id: Type.String(),
  card_id: Type.String(),
  store_id: Nullable(Type.String()),
  order_amount: Nullable(Money),
  discount_amount: Money,
  channel: ChannelSchema,
  api_key_id: Nullable(Type.String()),
  staff_id: Nullable(Type.String({ description: 'The clerk who redeemed it at the store terminal, when not an API key' })),
  redeemed_at: Timestamp,
  reversed_at: Nullable(Timestamp),
  reversal_reason: Nullable(Type.String()),
}

export const RedemptionSchema = Type.Object(RedemptionFields)

export const RedeemedSchema = Type.Object({ ...RedemptionFields, member: Type.Optional(MemberEarningSchema) }, { description: 'The redemption, with what its member earned when it named one' })

export const ReversedSchema = Type.Object({ ...RedemptionFields, coupon: CouponSchema }, { description: 'The reversed redemption and its coupon as it now is' })

export const CheckSchema = Type.Object({
  redeemable: Type.Literal(true),
  code: Type.String(),
  card_id: Type.String(),
  store_id: Nullable(Type.String()),
  order_amount: Nullable(Money),
  discount_amount: Money,
  coupon: CouponSchema,
  card: Type.Object({
    type: Type.String(),
    title: Type.String(),
    notice: Type.String(),
    least_cost: Nullable(Money),
    reduce_cost: Nullable(Money),
    percent_off: Nullable(Type.Integer()),
    max_discount: Nullable(Money),
    tiers: Nullable(Type.Array(Type.Object({ least_cost: Money, reduce_cost: Money }))),
  }),
  member: Type.Optional(MemberAtTillSchema),
})
