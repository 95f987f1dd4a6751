import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { customerOf, merchantOf } from '../../http/auth.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { DeviceHeaders, IdParam, ListQuery, Nullable, Timestamp, UserId, listOf, responses } from '../../http/schemas.ts'
import { requestRiskSubject } from '../risk/risk-request.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, formatOptionalInstant, parseInstant } from '../../domain/time.ts'
import { presentCardTerms } from '../wallet/card-terms.ts'
import { presentWalletCouponDetail } from '../wallet/wallet.service.ts'
import { countCardView } from '../tracking/tracking.routes.ts'
import { claimLinkStatus } from './claim-link-rules.ts'
import { claimLinkToken, claimPageOf, claimThroughLink, createClaimLink, disableClaimLink, findClaimLinkByToken, getClaimLink, isMemberCardId, joinThroughLink, type ClaimLinkRow } from './claim-links.service.ts'
import { JoinFields, WalletMemberSchema } from '../members/members.schemas.ts'
import { presentWalletMember } from '../members/members.wallet.routes.ts'
import { listClaimLinks } from './claim-links.repository.ts'
import { sharerDisplay } from '../sharing/sharing.service.ts'
import { TagInputFields, tagsOf } from '../coupons/coupons.schemas.ts'
import { ClaimedCouponSchema, ClaimLinkSchema, ClaimPageSchema, QrImage } from './claim-links.schemas.ts'
import { QR_FORMATS, QrQuery, sendQr } from './qr-image.ts'

const CreateClaimLinkBody = Type.Object(
  {
    max_claims: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'How many coupons the link hands out in all; null = as many as the stock allows' }))),
    expires_at: Type.Optional(Nullable(Timestamp)),
    for_user_id: Type.Optional(Nullable({ ...UserId, description: 'Reserve the link for one customer: only this user id claims through it' })),
    ...TagInputFields,
  },
  { additionalProperties: false },
)

const TokenParams = IdParam('token')

const ListClaimLinksQuery = Type.Intersect([ListQuery, Type.Object({ card_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) })])

/** Where the wallet's claim page for a link lives; the QR codes point there. */
export function claimUrl(ctx: AppContext, token: string): string {
  return `${ctx.publicUrl}/wallet/claim/${token}`
}

/** The wallet page a link opens: the claim page, or for a member card's link its join page claiming through the link. */
export function linkUrl(ctx: AppContext, cardId: string, token: string): string {
  return isMemberCardId(cardId) ? `${ctx.publicUrl}/wallet/member-cards/${encodeURIComponent(cardId)}?link=${token}` : claimUrl(ctx, token)
}

function presentClaimLink(ctx: AppContext, link: ClaimLinkRow, tz: string, now: number) {
  const token = claimLinkToken(ctx.secrets, link)
  const qrBase = `${ctx.publicUrl}/v1/claim-links/${token}/qr`
  return {
    id: link.id,
    card_id: link.card_id,
    token,
    url: linkUrl(ctx, link.card_id, token),
    qr_png_url: `${qrBase}.png`,
    qr_svg_url: `${qrBase}.svg`,
    status: claimLinkStatus(link, now),
    claimed_count: link.claimed_count,
    max_claims: link.max_claims,
    expires_at: formatOptionalInstant(link.expires_at, tz),
    created_at: formatInstant(link.created_at, tz),
    channel: link.channel_tag,
    campaign: link.campaign,
    shared_by: link.shared_by,
    for_user_id: link.for_user_id ?? null,
  }
}

export async function claimLinksRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/cards/:card_id/claim-links',
    {
      schema: {
        tags: ['claim links'],
        summary: 'Make a link (and QR code) through which customers claim a coupon of this card',
        params: IdParam('card_id'),
        body: CreateClaimLinkBody,
        response: responses({ 201: ClaimLinkSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { body } = request
      const now = ctx.clock.now()
      let expiresAt: number | null = null
      if (body.expires_at !== undefined && body.expires_at !== null) {
        expiresAt = parseInstant(body.expires_at)
        if (expiresAt === null) throw validationFailed([{ field: 'expires_at', code: 'invalid', message: 'is not an ISO 8601 timestamp with an offset' }])
        if (expiresAt <= now) throw validationFailed([{ field: 'expires_at', code: 'in_past', message: 'must be in the future' }])
      }
      const link = await createClaimLink(ctx, merchantId, request.params.card_id, { maxClaims: body.max_claims ?? null, expiresAt, tags: tagsOf(body), forUserId: body.for_user_id ?? null }, idempotencyRefOf(request))
      return reply.code(201).send(presentClaimLink(ctx, link, merchantTz, now))
    },
  )

  app.get(
    '/v1/claim-links',
    { schema: { tags: ['claim links'], summary: 'List claim links, newest last', querystring: ListClaimLinksQuery, response: responses({ 200: listOf(ClaimLinkSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      const after = decodeCursor(request.query.cursor)
      const now = ctx.clock.now()
      const rows = await listClaimLinks(db, merchantId, { cardId: request.query.card_id, after, limit: limit + 1 })
      return page(rows, limit, (row) => presentClaimLink(ctx, row, merchantTz, now))
    },
  )

  app.get(
    '/v1/claim-links/:claim_link_id',
    { schema: { tags: ['claim links'], summary: 'Get a claim link with its claim count', params: IdParam('claim_link_id'), response: responses({ 200: ClaimLinkSchema }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const link = await getClaimLink(db, merchantId, request.params.claim_link_id)
      return presentClaimLink(ctx, link, merchantTz, ctx.clock.now())
    },
  )

  app.post(
    '/v1/claim-links/:claim_link_id/disable',
    { schema: { tags: ['claim links'], summary: 'Stop a claim link handing out coupons', params: IdParam('claim_link_id'), response: responses({ 200: ClaimLinkSchema }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const link = await disableClaimLink(ctx, merchantId, request.params.claim_link_id)
      return presentClaimLink(ctx, link, merchantTz, ctx.clock.now())
    },
  )

  for (const format of QR_FORMATS) {
    app.get(
      `/v1/claim-links/:token/qr.${format}`,
      {
        config: { auth: 'none', rateLimit: 'claim' },
        schema: {
          tags: ['claim links'],
          summary: `The link as a QR code (${format.toUpperCase()}), public so it can be printed or embedded`,
          security: [],
          params: TokenParams,
          querystring: QrQuery,
          response: responses({ 200: QrImage(format) }),
        },
      },
      async (request, reply) => {
        const { token } = request.params
        const link = await findClaimLinkByToken(db, token)
        if (!link) throw new AppError('claim_link_not_found', 'There is no claim link with this token.')
        // The image only encodes the link's URL, which never changes: caches may keep it.
        return sendQr(reply, linkUrl(ctx, link.card_id, token), format, request.query.size ?? 512, 'public, max-age=86400')
      },
    )
  }

  app.get(
    '/v1/claim/:token',
    {
      config: { auth: 'optional_customer', rateLimit: 'claim' },
      schema: {
        tags: ['claim links'],
        summary: 'What the claim page shows: the card, its terms, the merchant, and whether it can still be claimed; counts a view of the card (the wallet token when sent, else the Kabao-Device header, names the viewer)',
        security: [],
        params: TokenParams,
        response: responses({ 200: ClaimPageSchema }),
      },
    },
    async (request) => {
      const device = request.headers['kabao-device']
      const visitor = request.customer ? `u:${request.customer.userId}` : typeof device === 'string' && /^[\x21-\x7e]{1,128}$/.test(device) ? `d:${device}` : null
      const { link, card, merchant, stores, unavailableReason } = await claimPageOf(ctx, request.params.token, visitor)
      await countCardView(ctx, request, merchant, card.card.id)
      const tz = merchant.timezone
      return {
        token: request.params.token,
        status: claimLinkStatus(link, ctx.clock.now()),
        claimable: unavailableReason === null,
        unavailable_reason: unavailableReason,
        expires_at: formatOptionalInstant(link.expires_at, tz),
        remaining: link.max_claims === null ? null : Math.max(0, link.max_claims - link.claimed_count),
        merchant: { id: merchant.id, name: merchant.name },
        card: { id: card.card.id, ...presentCardTerms(card.terms, stores), get_limit: card.card.get_limit },
        sharer: link.shared_by === null ? null : await sharerDisplay(ctx, link.merchant_id, link.shared_by),
      }
    },
  )

  app.post(
    '/v1/claim/:token',
    {
      config: { auth: 'customer', rateLimit: 'claim' },
      schema: {
        tags: ['claim links'],
        summary: 'Claim a coupon through the link as the signed-in customer; a member card’s link (card_id mcd_…) joins the member card instead (409 already_member) and answers the membership',
        params: TokenParams,
        headers: DeviceHeaders,
        body: Type.Optional(Type.Object({ profile: JoinFields.profile, consent: JoinFields.consent }, { additionalProperties: false, description: 'Only for a member card’s link: the profile given when joining' })),
        response: responses({ 201: Type.Union([ClaimedCouponSchema, WalletMemberSchema]) }),
      },
    },
    async (request, reply) => {
      const customer = customerOf(request)
      const risk = requestRiskSubject(request)
      const link = await findClaimLinkByToken(db, request.params.token)
      if (link && isMemberCardId(link.card_id)) {
        const body = request.body ?? {}
        const { member, card } = await joinThroughLink(ctx, customer, request.params.token, { profile: body.profile ?? {}, consent: body.consent ?? false }, idempotencyRefOf(request), risk)
        return reply.code(201).send(await presentWalletMember(ctx, member, card, customer.merchantTz))
      }
      const coupon = await claimThroughLink(ctx, customer, request.params.token, idempotencyRefOf(request), risk)
      return reply.code(201).send(await presentWalletCouponDetail(ctx, coupon, customer.merchantTz, ctx.clock.now()))
    },
  )
}
