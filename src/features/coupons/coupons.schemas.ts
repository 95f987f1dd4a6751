import { Type, type Static } from 'typebox'
import { Nullable, Timestamp } from '../../http/schemas.ts'
import type { CouponSource, CouponState } from './coupons.table.ts'

/** The state a coupon reads as now: an available coupon past its validity reads expired. */
export const CouponStateSchema = Type.Union([Type.Literal('available'), Type.Literal('redeemed'), Type.Literal('expired'), Type.Literal('voided')])
export const CouponSourceSchema = Type.Union(
  [
    Type.Literal('api'), Type.Literal('claim_link'), Type.Literal('bulk'), Type.Literal('payment'), Type.Literal('gift'), Type.Literal('referral'),
    Type.Literal('points_exchange'), Type.Literal('birthday'), Type.Literal('group'),
  ],
  { description: 'How the coupon reached its owner' },
)
// The schemas list exactly the table's states and sources.
const sameStates: [Static<typeof CouponStateSchema>, CouponState] extends [CouponState, Static<typeof CouponStateSchema>] ? true : never = true
const sameSources: [Static<typeof CouponSourceSchema>, CouponSource] extends [CouponSource, Static<typeof CouponSourceSchema>] ? true : never = true
void sameStates
void sameSources

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
}

export const CouponSchema = Type.Object(CouponFields)

/** A coupon looked up by its code: with who holds it, as far as their words can be shown to staff. */
export const CouponLookupSchema = Type.Object({
  ...CouponFields,
  customer_contact: Nullable(
    Type.String({ description: 'The phone number or e-mail address the holder signed in to the wallet with, masked (`138****0000`, `a***@example.com`); null for a user of your own system' }),
  ),
})
