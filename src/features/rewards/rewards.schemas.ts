import { Type } from 'typebox'
import { CouponSchema } from '../coupons/coupons.schemas.ts'
import { Nullable, Timestamp } from '../../http/schemas.ts'

export const RewardTypeSchema = Type.Union([Type.Literal('coupon'), Type.Literal('goods')])
export const RewardStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('paused')])

export const CreateRewardBody = Type.Object(
  {
    member_card_id: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.Optional(Type.Union([Type.Literal('coupon'), Type.Literal('goods')], { description: 'coupon when card_id is given, else goods' })),
    card_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'The card’s title for a coupon when absent' })),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    points_cost: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
    stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    per_member_limit: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Exchanges per member; no limit when absent' }))),
  },
  { additionalProperties: false },
)

export const ExchangeBody = Type.Object({ reward_id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })

/** What members see of a reward (the wallet's catalogue adds `affordable`). */
const CatalogueFields = {
  id: Type.String(),
  member_card_id: Type.String(),
  type: RewardTypeSchema,
  title: Type.String(),
  description: Nullable(Type.String()),
  points_cost: Type.Integer(),
  stock: Type.Integer({ description: 'The stock left (the same as stock_remaining)' }),
  stock_remaining: Type.Integer(),
  per_member_limit: Nullable(Type.Integer()),
  status: RewardStatusSchema,
  created_at: Timestamp,
  updated_at: Timestamp,
}

export const RewardSchema = Type.Object({ ...CatalogueFields, card_id: Nullable(Type.String()), exchanged_count: Type.Integer() })

export const WalletRewardSchema = Type.Object({ ...CatalogueFields, affordable: Type.Boolean({ description: 'The member has the points and the reward has stock' }) })

export const ExchangeFields = {
  id: Type.String(),
  reward_id: Type.String(),
  member_id: Type.String(),
  points_cost: Type.Integer(),
  coupon_id: Nullable(Type.String()),
  pickup_code: Nullable(Type.String({ description: 'Goods: the code to show when picking them up' })),
  picked_up_at: Nullable(Timestamp),
  created_at: Timestamp,
}

export const ExchangeSchema = Type.Object(ExchangeFields)

/** A new exchange: the coupon it issued or the goods' pick-up code, and the points left. */
export const NewExchangeSchema = Type.Object({ ...ExchangeFields, coupon: Nullable(CouponSchema), points_balance: Type.Integer() })
