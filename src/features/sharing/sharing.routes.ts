import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { customerOf } from '../../http/auth.ts'
import { DeviceHeaders, IdParam, responses } from '../../http/schemas.ts'
import { requestRiskSubject } from '../risk/risk-request.ts'
import type { FeatureApp } from '../feature.ts'
import { claimUrl } from '../claim-links/claim-links.routes.ts'
import { shareCard } from './sharing.service.ts'

const ShareSchema = Type.Object({
  url: Type.String({ description: 'The wallet’s claim page of the share link: friends claim there' }),
  token: Type.String({ description: 'The share link’s token, usable with `/v1/claim/{token}`' }),
  claim_link_id: Type.String(),
  qr_png_url: Type.String({ description: 'The link as a QR code, for a friend in the same room' }),
  qr_svg_url: Type.String(),
  friends: Type.Integer({ description: 'Friends who claimed their first coupon of the card through this link so far' }),
})

/** Customers share cards: a share link of their own per card, whose claims are attributed to them. */
export async function sharingRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/wallet/cards/:card_id/share',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['wallet'],
        summary: 'Share a card: my share link of it (the same one each time), counted as a share; friends who claim through it count toward the card’s share rewards and my locked coupons',
        params: IdParam('card_id'),
        headers: DeviceHeaders,
        response: responses({ 201: ShareSchema }),
      },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      const { link, token } = await shareCard(ctx, customer, request.params.card_id, requestRiskSubject(request))
      const qrBase = `${ctx.publicUrl}/v1/claim-links/${token}/qr`
      return reply.code(201).send({ url: claimUrl(ctx, token), token, claim_link_id: link.id, qr_png_url: `${qrBase}.png`, qr_svg_url: `${qrBase}.svg`, friends: link.friend_count })
    },
  )
}
