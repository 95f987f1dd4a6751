
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson } from '../../db/database.ts'
import type { RiskSubject } from '../../domain/risk.ts'
import { countsAsFriend, maskUserId, tiersReached, type ShareRewardTier } from '../../domain/sharing.ts'
import { AppError } from '../../errors.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import { hashToken } from '../../ports/secrets.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import { findCardWithTerms, shareRewardsOf } from '../cards/cards.repository.ts'
import type { ClaimLinkRow } from '../claim-links/claim-links.repository.ts'
import { newClaimLinkRow } from '../claim-links/claim-link-rules.ts'
import { claimedCount, type CouponRow } from '../coupons/coupons.repository.ts'
import { issueCouponInTx } from '../coupons/coupons.service.ts'
import { maskedContactOf } from '../customers/customers.service.ts'
import { recordEvent } from '../events/events.repository.ts'
import { tellCustomer } from '../notifications/inbox.ts'
import type { Language } from '../notifications/messages.ts'
import { findMerchantLanguage } from '../notifications/notifications.repository.ts'
import { judgeRisk } from '../risk/risk.service.ts'
import { countShare } from '../stats/stats.service.ts'
import {
  addShareFriend, addToFriendCount, findShareLink, grantShareReward, insertShare, insertShareLinkUnlessExists, savepoint, setGrantCoupon, sharerProfile, unlockCoupons,
} from './sharing.repository.ts'

export interface Share {
  link: ClaimLinkRow
  token: string
}

/**
 * Shares a card: the customer's share link of it (made on their first share, the same one after), and a
 * share recorded and counted for the share rate (stats countShare), with the `coupon.shared` event, in one transaction. Judged by the
 * risk rules first (the block list); a card that does not allow sharing answers 409 `sharing_not_allowed`.
 */
export async function shareCard(ctx: AppContext, customer: CustomerPrincipal, cardId: string, risk: Pick<RiskSubject, 'deviceId' | 'address'> = {}): Promise<Share> {
  const { merchantId, userId } = customer
  const { db } = ctx.database
  const found = await findCardWithTerms(db, merchantId, cardId)
  if (!found) throw new AppError('card_not_found', 'There is no card with this id.')
  if (!found.terms.can_share) throw new AppError('sharing_not_allowed', 'This card cannot be shared.')
  if (found.card.status !== 'active') throw new AppError('card_not_active', `The card is ${found.card.status}; it cannot be shared.`)
  await judgeRisk(ctx, merchantId, { ...risk, userId }, 'share')
  const now = ctx.clock.now()
  const link = await db.transaction().execute(async (tx) => {
    let link = await findShareLink(tx, merchantId, cardId, userId)
    if (!link) {
      const token = randomToken()
      await insertShareLinkUnlessExists(
        tx,
        newClaimLinkRow({ id: newId('cll', now), merchant_id: merchantId, card_id: cardId, token_hash: hashToken(token), token_sealed: ctx.secrets.seal(token), created_at: now, shared_by: userId }),
      )
      // Two first shares at once: the one inserted first is everybody's link.
      link = await findShareLink(tx, merchantId, cardId, userId)
      if (!link) throw new Error('share link vanished')
    }
    const shareId = newId('shr', now)
    await insertShare(tx, { merchant_id: merchantId, id: shareId, card_id: cardId, user_id: userId, claim_link_id: link.id, shared_at: now })
    await countShare(tx, { merchantId, cardId, userId }, customer.merchantTz, now)
    await recordEvent(tx, { merchantId, type: 'coupon.shared', data: { share_id: shareId, card_id: cardId, user_id: userId, claim_link_id: link.id, friends: link.friend_count }, now })
    return link
  })
  return { link, token: ctx.secrets.unseal(link.token_sealed as string) }
}

/**
 * After a coupon was claimed through a share link, in the claim's transaction: a friend (someone other
 * than the sharer, on their first coupon of the card, once per sharer and card) is counted on the link;
 * the sharer gets the reward of every tier now reached (once per tier: the grant's key), and their locked
 * coupons of the card whose goal is reached unlock. The sharer hears of both in their inbox.
 */
export async function countSharedClaim(ctx: AppContext, tx: Db, input: { link: ClaimLinkRow; coupon: CouponRow; merchantTz: string; now: number }): Promise<void> {
  const { link, coupon, merchantTz, now } = input
  const sharerId = link.shared_by
  if (sharerId === null) return
  const merchantId = link.merchant_id
  const couponsOfCardBefore = (await claimedCount(tx, merchantId, link.card_id, coupon.user_id)) - 1
  if (!countsAsFriend({ sharerId, friendId: coupon.user_id, couponsOfCardBefore })) return
  if (!(await addShareFriend(tx, { merchant_id: merchantId, card_id: link.card_id, sharer_id: sharerId, friend_id: coupon.user_id, coupon_id: coupon.id, claimed_at: now }))) return
  const friends = await addToFriendCount(tx, merchantId, link.id)
  const shared = await findCardWithTerms(tx, merchantId, link.card_id)
  if (!shared) return
  const language = await findMerchantLanguage(tx, merchantId)
  for (const tier of tiersReached(shareRewardsOf(shared.card), friends)) {
    await grantTier(ctx, tx, { merchantId, merchantTz, cardId: link.card_id, title: shared.terms.title, sharerId, tier, friends, language, now })
  }
  for (const unlocked of await unlockCoupons(tx, merchantId, link.card_id, sharerId, friends, now)) {
    await recordEvent(tx, { merchantId, type: 'coupon.unlocked', data: { coupon_id: unlocked.id, card_id: unlocked.card_id, user_id: sharerId, friends }, now })
    await tellCustomer(ctx.notifier, tx, {
      merchantId,
      userId: sharerId,
      kind: 'coupon.unlocked',
      params: { title: shared.terms.title, friends },
      data: { coupon_id: unlocked.id, card_id: unlocked.card_id, friends },
      dedupeKey: `coupon.unlocked:${unlocked.id}`,
      language,
      now,
    })
  }
}

/**
 * Issues one tier's reward to the sharer, once: the grant row's key lets one claim through. A reward that
 * cannot be issued now (its card paused or out of stock) is undone with its grant, in a savepoint, so the
 * friend's claim still succeeds and the tier is granted at a later friend's claim once it can be.
 */
async function grantTier(
  ctx: AppContext,
  tx: Db,
  g: { merchantId: string; merchantTz: string; cardId: string; title: string; sharerId: string; tier: ShareRewardTier; friends: number; language: Language; now: number },
): Promise<void> {
  const { merchantId, cardId, sharerId, tier, now } = g
  await savepoint(tx, 'share_reward', 'savepoint')
  try {
    if (!(await grantShareReward(tx, { merchant_id: merchantId, card_id: cardId, sharer_id: sharerId, friends: tier.friends, reward_card_id: tier.card_id, coupon_id: null, granted_at: now }))) {
      await savepoint(tx, 'share_reward', 'release')
      return
    }
    const issued = await issueCouponInTx(
      ctx,
      tx,
      { merchantId, merchantTz: g.merchantTz, cardId: tier.card_id, userId: sharerId, source: 'share_reward', sourceRef: `share_reward:${cardId}:${sharerId}:${tier.friends}` },
      now,
    )
    await setGrantCoupon(tx, { merchantId, cardId, sharerId, friends: tier.friends }, issued.coupon.id)
    const reward = await findCardWithTerms(tx, merchantId, tier.card_id)
    await tellCustomer(ctx.notifier, tx, {
      merchantId,
      userId: sharerId,
      kind: 'share.rewarded',
      params: { title: g.title, rewardTitle: reward?.terms.title ?? '', friends: g.friends },
      data: { card_id: cardId, reward_card_id: tier.card_id, coupon_id: issued.coupon.id, friends: tier.friends },
      dedupeKey: `share.rewarded:${cardId}:${sharerId}:${tier.friends}`,
      language: g.language,
      now,
    })
    await savepoint(tx, 'share_reward', 'release')
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    await savepoint(tx, 'share_reward', 'rollback')
    await savepoint(tx, 'share_reward', 'release')
  }
}

/** How the claim page names a sharer to a friend: the name they gave a member card, else a masked contact or id. */
export async function sharerDisplay(ctx: AppContext, merchantId: string, userId: string): Promise<{ name: string | null; masked_id: string }> {
  const { db } = ctx.database
  const profiles = await sharerProfile(db, merchantId, userId)
  const name = profiles.map((p) => fromJson<{ name?: unknown } | null>(p)?.name).find((n): n is string => typeof n === 'string' && n.trim() !== '') ?? null
  const contact = await maskedContactOf(db, merchantId, userId)
  return { name, masked_id: contact ?? maskUserId(userId) }
}


