import { Type, type Static } from 'typebox'
import { Nullable, Timestamp } from '../../http/schemas.ts'
import { MAX_TAG_LENGTH } from '../../domain/sharing.ts'
import type { CouponSource, CouponState } from './coupons.table.ts'

/** The state a coupon reads as now: an available coupon past its validity reads expired. */
export const CouponStateSchema = Type.Union([
  Type.Literal('available'), Type.Literal('redeemed'), Type.Literal('expired'), Type.Literal('voided'),
  Type.Literal('gifting', { description: 'A gift of it waits for its receiver; it cannot be redeemed until the gift is cancelled or returns' }),
  Type.Literal('gifted', { description: 'Given away: the receiver holds a new coupon with its own code, and this code no longer redeems' }),
  Type.Literal('locked', { description: 'A fission coupon (裂变券) waiting for friends to claim through its holder’s share link' }),
])
export const CouponSourceSchema = Type.Union(
  [
    Type.Literal('api'), Type.Literal('claim_link'), Type.Literal('bulk'), Type.Literal('payment'), Type.Literal('gift'), Type.Literal('referral'),
    Type.Literal('points_exchange'), Type.Literal('birthday'), Type.Literal('share'), Type.Literal('share_reward'), Type.Literal('group'),
  ],
  { description: 'How the coupon reached its owner' },
)
// The schemas list exactly the table's states and sources.
const sameStates: [Static<typeof CouponStateSchema>, CouponState] extends [CouponState, Static<typeof CouponStateSchema>] ? true : never = true
const sameSources: [Static<typeof CouponSourceSchema>, CouponSource] extends [CouponSource, Static<typeof CouponSourceSchema>] ? true : never = true
void sameStates
void sameSources

const Tag = (what: string) =>
  Type.String({ minLength: 1, maxLength: MAX_TAG_LENGTH, description: `${what}: a free tag of yours (≤ ${MAX_TAG_LENGTH} characters) kept on the coupon, its events and statistics` })

/** The channel and campaign tags an issue or a claim link may carry (`livestream`, `mini_game`, `menu`, `moments_ad`, …). */
export const TagInputFields = {
  channel: Type.Optional(Nullable(Tag('Where the coupon is handed out, e.g. `livestream`, `mini_game`, `menu`, `moments_ad`'))),
  campaign: Type.Optional(Nullable(Tag('The campaign it belongs to'))),
}

/** The tags of a request body, as the coupon keeps them. */
export function tagsOf(body: { channel?: string | null; campaign?: string | null }): { channel: string | null; campaign: string | null } {
  return { channel: body.channel ?? null, campaign: body.campaign ?? null }
}

/** A coupon as the API shows it (presentCoupon), its timestamps in the merchant's zone. */
export const CouponFields = {
  id: Type.String(),
  code: Type.String({ description: 'The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven' }),
  card_id: Type.String(),
  card_version_id: Type.String({ description: 'The card version whose terms the coupon was issued under' }),
  user_id: Type.String(),
  state: CouponStateSchema,
  source: CouponSourceSchema,
  valid_from: Timestamp,
  valid_until: Timestamp,
  issued_at: Timestamp,
  redeemed_at: Nullable(Timestamp),
  redemption_id: Nullable(Type.String()),
  voided_at: Nullable(Timestamp),
  voided_by: Nullable(Type.Union([Type.Literal('holder'), Type.Literal('merchant')], { description: 'Who voided a voided coupon: `holder` (removed from the wallet, `DELETE /v1/wallet/coupons/{id}`) or `merchant`; null when not voided' })),
  gifted_by: Nullable(Type.String({ description: 'For a coupon received as a gift (source `gift`): the user id of the giver' })),
  channel: Nullable(Type.String({ description: 'The channel tag given when it was issued or on its claim link (`livestream`, `menu`, …)' })),
  campaign: Nullable(Type.String({ description: 'The campaign tag given when it was issued or on its claim link' })),
  shared_by: Nullable(Type.String({ description: 'For `source: share`: the user id of the customer whose share link it was claimed through' })),
  unlock_after_friends: Nullable(Type.Integer({ description: 'A fission coupon: friends its holder brings through their share link before it unlocks' })),
}

export const CouponSchema = Type.Object(CouponFields)

/** A coupon without its code, for lists that show codes one at a time (the wallet's). */
const { code: _code, ...withoutCode } = CouponFields
export const CouponFieldsWithoutCode = withoutCode

/** A coupon looked up by its code: with who holds it, as far as their words can be shown to staff. */
export const CouponLookupSchema = Type.Object({
  ...CouponFields,
  customer_contact: Nullable(
    Type.String({ description: 'The phone number or e-mail address the holder signed in to the wallet with, masked (`138****0000`, `a***@example.com`); null for a user of your own system' }),
  ),
})
