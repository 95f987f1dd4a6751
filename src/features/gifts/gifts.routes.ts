import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { customerOf, merchantOf } from '../../http/auth.ts'
import { DeviceHeaders, IdParam, ListQuery, Nullable, Timestamp, listOf, responses } from '../../http/schemas.ts'
import { requestRiskSubject } from '../risk/risk-request.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { MAX_GIFT_TTL_MS, MIN_GIFT_TTL_MS } from '../../domain/gifts.ts'
import { decodeCursor, page } from '../../pagination.ts'
import type { FeatureApp } from '../feature.ts'
import { QR_FORMATS, QrQuery, sendQr } from '../claim-links/qr-image.ts'
import { presentCardTerms } from '../wallet/card-terms.ts'
import { presentWalletCouponDetail } from '../wallet/wallet.service.ts'
import { WalletCouponDetailSchema, CardTermsSchema } from '../wallet/wallet.schemas.ts'
import { storesOf } from '../wallet/wallet.repository.ts'
import { requireWalletMerchant } from '../customers/customers.service.ts'
import { listGifts } from './gifts.repository.ts'
import { acceptGift, cancelGift, findGiftByToken, getGift, giftPageOf, giftToken, pendingGiftOf, sendGift, type GiftRow } from './gifts.service.ts'
import { AppError } from '../../errors.ts'

const GiftStateSchema = Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('cancelled'), Type.Literal('returned')], {
  description: 'pending until accepted by a receiver, cancelled by the giver, or returned to the giver at expires_at',
})

const SendGiftBody = Type.Object(
  {
    expires_in_seconds: Type.Optional(
      Type.Integer({ minimum: MIN_GIFT_TTL_MS / 1000, maximum: MAX_GIFT_TTL_MS / 1000, description: 'How long the gift waits for its receiver (default 86400, one day); never past the coupon’s own validity' }),
    ),
  },
  { additionalProperties: false },
)

/** A gift link as its giver gets it (and gets again while it is pending). */
const GiftLinkSchema = Type.Object({
  gift_id: Type.String(),
  token: Type.String({ description: 'The secret of the link: whoever has it may accept the gift, once' }),
  url: Type.String({ description: 'The wallet’s gift page for the receiver' }),
  qr_svg_url: Type.String({ description: 'The link as a QR code, for a friend in the same room' }),
  expires_at: Timestamp,
})

/** What the receiver's gift page shows before accepting. */
const GiftPageSchema = Type.Object({
  state: GiftStateSchema,
  acceptable: Type.Boolean({ description: 'Pending and not expired' }),
  expires_at: Timestamp,
  giver: Type.String({ description: 'Who gives it, masked (their contact or user id)' }),
  merchant: Type.Object({ id: Type.String(), name: Type.String() }),
  valid_from: Timestamp,
  valid_until: Timestamp,
  card: CardTermsSchema,
})

/** A gift as the merchant's audit trail shows it. */
const GiftSchema = Type.Object({
  id: Type.String(),
  card_id: Type.String(),
  coupon_id: Type.String({ description: 'The giver’s coupon (gifted once accepted)' }),
  giver_user_id: Type.String(),
  state: GiftStateSchema,
  receiver_user_id: Nullable(Type.String()),
  received_coupon_id: Nullable(Type.String({ description: 'The receiver’s coupon, with its own new code' })),
  expires_at: Timestamp,
  created_at: Timestamp,
  closed_at: Nullable(Timestamp),
})

const ListGiftsQuery = Type.Intersect([
  ListQuery,
  Type.Object({
    coupon_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Gifts of this coupon, given or received' })),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Gifts this user gave or received' })),
    state: Type.Optional(GiftStateSchema),
  }),
])

const TokenParams = IdParam('token')
const CouponParams = IdParam('coupon_id')

/** Where the wallet's gift page for a token lives. */
export function giftUrl(ctx: AppContext, token: string): string {
  return `${ctx.publicUrl}/wallet/gift/${token}`
}

function presentGiftLink(ctx: AppContext, gift: GiftRow, token: string, tz: string) {
  return { gift_id: gift.id, token, url: giftUrl(ctx, token), qr_svg_url: `${ctx.publicUrl}/v1/wallet/gifts/${token}/qr.svg`, expires_at: formatInstant(gift.expires_at, tz) }
}

function presentGift(gift: GiftRow, tz: string) {
  return {
    id: gift.id,
    card_id: gift.card_id,
    coupon_id: gift.coupon_id,
    giver_user_id: gift.giver_user_id,
    state: gift.state,
    receiver_user_id: gift.receiver_user_id,
    received_coupon_id: gift.received_coupon_id,
    expires_at: formatInstant(gift.expires_at, tz),
    created_at: formatInstant(gift.created_at, tz),
    closed_at: formatOptionalInstant(gift.closed_at, tz),
  }
}

/** Gifts (转赠): the giver's and receiver's wallet routes, and the merchant's audit trail. */
export async function giftsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/wallet/coupons/:coupon_id/gift',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['gifts'],
        summary: 'Give one of my coupons: a link for one friend; the coupon is `gifting` (not redeemable) until accepted, cancelled or returned at expires_at',
        params: CouponParams,
        headers: DeviceHeaders,
        body: Type.Optional(SendGiftBody),
        response: responses({ 201: GiftLinkSchema }),
      },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      const ttl = request.body?.expires_in_seconds
      const { gift, token } = await sendGift(ctx, customer, request.params.coupon_id, { ttlMs: ttl === undefined ? undefined : ttl * 1000 }, requestRiskSubject(request))
      return reply.code(201).send(presentGiftLink(ctx, gift, token, customer.merchantTz))
    },
  )

  app.get(
    '/v1/wallet/coupons/:coupon_id/gift',
    {
      config: { auth: 'customer' },
      schema: { tags: ['gifts'], summary: 'The pending gift of my coupon, to show its link and QR code again (404 gift_not_found when none)', params: CouponParams, response: responses({ 200: GiftLinkSchema }) },
    },
    async (request) => {
      const customer = customerOf(request)
      const gift = await pendingGiftOf(ctx, customer, request.params.coupon_id)
      return presentGiftLink(ctx, gift, giftToken(ctx, gift), customer.merchantTz)
    },
  )

  app.post(
    '/v1/wallet/coupons/:coupon_id/gift/cancel',
    {
      config: { auth: 'customer' },
      schema: { tags: ['gifts'], summary: 'Take my pending gift back: the coupon is available again (409 gift_closed once accepted, cancelled or returned)', params: CouponParams, response: responses({ 200: WalletCouponDetailSchema }) },
    },
    async (request) => {
      const customer = customerOf(request)
      const coupon = await cancelGift(ctx, customer, request.params.coupon_id)
      return presentWalletCouponDetail(ctx, coupon, customer.merchantTz, ctx.clock.now())
    },
  )

  app.get(
    '/v1/wallet/gifts/:token',
    {
      config: { auth: 'optional_customer', rateLimit: 'claim' },
      schema: { tags: ['gifts'], summary: 'What the gift page shows before accepting: the coupon’s terms, who gives it, whether it can still be accepted', security: [], params: TokenParams, response: responses({ 200: GiftPageSchema }) },
    },
    async (request) => {
      const customer = request.customer ?? null
      const { gift, coupon, giver } = await giftPageOf(ctx, request.params.token, customer)
      const merchant = await requireWalletMerchant(ctx, gift.merchant_id)
      const tz = merchant.timezone
      const stores = await storesOf(db, gift.merchant_id, coupon.terms.store_ids)
      return {
        state: gift.state,
        acceptable: gift.state === 'pending' && gift.expires_at > ctx.clock.now(),
        expires_at: formatInstant(gift.expires_at, tz),
        giver,
        merchant: { id: merchant.merchantId, name: merchant.name },
        valid_from: formatInstant(coupon.coupon.valid_from, tz),
        valid_until: formatInstant(coupon.coupon.valid_until, tz),
        card: presentCardTerms(coupon.terms, stores),
      }
    },
  )

  app.post(
    '/v1/wallet/gifts/:token/accept',
    {
      config: { auth: 'customer', rateLimit: 'claim' },
      schema: {
        tags: ['gifts'],
        summary: 'Accept a gift as the signed-in customer: my new coupon (a new code, source gift, gifted_by); the giver’s code stops working in the same transaction',
        params: TokenParams,
        headers: DeviceHeaders,
        response: responses({ 201: WalletCouponDetailSchema }),
      },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      const coupon = await acceptGift(ctx, customer, request.params.token, requestRiskSubject(request))
      return reply.code(201).send(await presentWalletCouponDetail(ctx, coupon, customer.merchantTz, ctx.clock.now()))
    },
  )

  for (const format of QR_FORMATS) {
    app.get(
      `/v1/wallet/gifts/:token/qr.${format}`,
      {
        config: { auth: 'none', rateLimit: 'claim' },
        schema: {
          tags: ['gifts'],
          summary: `The gift link as a QR code (${format.toUpperCase()}): it encodes only the link, which its holder has anyway`,
          security: [],
          params: TokenParams,
          querystring: QrQuery,
          response: responses({ 200: Type.String({ description: format === 'png' ? 'PNG image' : 'SVG image' }) }),
        },
      },
      async (request, reply) => {
        const { token } = request.params
        if (!(await findGiftByToken(db, token))) throw new AppError('gift_not_found', 'There is no gift with this token.')
        return sendQr(reply, giftUrl(ctx, token), format, request.query.size ?? 512, 'private, max-age=3600')
      },
    )
  }

  app.get(
    '/v1/gifts',
    { schema: { tags: ['gifts'], summary: 'The audit trail of gifts: who gave which coupon to whom, when and how it ended; oldest first', querystring: ListGiftsQuery, response: responses({ 200: listOf(GiftSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      const rows = await listGifts(db, merchantId, { couponId: request.query.coupon_id, userId: request.query.user_id, state: request.query.state, after: decodeCursor(request.query.cursor), limit: limit + 1 })
      return page(rows, limit, (row) => presentGift(row, merchantTz))
    },
  )

  app.get(
    '/v1/gifts/:gift_id',
    { schema: { tags: ['gifts'], summary: 'One gift of the audit trail', params: IdParam('gift_id'), response: responses({ 200: GiftSchema }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentGift(await getGift(db, merchantId, request.params.gift_id), merchantTz)
    },
  )
}
