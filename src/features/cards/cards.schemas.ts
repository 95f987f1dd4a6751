import { Type } from 'typebox'
import { Money, Nullable, PositiveMoney, Timestamp } from '../../http/schemas.ts'
import type { CardTermsInput } from '../../domain/types.ts'
import type { CodeFormat, CodeType, ValidityType } from './cards.table.ts'

const Text = (max: number) => Type.String({ maxLength: max })
const ShareRewardInput = Type.Object(
  { friends: Type.Integer({ minimum: 1, maximum: 10_000 }), card_id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
)
export const CodeFormatSchema = Type.Union([Type.Literal('alphanumeric'), Type.Literal('numeric')], {
  description: 'How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards',
})
export const CodeTypeSchema = Type.Union([Type.Literal('qrcode'), Type.Literal('barcode'), Type.Literal('text')], { description: 'How the code is shown: qrcode, barcode or text' })

/** Everything a card promises (versioned) plus its issuing settings. */
export const cardFields = {
  type: Type.Union([Type.Literal('cash'), Type.Literal('discount'), Type.Literal('gift'), Type.Literal('groupon'), Type.Literal('general_coupon')]),
  title: Type.String({ minLength: 1, maxLength: 27 }),
  subtitle: Type.Optional(Nullable(Text(54))),
  color: Type.Optional(Nullable(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }))),
  logo_url: Type.Optional(Nullable(Text(2048))),
  // The compliance policy decides whether a notice is needed (notice_required), so that a missing one is
  // reported by rule name together with every other broken rule, and a merchant may switch the rule off.
  notice: Type.Optional(Text(300)),
  description: Type.Optional(Nullable(Text(4000))),
  reduce_cost: Type.Optional(Nullable(PositiveMoney)),
  least_cost: Type.Optional(Nullable(Money)),
  tiers: Type.Optional(
    Nullable(Type.Array(Type.Object({ least_cost: Money, reduce_cost: PositiveMoney }, { additionalProperties: false }), { minItems: 1, maxItems: 20 })),
  ),
  percent_off: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 99 }))),
  max_discount: Type.Optional(Nullable(PositiveMoney)),
  gift: Type.Optional(Nullable(Text(500))),
  deal_detail: Type.Optional(Nullable(Text(2000))),
  default_detail: Type.Optional(Nullable(Text(2000))),
  stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  get_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Coupons per user; 1 when absent at creation' })),
  code_type: Type.Optional(CodeTypeSchema),
  code_format: Type.Optional(CodeFormatSchema),
  validity: Type.Object(
    {
      type: Type.Union([Type.Literal('fixed_range'), Type.Literal('fixed_term')]),
      begin_at: Type.Optional(Type.String({ format: 'date-time' })),
      end_at: Type.Optional(Type.String({ format: 'date-time' })),
      days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
      start_after_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    },
    { additionalProperties: false },
  ),
  usable_hours: Type.Optional(
    Nullable(
      Type.Array(
        Type.Object(
          {
            days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }),
            start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
            end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 50 },
      ),
    ),
  ),
  store_ids: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000 }))),
  can_share: Type.Optional(Type.Boolean()),
  can_gift: Type.Optional(Type.Boolean()),
  group: Type.Optional(
    Nullable(
      Type.Object(
        {
          size: Type.Integer({ minimum: 2, maximum: 100, description: 'Members a group needs, its opener included' }),
          hours: Type.Integer({ minimum: 1, maximum: 720, description: 'Hours a group stays open for friends to join' }),
        },
        { additionalProperties: false, description: 'A group coupon (拼团): customers open and join groups in the wallet, and every member of a group that fills gets one coupon; null = no groups' },
      ),
    ),
  ),
  draft: Type.Optional(Type.Boolean({ description: 'Create as a draft, not yet issuable' })),
  stock_low_threshold: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000_000,
        description: '`card.stock_low` fires once when the stock left falls to this or below (again after it rose above); null = no alert. Default: 10% of the stock at creation, none below 10',
      }),
    ),
  ),
  remind_days_before: Type.Optional(
    Nullable(Type.Integer({ minimum: 1, maximum: 30, description: 'Holders are reminded (`coupon.expiring`) this many days before a coupon expires; null = no reminder. Default 3' })),
  ),
  share_rewards: Type.Optional(
    Nullable(
      Type.Array(ShareRewardInput, {
        maxItems: 10,
        description: 'Tiered share rewards (阶梯奖励): when the `friends`-th friend claims through a customer’s share link, the customer gets one coupon of `card_id` (one of your cards), once per tier; null or [] = none',
      }),
    ),
  ),
  unlock_after_friends: Type.Optional(
    Nullable(Type.Integer({ minimum: 1, maximum: 1000, description: 'A fission card (裂变券): coupons are issued `locked` and unlock once this many friends claimed through the holder’s share link; null = issued available' })),
  ),
}

export const CreateCardBody = Type.Object(cardFields, { additionalProperties: false })

const { type: _type, stock: _stock, draft: _draft, ...changeable } = cardFields
/** A change: any of the card's terms or settings; the type and stock are changed otherwise. */
export const UpdateCardBody = Type.Object(
  Object.fromEntries(Object.entries(changeable).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof typeof changeable]: ReturnType<typeof Type.Optional<(typeof changeable)[K]>>
  },
  { additionalProperties: false, minProperties: 1 },
)

/** A card as the API takes it (the shape of CreateCardBody), for the service. */
export interface CardInput extends CardTermsInput {
  tiers?: { least_cost: number; reduce_cost: number }[] | null
  max_discount?: number | null
  get_limit?: number
  code_type?: CodeType
  code_format?: CodeFormat
  validity: { type: ValidityType; begin_at?: string; end_at?: string; days?: number; start_after_days?: number }
  usable_hours?: { days: number[]; start: string; end: string }[] | null
  store_ids?: string[] | null
  can_share?: boolean
  can_gift?: boolean
  group?: { size: number; hours: number } | null
  draft?: boolean
  stock_low_threshold?: number | null
  remind_days_before?: number | null
  share_rewards?: { friends: number; card_id: string }[] | null
  unlock_after_friends?: number | null
}

const TierSchema = Type.Object({ least_cost: Money, reduce_cost: PositiveMoney })
const UsableWindowSchema = Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 })), start: Type.String(), end: Type.String() })

/** A validity as cards return it; a fixed range's instants in the merchant's zone. */
export const ValiditySchema = Type.Union([
  Type.Object({ type: Type.Literal('fixed_range'), begin_at: Timestamp, end_at: Timestamp }),
  Type.Object({
    type: Type.Literal('fixed_term'),
    days: Type.Integer({ description: 'Days of validity, the day of claim (or of the delayed start) being day 1' }),
    start_after_days: Type.Integer({ description: 'Days after the claim day the term starts; 0 = at the claim' }),
  }),
])

/** The face of a card (look and value), as the merchant and customers see it. */
export const CardFaceFields = {
  type: cardFields.type,
  title: Type.String(),
  subtitle: Nullable(Type.String()),
  color: Nullable(Type.String()),
  logo_url: Nullable(Type.String()),
  notice: Type.String(),
  reduce_cost: Nullable(PositiveMoney),
  least_cost: Nullable(Money),
  tiers: Nullable(Type.Array(TierSchema)),
  percent_off: Nullable(Type.Integer()),
  max_discount: Nullable(PositiveMoney),
  gift: Nullable(Type.String()),
  deal_detail: Nullable(Type.String()),
  default_detail: Nullable(Type.String()),
}

/** Every promised term beyond the face. */
export const CardTermsFields = {
  ...CardFaceFields,
  description: Nullable(Type.String()),
  validity: ValiditySchema,
  usable_hours: Nullable(Type.Array(UsableWindowSchema)),
  store_ids: Type.Array(Type.String(), { description: 'Empty = every store of the merchant' }),
  can_share: Type.Boolean(),
  can_gift: Type.Boolean(),
  group: Nullable(Type.Object({ size: Type.Integer(), hours: Type.Integer() }, { description: 'A group coupon (拼团); null = an ordinary card' })),
}

/** A card as the merchant sees it: its current terms, status, stock and issuing settings. */
export const CardSchema = Type.Object({
  id: Type.String(),
  ...CardTermsFields,
  status: Type.Union([Type.Literal('draft'), Type.Literal('active'), Type.Literal('paused'), Type.Literal('ended')]),
  version: Type.Integer({ description: 'Version of the terms; coupons keep the one they were issued under' }),
  stock: Type.Integer({ description: 'Still to be issued (what `POST …/stock` changes)' }),
  stock_remaining: Type.Integer({ description: 'The same as `stock`' }),
  issued_count: Type.Integer(),
  get_limit: Type.Integer(),
  code_type: CodeTypeSchema,
  code_format: CodeFormatSchema,
  stock_low_threshold: Nullable(Type.Integer()),
  remind_days_before: Nullable(Type.Integer()),
  share_rewards: Type.Array(Type.Object({ friends: Type.Integer(), card_id: Type.String() }), { description: 'Share reward tiers, fewest friends first' }),
  unlock_after_friends: Nullable(Type.Integer({ description: 'Friends a holder brings before a coupon of this fission card unlocks' })),
  created_at: Timestamp,
  updated_at: Timestamp,
})
