import type { AppContext } from '../../app-context.ts'
import type { Db, Tx } from '../../db/database.ts'
import { computeCouponValidity } from '../../domain/validity.ts'
import { AppError } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import { hashToken, type Secrets } from '../../ports/secrets.ts'
import type { Database } from '../../db/database.ts'
import { cardExists, findCardWithTerms, type CardWithTerms } from '../cards/cards.repository.ts'
import { findIssued, issueCouponInTx, type CouponTags } from '../coupons/coupons.service.ts'
import { loadWalletSigning } from '../customers/wallet-secrets.ts'
import { getWalletCoupon, type WalletCoupon } from '../wallet/wallet.service.ts'
import { storesOf, type StoreSummary } from '../wallet/wallet.repository.ts'
import { claimLinkStatus, inactiveReason, newClaimLinkRow } from './claim-link-rules.ts'
import { judgeRisk } from '../risk/risk.service.ts'
import { countSharedClaim } from '../sharing/sharing.service.ts'
import type { RiskSubject } from '../../domain/risk.ts'
import { countVariantView, findExperimentByToken, variantFor, type ExperimentRow } from '../experiments/experiments.service.ts'
import { insertExperimentClaim } from '../experiments/experiments.repository.ts'
import { findMemberCard } from '../member-cards/member-cards.repository.ts'
import { joinMember } from '../members/members.service.ts'
import type { MemberWithCard } from '../members/members.repository.ts'
import type { Profile } from '../../domain/member-card-rules.ts'
import { memberCodeIn } from '../wechat/wechat-member-codes.ts'
import { countClaim, disableClaimLinkRow, findClaimLink, findClaimLinkWithTokenHash, insertClaimLink, listLegacyTokens, sealLegacyToken, type ClaimLinkRow } from './claim-links.repository.ts'

export type { ClaimLinkRow }

/** Member cards are `mcd_…`: a claim link naming one joins its customer to the member card instead of issuing a coupon. */
export const isMemberCardId = (cardId: string): boolean => cardId.startsWith('mcd_')

/** Tokens are 24 random bytes in base64url; anything else cannot be a link and is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/

function notFound(): AppError {
  return new AppError('claim_link_not_found', 'There is no claim link with this id or token.')
}

/** Makes a claim link; a retry of the Idempotency-Key request making it (`requestRef`) after a crash finds it. */
export async function createClaimLink(
  ctx: AppContext,
  merchantId: string,
  cardId: string,
  input: { maxClaims: number | null; expiresAt: number | null; tags: CouponTags; forUserId?: string | null },
  requestRef: string | null = null,
): Promise<ClaimLinkRow> {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'claim_links', merchantId, (id) => getClaimLink(db, merchantId, id)), async () => {
    if (isMemberCardId(cardId)) await findMemberCard(db, merchantId, cardId)
    else if (!(await cardExists(db, merchantId, cardId))) throw new AppError('card_not_found', 'There is no card with this id.')
    const now = ctx.clock.now()
    const token = randomToken()
    const row = newClaimLinkRow({
      id: newId('cll', now),
      merchant_id: merchantId,
      card_id: cardId,
      token_hash: hashToken(token),
      token_sealed: ctx.secrets.seal(token),
      max_claims: input.maxClaims,
      expires_at: input.expiresAt,
      created_at: now,
      request_ref: requestRef,
      channel_tag: input.tags.channel,
      campaign: input.tags.campaign,
      for_user_id: input.forUserId ?? null,
    })
    await insertClaimLink(db, row)
    return row
  })
}

export async function getClaimLink(db: Db | Tx, merchantId: string, id: string): Promise<ClaimLinkRow> {
  const row = await findClaimLink(db, merchantId, id)
  if (!row) throw notFound()
  return row
}

/** Stops a link handing out coupons; disabling a disabled link again is a no-op. */
export async function disableClaimLink(ctx: AppContext, merchantId: string, id: string): Promise<ClaimLinkRow> {
  const { db } = ctx.database
  await getClaimLink(db, merchantId, id)
  await disableClaimLinkRow(db, merchantId, id)
  return getClaimLink(db, merchantId, id)
}

/** A link by its public token, whichever merchant it belongs to. */
export async function findClaimLinkByToken(db: Db | Tx, token: string): Promise<ClaimLinkRow | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined
  return findClaimLinkWithTokenHash(db, hashToken(token))
}

/** The public token of a link, for its URL and QR codes: unsealed, or as stored before tokens were hashed. */
export function claimLinkToken(secrets: Secrets, link: ClaimLinkRow): string {
  if (link.token_sealed !== null) return secrets.unseal(link.token_sealed)
  if (link.legacy_token !== null) return link.legacy_token
  throw new Error(`claim link ${link.id} has no token`)
}

/**
 * Seals the tokens of links made before tokens were hashed (migration 0014 hashed them, but sealing needs
 * the secret key, which migrations do not have). Run after migrating, by every process that starts with
 * the key; processes starting together may both seal a link, and one of them wins. Returns how many.
 */
export async function sealLegacyClaimLinkTokens(database: Database, secrets: Secrets): Promise<number> {
  const links = await listLegacyTokens(database.db)
  for (const link of links) {
    if (link.legacy_token !== null) await sealLegacyToken(database.db, { ...link, legacy_token: link.legacy_token }, secrets.seal(link.legacy_token))
  }
  return links.length
}

/** Why a customer could not claim through the link right now, or null when they can. */
export type UnavailableReason = 'disabled' | 'expired' | 'exhausted' | 'card_not_active' | 'out_of_stock'

function unavailableReason(link: ClaimLinkRow, { card, terms }: CardWithTerms, merchantTz: string, now: number): UnavailableReason | null {
  const status = claimLinkStatus(link, now)
  if (status !== 'active') return status
  if (card.status !== 'active') return 'card_not_active'
  // A card whose fixed validity has ended no longer issues (the same rule issuing applies).
  if (computeCouponValidity(terms.validity, now, merchantTz).valid_until + 1000 <= now) return 'card_not_active'
  if (card.stock_remaining <= 0) return 'out_of_stock'
  return null
}

export interface ClaimPage {
  link: ClaimLinkRow
  card: CardWithTerms
  merchant: { id: string; name: string; timezone: string }
  /** The stores the card is limited to (none: every store). */
  stores: StoreSummary[]
  unavailableReason: UnavailableReason | null
  /** The A/B test behind the token, when it is one: `link` then stands for the variant shown. */
  experiment: ExperimentRow | null
}

/** An experiment's token as a link that is always active, of the variant `cardId`. */
function experimentAsLink(experiment: ExperimentRow, cardId: string): ClaimLinkRow {
  return { id: experiment.id, merchant_id: experiment.merchant_id, card_id: cardId, token_hash: experiment.token_hash, token_sealed: experiment.token_sealed, legacy_token: null, status: 'active', claimed_count: 0, max_claims: null, expires_at: null, created_at: experiment.created_at, request_ref: null, channel_tag: null, campaign: null, shared_by: null, friend_count: 0 }
}

/** What the claim page shows before the customer claims: the card, the merchant and whether it can still be had. */
export async function claimPageOf(ctx: AppContext, token: string, visitor: string | null = null): Promise<ClaimPage> {
  const { db } = ctx.database
  const experiment = (await findClaimLinkByToken(db, token)) ? null : ((await findExperimentByToken(ctx, token)) ?? null)
  const link = experiment ? experimentAsLink(experiment, await variantFor(ctx, experiment, visitor)) : await findClaimLinkByToken(db, token)
  if (!link) throw notFound()
  if (experiment) await countVariantView(ctx, experiment, link.card_id)
  // A member card's link is joined on the member card's own page (joinThroughLink).
  if (isMemberCardId(link.card_id)) throw notFound()
  const [card, merchant] = await Promise.all([findCardWithTerms(db, link.merchant_id, link.card_id), loadWalletSigning(ctx, link.merchant_id)])
  if (!card || !merchant) throw notFound()
  return {
    link,
    card,
    merchant: { id: merchant.merchantId, name: merchant.name, timezone: merchant.timezone },
    stores: await storesOf(db, link.merchant_id, card.terms.store_ids),
    unavailableReason: unavailableReason(link, card, merchant.timezone, ctx.clock.now()),
    experiment,
  }
}

/**
 * Claims one coupon through a link, in one transaction: counts the claim on the link only while it is
 * active and below `max_claims` (a conditional update, so parallel claims never exceed it), then issues
 * the coupon; if issuing fails (out of stock, limit reached) the count is rolled back with it. The coupon
 * is named by the Idempotency-Key request claiming it (`requestRef`, as an API issue is), so that a retry
 * after a crash between the commit and the stored response finds it instead of claiming another.
 */
export async function claimThroughLink(
  ctx: AppContext,
  customer: CustomerPrincipal,
  token: string,
  requestRef: string | null = null,
  risk: Pick<RiskSubject, 'deviceId' | 'address'> = {},
): Promise<WalletCoupon> {
  const now = ctx.clock.now()
  const { merchantId, userId } = customer
  const { db } = ctx.database
  const sourceRefOf = (ref: string) => `api:${ref}`
  const claimed = async (ref: string) => (await findIssued(ctx, db, merchantId, sourceRefOf(ref)))?.coupon.id
  const couponId = await onceForRequest(requestRef, claimed, async () => {
    // Judged before the claim's transaction: counting is its own short write (or Redis), and a refused claim writes nothing else.
    await judgeRisk(ctx, merchantId, { ...risk, userId }, 'claim')
    const experiment = await findExperimentByToken(ctx, token)
    if (experiment) {
      // A link of another merchant does not exist for this customer.
      if (experiment.merchant_id !== merchantId) throw notFound()
      const cardId = await variantFor(ctx, experiment, `u:${userId}`)
      return db.transaction().execute(async (tx) => {
        const issued = await issueCouponInTx(ctx, tx, { merchantId, merchantTz: customer.merchantTz, cardId, userId, source: 'claim_link', sourceRef: requestRef && sourceRefOf(requestRef) }, now)
        if (!issued.created) throw new AppError('request_in_progress', 'This claim was made at the same time by another run of the request.')
        await insertExperimentClaim(tx, { merchant_id: merchantId, coupon_id: issued.coupon.id, experiment_id: experiment.id, card_id: cardId, user_id: userId, claimed_at: now })
        return issued.coupon.id
      })
    }
    return db.transaction().execute(async (tx) => {
      const link = await findClaimLinkByToken(tx, token)
      // A link of another merchant does not exist for this customer.
      if (!link || link.merchant_id !== merchantId) throw notFound()
      if (link.for_user_id && link.for_user_id !== userId) throw new AppError('claim_link_reserved', 'This link is reserved for another customer.')
      if (!(await countClaim(tx, merchantId, link.id, now))) {
        const current = await getClaimLink(tx, merchantId, link.id)
        const status = claimLinkStatus(current, now)
        throw new AppError('claim_link_inactive', status === 'active' ? 'This link is not handing out coupons right now.' : inactiveReason(status))
      }
      const tags = { channel: link.channel_tag, campaign: link.campaign }
      // Claimed through someone else's share link: attributed to the sharer (a sharer's own claim is a plain one).
      const sharedBy = link.shared_by !== null && link.shared_by !== userId ? link.shared_by : null
      const issued = await issueCouponInTx(
        ctx,
        tx,
        { merchantId, merchantTz: customer.merchantTz, cardId: link.card_id, userId, source: sharedBy ? 'share' : 'claim_link', sourceRef: requestRef && sourceRefOf(requestRef), tags, sharedBy },
        now,
      )
      // Issued by a run of this request that committed meanwhile: undo this claim's count (and answer that coupon).
      if (!issued.created) throw new AppError('request_in_progress', 'This claim was made at the same time by another run of the request.')
      if (sharedBy) await countSharedClaim(ctx, tx, { link, coupon: issued.coupon, merchantTz: customer.merchantTz, now })
      return issued.coupon.id
    })
  })
  return getWalletCoupon(ctx, customer, couponId)
}

/**
 * Joins the member card a member-card claim link names, as the signed-in customer: the native join (risk
 * rules, one membership per user: a second claim is `already_member` and joins nothing), with the claim
 * counted on the link (active, unexpired, below `max_claims`, the link's user only) and the member's code
 * drawn (wechat_member_codes: what WeChat integrations know the member by) in the join's transaction, so
 * a refused claim counts and writes nothing. The link's channel tag is the `member.joined` event's channel.
 */
export async function joinThroughLink(
  ctx: AppContext,
  customer: CustomerPrincipal,
  token: string,
  input: { profile: Profile; consent: boolean },
  requestRef: string | null = null,
  risk: Pick<RiskSubject, 'deviceId' | 'address'> = {},
): Promise<MemberWithCard> {
  const { merchantId, userId, merchantTz } = customer
  const link = await findClaimLinkByToken(ctx.database.db, token)
  // A link of another merchant does not exist for this customer.
  if (!link || link.merchant_id !== merchantId || !isMemberCardId(link.card_id)) throw notFound()
  if (link.for_user_id && link.for_user_id !== userId) throw new AppError('claim_link_reserved', 'This link is reserved for another customer.')
  return joinMember(ctx, { merchantId, merchantTz }, link.card_id, {
    userId, profile: input.profile, consent: input.consent, referrerMemberId: null, requestRef, risk, channel: link.channel_tag,
    withinJoin: async (tx, member) => {
      const now = ctx.clock.now()
      if (!(await countClaim(tx, merchantId, link.id, now))) {
        const status = claimLinkStatus(await getClaimLink(tx, merchantId, link.id), now)
        throw new AppError('claim_link_inactive', status === 'active' ? 'This link is not handing out memberships right now.' : inactiveReason(status))
      }
      await memberCodeIn(ctx, tx, member)
    },
  })
}
