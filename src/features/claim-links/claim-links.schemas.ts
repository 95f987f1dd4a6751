import { Type } from 'typebox'
import { CouponFields } from '../coupons/coupons.schemas.ts'
import { Nullable, Timestamp } from '../../http/schemas.ts'
import { CardTermsFields, CodeTypeSchema } from '../cards/cards.schemas.ts'

export const ClaimLinkStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('expired'), Type.Literal('exhausted')])

export const ClaimLinkSchema = Type.Object({
  id: Type.String(),
  card_id: Type.String(),
  token: Type.String(),
  url: Type.String({ description: 'The wallet’s claim page for the link' }),
  qr_png_url: Type.String(),
  qr_svg_url: Type.String(),
  status: ClaimLinkStatusSchema,
  claimed_count: Type.Integer(),
  max_claims: Nullable(Type.Integer()),
  expires_at: Nullable(Timestamp),
  created_at: Timestamp,
  channel: Nullable(Type.String()),
  campaign: Nullable(Type.String()),
  shared_by: Nullable(Type.String({ description: 'A share link: the user id of the customer who shared the card' })),
  for_user_id: Nullable(Type.String({ description: 'Reserved for one customer: only this user id claims through it' })),
})

const StoreSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
})

/** Every term a customer is promised (presentCardTerms), with the stores it is good in. */
export const CustomerCardTermsFields = {
  ...CardTermsFields,
  usable_hours_text: Nullable(Type.String({ description: 'e.g. "Mon-Fri 10:00-22:00"; null when usable at any hour' })),
  all_stores: Type.Boolean({ description: 'Good in every store of the merchant (then `stores` is empty)' }),
  stores: Type.Array(StoreSummarySchema),
}

export const ClaimPageSchema = Type.Object({
  token: Type.String(),
  status: ClaimLinkStatusSchema,
  claimable: Type.Boolean(),
  unavailable_reason: Nullable(Type.Union([Type.Literal('disabled'), Type.Literal('expired'), Type.Literal('exhausted'), Type.Literal('card_not_active'), Type.Literal('out_of_stock')])),
  expires_at: Nullable(Timestamp),
  remaining: Nullable(Type.Integer({ description: 'Coupons the link still hands out; null = as many as the stock allows' })),
  merchant: Type.Object({ id: Type.String(), name: Type.String() }),
  card: Type.Object({ id: Type.String(), ...CustomerCardTermsFields, get_limit: Type.Integer() }),
  sharer: Nullable(
    Type.Object(
      {
        name: Nullable(Type.String({ description: 'The name the sharer gave a member card of the merchant, if any' })),
        masked_id: Type.String({ description: 'The sharer’s wallet phone or e-mail, else user id, masked (`138****0000`, `cu***42`)' }),
      },
      { description: 'A share link: who shared it, as a friend may see them; null for the merchant’s own links' },
    ),
  ),
})

/** The coupon claimed, as the wallet shows it: with every term it was issued under. */
export const ClaimedCouponSchema = Type.Object({
  ...CouponFields,
  code_type: CodeTypeSchema,
  card: Type.Object(CustomerCardTermsFields),
})

export const QrImage = (format: 'png' | 'svg') =>
  Type.String({ description: format === 'png' ? 'PNG image (image/png)' : 'SVG image (image/svg+xml)' })
