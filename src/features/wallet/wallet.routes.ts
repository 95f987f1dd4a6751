import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { customerOf } from '../../http/auth.ts'
import { IdParam, ListQuery, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { QR_FORMATS, QrQuery, sendQr } from '../claim-links/qr-image.ts'
import { CouponStateSchema } from '../coupons/coupons.schemas.ts'
import { requireWalletMerchant } from '../customers/customers.service.ts'
import { countCardView } from '../tracking/tracking.routes.ts'
import { getWalletCoupon, linkCellsOf, listWalletCoupons, presentWalletCouponDetail, presentWalletListItem, removeWalletCoupon, walletPageFactsOf } from './wallet.service.ts'
import { WalletCouponPageSchema, WalletCouponList, WalletMeSchema } from './wallet.schemas.ts'

const CouponParams = IdParam('coupon_id')
const customerOnly = { auth: 'customer' as const }

/** The signed-in customer's wallet: who they are and their coupons with this merchant. */
export async function walletRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/wallet/me',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'The signed-in customer and the merchant', response: responses({ 200: WalletMeSchema }) } },
    async (request) => {
      const customer = customerOf(request)
      const merchant = await requireWalletMerchant(ctx, customer.merchantId)
      return { merchant: { id: merchant.merchantId, name: merchant.name }, user_id: customer.userId }
    },
  )

  app.get(
    '/v1/wallet/coupons',
    {
      config: customerOnly,
      schema: {
        tags: ['wallet'],
        summary: 'My coupons: with state=available soonest-expiring first, otherwise newest first',
        querystring: Type.Intersect([ListQuery, Type.Object({ state: Type.Optional(CouponStateSchema) })]),
        response: responses({ 200: WalletCouponList }),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const { query } = request
      const now = ctx.clock.now()
      const { coupons, nextCursor } = await listWalletCoupons(ctx, customer, { state: query.state, cursor: query.cursor, limit: query.limit ?? 50 })
      return { data: coupons.map((c) => presentWalletListItem(c, customer.merchantTz, now)), next_cursor: nextCursor }
    },
  )

  app.get(
    '/v1/wallet/coupons/:coupon_id',
    {
      config: customerOnly,
      schema: { tags: ['wallet'], summary: 'One of my coupons with all its terms and stores (counts a view of its card)', params: CouponParams, response: responses({ 200: WalletCouponPageSchema }) },
    },
    async (request) => {
      const customer = customerOf(request)
      const coupon = await getWalletCoupon(ctx, customer, request.params.coupon_id)
      const { links, viewEvents } = await walletPageFactsOf(ctx, coupon.coupon)
      await countCardView(ctx, request, { id: customer.merchantId, timezone: customer.merchantTz }, coupon.coupon.card_id, viewEvents)
      return { ...(await presentWalletCouponDetail(ctx, coupon, customer.merchantTz, ctx.clock.now())), links }
    },
  )

  app.delete(
    '/v1/wallet/coupons/:coupon_id',
    {
      config: customerOnly,
      schema: {
        tags: ['wallet'],
        summary: 'Remove one of my unused coupons from my wallet, irreversibly (it is voided and can no longer be used); again: the same answer',
        description:
          'Available coupons (also before their validity starts) and locked ones can be removed. The coupon reads as `voided` with `voided_by: "holder"`, ' +
          'leaves the wallet list and writes one `coupon.voided` event with `by: "holder"` (WeChat push `user_del_card`).',
        params: CouponParams,
        response: responses({ 200: WalletCouponPageSchema }),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const coupon = await removeWalletCoupon(ctx, customer, request.params.coupon_id)
      return { ...(await presentWalletCouponDetail(ctx, coupon, customer.merchantTz, ctx.clock.now())), links: await linkCellsOf(ctx, coupon.coupon) }
    },
  )

  for (const format of QR_FORMATS) {
    app.get(
      `/v1/wallet/coupons/:coupon_id/qr.${format}`,
      {
        config: customerOnly,
        schema: {
          tags: ['wallet'],
          summary: `My coupon's code as a QR code (${format.toUpperCase()}) to show at the till`,
          params: CouponParams,
          querystring: QrQuery,
          response: responses({ 200: Type.String({ description: format === 'png' ? 'PNG image' : 'SVG image' }) }),
        },
      },
      async (request, reply) => {
        const customer = customerOf(request)
        const { coupon } = await getWalletCoupon(ctx, customer, request.params.coupon_id)
        // The code is the owner's secret: only their own browser may keep the image.
        return sendQr(reply, ctx.secrets.decryptCode(coupon.code_enc), format, request.query.size ?? 512, 'private, max-age=3600')
      },
    )
  }
}
