import { randomBytes } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { INVITE_CODE_BYTES, inviteCodeFromBytes, normalizeInviteCode } from '../../domain/invite-codes.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { hashToken } from '../../ports/secrets.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import { findCardWithTerms } from '../cards/cards.repository.ts'
import { issueCouponInTx } from '../coupons/coupons.service.ts'
import { recordEvent } from '../events/events.repository.ts'
import { joinUrl } from '../member-cards/member-cards.service.ts'
import type { MemberCard } from '../member-cards/member-cards.repository.ts'
import { findMember, findUserMember, lockMember, type MemberRow } from '../members/members.repository.ts'
import { tellCustomer } from '../notifications/inbox.ts'
import { findMerchantLanguage } from '../notifications/notifications.repository.ts'
import { savepoint } from '../payments/payments.repository.ts'
import { postPointsInTx } from '../points/points.ledger.ts'
import { findInviteByCodeHash, findInviteOfMember, insertInviteOnce, insertReferralOnce, referralOfInvitee, setReferralRewards, type ReferralRow } from './referrals.repository.ts'

export interface Invite {
  code: string
  url: string
}

function inviteNotAllowed(detail: string): AppError {
  return new AppError('invite_not_allowed', detail)
}

/** Where a friend joins with the invite: the member card's join page, carrying the code. */
export function inviteUrl(publicUrl: string, merchantId: string, memberCardId: string, code: string): string {
  return `${joinUrl(publicUrl, merchantId, memberCardId)}&invite=${code}`
}

/**
 * The customer's invite code for one of their memberships: made on first asking, the same ever after.
 * Stored as its hash (for lookup) and sealed (to show it again); parallel first asks agree on one code.
 */
export async function inviteOf(ctx: AppContext, customer: CustomerPrincipal, memberId: string): Promise<Invite> {
  const { db } = ctx.database
  const member = await findUserMember(db, customer.merchantId, customer.userId, memberId)
  if (!member) throw new AppError('member_not_found', 'You have no membership with this id.')
  let invite = await findInviteOfMember(db, member.merchant_id, member.id)
  if (!invite) {
    const code = inviteCodeFromBytes(randomBytes(INVITE_CODE_BYTES))
    const now = ctx.clock.now()
    await insertInviteOnce(db, { merchant_id: member.merchant_id, member_id: member.id, member_card_id: member.member_card_id, code_hash: hashToken(code), code_sealed: ctx.secrets.seal(code), created_at: now })
    invite = await findInviteOfMember(db, member.merchant_id, member.id)
    if (!invite) throw new Error(`member ${member.id} has no invite code after making one`)
  }
  const code = ctx.secrets.unseal(invite.code_sealed)
  return { code, url: inviteUrl(ctx.publicUrl, member.merchant_id, member.member_card_id, code) }
}

/**
 * Who invited a user joining the member card with this code, inside the joining transaction: a member of
 * the same card, not the user themself, and only for a user nobody invited to this card before.
 */
export async function findReferrerInTx(tx: Db, merchantId: string, memberCardId: string, typedCode: string, inviteeUserId: string): Promise<MemberRow> {
  const code = normalizeInviteCode(typedCode)
  const invite = code === null ? undefined : await findInviteByCodeHash(tx, merchantId, hashToken(code))
  if (!invite || invite.member_card_id !== memberCardId) throw inviteNotAllowed('This invite code is not one of this member card.')
  const referrer = await findMember(tx, merchantId, invite.member_id)
  if (referrer.user_id === inviteeUserId) throw inviteNotAllowed('A member cannot invite themself.')
  if (await referralOfInvitee(tx, merchantId, memberCardId, inviteeUserId)) throw inviteNotAllowed('This user was invited to this member card before.')
  return referrer
}

interface SideReward {
  member_id: string
  user_id: string
  points: number
  entry_id: string | null
  card_id: string | null
  coupon_id: string | null
}

type Failure = { side: 'referrer' | 'invitee'; card_id: string; code: string; message: string }

/**
 * Rewards both sides of an invitation once, inside the joining transaction: the referral row (unique per
 * invited user and card) is what makes it once-only; then the card's points for each side through the
 * points ledger, and each side's coupon through the issue path, each coupon in a savepoint so that one
 * that cannot be issued (no stock, a user's limit) is reported in the event instead of failing the join.
 * Returns the invitee as it is after their reward.
 */
export async function rewardReferralInTx(
  ctx: AppContext,
  tx: Db,
  input: { card: MemberCard; referrer: MemberRow; invitee: MemberRow; merchantTz: string; now: number },
): Promise<MemberRow> {
  const { card, invitee, merchantTz, now } = input
  const merchantId = invitee.merchant_id
  const terms = card.terms
  const rewardTerms = terms.referral ?? { referrer_points: 0, invitee_points: 0, referrer_card_id: null, invitee_card_id: null }
  const referral: ReferralRow = {
    id: newId('rfl', now),
    merchant_id: merchantId,
    member_card_id: card.row.id,
    referrer_member_id: input.referrer.id,
    invitee_member_id: invitee.id,
    invitee_user_id: invitee.user_id,
    rewards: toJson({}),
    created_at: now,
  }
  if (!(await insertReferralOnce(tx, referral))) throw inviteNotAllowed('This user was invited to this member card before.')

  const failures: Failure[] = []
  const language = await findMerchantLanguage(tx, merchantId)
  let updatedInvitee = invitee
  const rewardSide = async (side: 'referrer' | 'invitee', member: MemberRow, points: number, cardId: string | null): Promise<SideReward> => {
    const reward: SideReward = { member_id: member.id, user_id: member.user_id, points: 0, entry_id: null, card_id: cardId, coupon_id: null }
    if (points > 0) {
      const locked = side === 'referrer' ? await lockMember(tx, merchantId, member.id) : updatedInvitee
      const reason = side === 'referrer' ? `Invited member ${invitee.member_number}` : 'Joined by invitation'
      const posted = await postPointsInTx(tx, { notifier: ctx.notifier, member: locked, terms, merchantTz, delta: points, type: 'referral', reason, sourceRef: `referral:${referral.id}:${side}`, now })
      if (side === 'invitee') updatedInvitee = posted.member
      reward.points = points
      reward.entry_id = posted.entry.id
    }
    let couponTitle: string | null = null
    if (cardId !== null) {
      const name = `referral_${side}`
      await savepoint(tx, name, 'savepoint')
      try {
        const issued = await issueCouponInTx(ctx, tx, { merchantId, merchantTz, cardId, userId: member.user_id, source: 'referral', sourceRef: `referral:${referral.id}:${side}` }, now)
        await savepoint(tx, name, 'release')
        reward.coupon_id = issued.coupon.id
        couponTitle = (await findCardWithTerms(tx, merchantId, cardId))?.terms.title ?? null
      } catch (error) {
        if (!(error instanceof AppError)) throw error
        await savepoint(tx, name, 'rollback')
        failures.push({ side, card_id: cardId, code: error.code, message: error.detail })
      }
    }
    if (reward.points > 0 || reward.coupon_id !== null) {
      await tellCustomer(ctx.notifier, tx, {
        merchantId,
        userId: member.user_id,
        kind: 'referral.rewarded',
        params: { role: side, cardTitle: terms.title, points: reward.points, couponTitle },
        data: { referral_id: referral.id, member_id: member.id, points: reward.points, coupon_id: reward.coupon_id },
        dedupeKey: `referral.rewarded:${referral.id}:${side}`,
        language,
        now,
      })
    }
    return reward
  }
  const referrer = await rewardSide('referrer', input.referrer, rewardTerms.referrer_points, rewardTerms.referrer_card_id)
  const inviteeReward = await rewardSide('invitee', invitee, rewardTerms.invitee_points, rewardTerms.invitee_card_id)
  const rewards = { referrer, invitee: inviteeReward, failures }
  await setReferralRewards(tx, merchantId, referral.id, toJson(rewards))
  await recordEvent(tx, { merchantId, type: 'referral.rewarded', data: { referral_id: referral.id, member_card_id: card.row.id, ...rewards }, now })
  return updatedInvitee
}
