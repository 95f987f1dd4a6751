import { Type } from 'typebox'
import { Money, Nullable, listOf } from '../../http/schemas.ts'
import { CouponFields } from '../coupons/coupons.schemas.ts'
import { CodeTypeSchema } from '../cards/cards.schemas.ts'

const CardType = Type.Union([Type.Literal('cash'), Type.Literal('discount'), Type.Literal('gift'), Type.Literal('groupon'), Type.Literal('general_coupon')])

/** The face of a card or coupon (presentCardFace): its look and what it is worth. Money in fen. */
export const CardFaceSchema = Type.Object({
  type: CardType,
  title: Type.String(),
  subtitle: Nullable(Type.String()),
  color: Nullable(Type.String()),
  logo_url: Nullable(Type.String()),
  notice: Type.String(),
  reduce_cost: Nullable(Money),
  least_cost: Nullable(Money),
  tiers: Nullable(Type.Array(Type.Object({ least_cost: Money, reduce_cost: Money }))),
  percent_off: Nullable(Type.Integer()),
  max_discount: Nullable(Money),
  gift: Nullable(Type.String()),
  deal_detail: Nullable(Type.String()),
  default_detail: Nullable(Type.String()),
})

export const StoreSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
})

const ValiditySchema = Type.Union([
  Type.Object({ type: Type.Literal('fixed_range'), begin_at: Type.String({ format: 'date-time' }), end_at: Type.String({ format: 'date-time', description: 'Inclusive to the second' }) }),
  Type.Object({ type: Type.Literal('fixed_term'), days: Type.Integer(), start_after_days: Type.Integer() }, { description: 'Counted from the claim day in the merchant’s zone' }),
])

/** The face plus every term the customer was promised (presentCardTerms). */
export const CardTermsSchema = Type.Object({
  ...CardFaceSchema.properties,
  description: Nullable(Type.String()),
  validity: ValiditySchema,
  usable_hours: Nullable(Type.Array(Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 })), start: Type.String(), end: Type.String() }))),
  usable_hours_text: Nullable(Type.String({ description: 'e.g. Mon-Fri 10:00-22:00; null when usable at any hour' })),
  store_ids: Type.Array(Type.String()),
  all_stores: Type.Boolean({ description: 'Good in every store of the merchant (then `stores` is empty)' }),
  stores: Type.Array(StoreSummarySchema),
  can_share: Type.Boolean(),
  can_gift: Type.Boolean(),
  group: Nullable(Type.Object({ size: Type.Integer(), hours: Type.Integer() }, { description: 'A group coupon (拼团): open or join a group to get it; null = an ordinary card' })),
})


/** A coupon in its owner's wallet: the coupon, how its code is shown and the card face. */
export const WalletCouponSchema = Type.Object({ ...CouponFields, code_type: CodeTypeSchema, card: CardFaceSchema })

/** The face of a card in the wallet's list: its look and worth, without the notice its coupon's own page shows. */
const { notice: _notice, ...listFace } = CardFaceSchema.properties
export const CardListFaceSchema = Type.Object(listFace)

/**
 * A coupon in the wallet's list: what a ticket of the list shows, and no code, which the wallet shows from
 * the coupon's own page (`GET /v1/wallet/coupons/{id}`, with every field of the coupon and the whole card
 * face), so a page of the list decrypts no code and stays small.
 */
export const WalletCouponListItemSchema = Type.Object({
  id: CouponFields.id,
  card_id: CouponFields.card_id,
  state: CouponFields.state,
  source: CouponFields.source,
  valid_from: CouponFields.valid_from,
  valid_until: CouponFields.valid_until,
  issued_at: CouponFields.issued_at,
  redeemed_at: CouponFields.redeemed_at,
  unlock_after_friends: CouponFields.unlock_after_friends,
  code_type: CodeTypeSchema,
  card: CardListFaceSchema,
})

/** One of the owner's coupons with every term it was issued under, the stores it is good in included. */
export const WalletCouponDetailSchema = Type.Object({ ...CouponFields, code_type: CodeTypeSchema, card: CardTermsSchema })

/** The wallet's page of one coupon: its detail and the card's link cells. */
export const WalletCouponPageSchema = Type.Object({
  ...WalletCouponDetailSchema.properties,
  links: Type.Array(
    Type.Object({
      kind: Type.Union([Type.Literal('center'), Type.Literal('custom'), Type.Literal('promotion')]),
      name: Type.String(),
      tips: Nullable(Type.String()),
      url: Type.String({ description: 'The merchant’s page, with `encrypt_code` and `card_id` appended (decrypted through the WeChat-compatible card/code/decrypt)' }),
    }),
    { description: 'The card’s link cells (WeChat’s center_url, custom_url, promotion_url); empty for cards without them' },
  ),
})

export const WalletCouponList = listOf(WalletCouponListItemSchema)

export const WalletMeSchema = Type.Object({
  merchant: Type.Object({ id: Type.String(), name: Type.String() }),
  user_id: Type.String({ description: 'The signed-in customer’s user id with this merchant' }),
})
