import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { customerOf } from '../../http/auth.ts'
import { IdParam, ListQuery } from '../../http/schemas.ts'
import { QR_FORMATS, QrQuery, sendQr } from '../claim-links/qr-image.ts'
import { requireWalletMerchant } from '../customers/customers.service.ts'
import { getWalletCoupon, listWalletCoupons, presentWalletCoupon, presentWalletCouponDetail } from './wallet.service.ts'

const CouponState = Type.Union(['available', 'redeemed', 'expired', 'voided'].map((s) => Type.Literal(s)))
const CouponParams = IdParam('coupon_id')
const customerOnly = { auth: 'customer' as const }

/** The signed-in customer's wallet: who they are and their coupons with this merchant. */
export async function walletRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/v1/wallet/me', { config: customerOnly, schema: { tags: ['wallet'], summary: 'The signed-in customer and the merchant' } }, async (request) => {
    const customer = customerOf(request)
    const merchant = await requireWalletMerchant(ctx, customer.merchantId)
    return { merchant: { id: merchant.merchantId, name: merchant.name }, user_id: customer.userId }
  })

  app.get(
    '/v1/wallet/coupons',
    {
      config: customerOnly,
      schema: {
        tags: ['wallet'],
        summary: 'My coupons: with state=available soonest-expiring first, otherwise newest first',
        querystring: Type.Intersect([ListQuery, Type.Object({ state: Type.Optional(CouponState) })]),
      },
    },
    async (request) => {
      const customer = customerOf(request)
      const query = request.query as { limit?: number; cursor?: string; state?: 'available' | 'redeemed' | 'expired' | 'voided' }
      const now = ctx.clock.now()
      const { coupons, nextCursor } = await listWalletCoupons(ctx, customer, { state: query.state, cursor: query.cursor, limit: query.limit ?? 50 })
      return { data: coupons.map((c) => presentWalletCoupon(ctx, c, customer.merchantTz, now)), next_cursor: nextCursor }
    },
  )

  app.get(
    '/v1/wallet/coupons/:coupon_id',
    { config: customerOnly, schema: { tags: ['wallet'], summary: 'One of my coupons with all its terms and stores', params: CouponParams } },
    async (request) => {
      const customer = customerOf(request)
      const coupon = await getWalletCoupon(ctx, customer, (request.params as { coupon_id: string }).coupon_id)
      return presentWalletCouponDetail(ctx, coupon, customer.merchantTz, ctx.clock.now())
    },
  )

  for (const format of QR_FORMATS) {
    app.get(
      `/v1/wallet/coupons/:coupon_id/qr.${format}`,
      { config: customerOnly, schema: { tags: ['wallet'], summary: `My coupon's code as a QR code (${format.toUpperCase()}) to show at the till`, params: CouponParams, querystring: QrQuery } },
      async (request, reply) => {
        const customer = customerOf(request)
        const { coupon } = await getWalletCoupon(ctx, customer, (request.params as { coupon_id: string }).coupon_id)
        const size = (request.query as { size?: number }).size ?? 512
        // The code is the owner's secret: only their own browser may keep the image.
        return sendQr(reply, ctx.secrets.decryptCode(coupon.code_enc), format, size, 'private, max-age=3600')
      },
    )
  }
}
