import type { AppContext } from '../../app-context.ts'
import type { Db, Tx } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import { isProfileComplete, validateProfile, type MemberCardTerms, type Profile } from '../../domain/member-card-rules.ts'
import { nextBirthdayStart, nextReviewAt, parseBirthday } from '../../domain/member-levels.ts'
import { localDate } from '../../domain/time.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import type { RiskSubject } from '../../domain/risk.ts'
import { judgeRisk } from '../risk/risk.service.ts'
import { normalizePhone } from '../customers/contact.ts'
import { newId } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { findMemberCard, takeMemberNumber } from '../member-cards/member-cards.repository.ts'
import { findPointsEntryByRequest, findPointsEntryBySource, postPointsInTx, type PointsEntryRow } from '../points/points.ledger.ts'
import { applyGrowthInTx } from './member-levels.ts'
import { findReferrerInTx, rewardReferralInTx } from '../referrals/referrals.service.ts'
import { findMemberByRequest, findMemberWithCard, insertMember, isMemberOfCard, lockMember, lockMemberWithCard, updateMember, type MemberRow, type MemberWithCard } from './members.repository.ts'

export interface MerchantScope {
  merchantId: string
  merchantTz: string
}

export interface JoinInput {
  userId: string
  profile: Profile
  consent: boolean
  referrerMemberId: string | null
  /** A member's invite code (邀请有礼): rewards both sides once (features/referrals). */
  inviteCode?: string | null
  /** The Idempotency-Key request joining (see onceForRequest): its retry after a crash finds the membership. */
  requestRef?: string | null
  /** The wallet's device and address when the customer joins themselves; none when the merchant's backend joins its user. */
  risk?: Pick<RiskSubject, 'deviceId' | 'address'>
  /** The channel tag of the claim link joined through (the `member.joined` event's `channel`); null otherwise. */
  channel?: string | null
  /** More of the same transaction, once the member is in (a claim link's count, a WeChat member code): a throw undoes the join. */
  withinJoin?: (tx: Tx, member: MemberRow) => Promise<void>
}

type Behaviour = 'sign_in' | 'profile_completed' | 'referral'

/** Points and growth for something a member did, as the card's earning rules say. */
async function awardBehaviourInTx(
  tx: Db,
  input: { notifier: Notifier; member: MemberRow; terms: MemberCardTerms; merchantTz: string; behaviour: Behaviour; sourceRef: string; requestRef?: string | null; reason: string; now: number },
): Promise<{ member: MemberRow; entry: PointsEntryRow | null }> {
  const { notifier, terms, behaviour, now } = input
  let member = input.member
  let entry: PointsEntryRow | null = null
  const points = terms.points_rules[behaviour]
  if (points > 0) {
    const posted = await postPointsInTx(tx, { notifier, member, terms, merchantTz: input.merchantTz, delta: points, type: behaviour, reason: input.reason, sourceRef: input.sourceRef, requestRef: input.requestRef, now })
    member = posted.member
    entry = posted.entry
  }
  member = await applyGrowthInTx(tx, { notifier, member, terms, delta: terms.growth_rules[behaviour], now })
  return { member, entry }
}

/** When the member's next birthday starts, from a 'YYYY-MM-DD' birthday. */
function nextBirthdayAt(birthday: string | undefined, now: number, tz: string): number | null {
  const date = birthday === undefined ? null : parseBirthday(birthday)
  return date === null ? null : nextBirthdayStart(date.month, date.day, localDate(now, tz), tz)
}

function memberNumber(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(8, '0')}`
}

/**
 * A user joins a member card once: a member number from the card's counter, the first level, the profile
 * they agreed to give; then points and growth for a completed profile, and for whoever referred them.
 * A retry of the joining request after a crash is answered with the membership, not already_member.
 */
export async function joinMember(ctx: AppContext, scope: MerchantScope, memberCardId: string, input: JoinInput): Promise<MemberWithCard> {
  const { merchantId, merchantTz } = scope
  const now = ctx.clock.now()
  const { db } = ctx.database
  const joined = async (ref: string) => {
    const member = await findMemberByRequest(db, merchantId, memberCardId, ref)
    return member && { member, card: await findMemberCard(db, merchantId, memberCardId) }
  }
  return onceForRequest(input.requestRef, joined, async () => {
    // Judged before anything is written: a blocked user, device, address or phone joins nothing, nor does a phone already behind too many users.
    const phone = input.profile.phone ? (normalizePhone(input.profile.phone) ?? input.profile.phone.trim()) : null
    await judgeRisk(ctx, merchantId, { ...input.risk, userId: input.userId, phone }, 'join')
    return db.transaction().execute(async (tx) => {
      const card = await findMemberCard(tx, merchantId, memberCardId)
      if (card.row.status !== 'active') throw new AppError('member_card_not_active', `The member card is ${card.row.status}; it takes no new members.`)
      const { terms } = card
      const errors = validateProfile(terms.profile_fields, input.profile, input.consent, true)
      if (input.referrerMemberId !== null) {
        if (!(await isMemberOfCard(tx, merchantId, input.referrerMemberId, memberCardId))) errors.push({ field: 'referrer_member_id', code: 'not_found', message: 'is not a member of this member card' })
      }
      if (errors.length > 0) throw validationFailed(errors)
      const inviting = input.inviteCode ? await findReferrerInTx(tx, merchantId, memberCardId, input.inviteCode, input.userId) : null
      if (inviting && input.referrerMemberId !== null && input.referrerMemberId !== inviting.id) {
        throw validationFailed([{ field: 'referrer_member_id', code: 'conflict', message: 'names another member than the invite code' }])
      }
      const referrerMemberId = inviting?.id ?? input.referrerMemberId

      const number = await takeMemberNumber(tx, merchantId, memberCardId, now)
      const complete = isProfileComplete(terms.profile_fields, input.profile)
      const memberId = newId('mbr', now)
      const inserted = await insertMember(tx, {
          id: memberId,
          merchant_id: merchantId,
          member_card_id: memberCardId,
          user_id: input.userId,
          member_number: memberNumber(terms.member_number_prefix, number),
          level_index: 0,
          growth: 0,
          points_balance: 0,
          points_seq: 0,
          stored_value_balance: 0,
          stored_value_seq: 0,
          profile: toJson(input.profile),
          consented_at: input.consent && Object.keys(input.profile).length > 0 ? now : null,
          profile_completed_at: complete ? now : null,
          birthday: input.profile.birthday ?? null,
          next_birthday_at: nextBirthdayAt(input.profile.birthday, now, merchantTz),
          next_review_at: nextReviewAt(terms.level_review, now, merchantTz),
          referrer_member_id: referrerMemberId,
          joined_at: now,
          level_changed_at: now,
          updated_at: now,
          request_ref: input.requestRef ?? null,
        })
      if (!inserted) {
        // An invitation is for someone who is not a member yet: a member cannot be invited again.
        if (inviting) throw new AppError('invite_not_allowed', 'This user is already a member of this member card; they cannot be invited.')
        throw new AppError('already_member', 'This user is already a member of this member card.')
      }

      let member = await lockMember(tx, merchantId, memberId)
      await recordEvent(tx, {
        merchantId,
        type: 'member.joined',
        data: { member_id: memberId, member_card_id: memberCardId, user_id: input.userId, member_number: member.member_number, level: terms.levels[0].name, referrer_member_id: referrerMemberId, channel: input.channel ?? null },
        now,
      })
      if (input.withinJoin) await input.withinJoin(tx, member)
      if (complete) {
        member = (await awardBehaviourInTx(tx, { notifier: ctx.notifier, member, terms, merchantTz, behaviour: 'profile_completed', sourceRef: `profile_completed:${memberId}`, reason: 'Profile completed', now })).member
      }
      if (inviting) member = await rewardReferralInTx(ctx, tx, { card, referrer: inviting, invitee: member, merchantTz, now })
      if (referrerMemberId !== null) {
        const referrer = await lockMember(tx, merchantId, referrerMemberId)
        await awardBehaviourInTx(tx, { notifier: ctx.notifier, member: referrer, terms, merchantTz, behaviour: 'referral', sourceRef: `referral:${memberId}`, reason: `Referred member ${member.member_number}`, now })
      }
      return { member, card }
    })
  })
}

/**
 * Adds to or corrects a member's profile (with their consent). A birthday, once given, stays: birthday
 * gifts would otherwise be had again by moving it. Completing the profile earns its points once.
 */
export async function updateProfile(ctx: AppContext, scope: MerchantScope, memberId: string, input: { profile: Profile; consent: boolean }): Promise<MemberWithCard> {
  const { merchantId, merchantTz } = scope
  const now = ctx.clock.now()
  return ctx.database.db.transaction().execute(async (tx) => {
    const { member: locked, card } = await lockMemberWithCard(tx, merchantId, memberId)
    const { terms } = card
    const errors = validateProfile(terms.profile_fields, input.profile, input.consent, false)
    if (locked.birthday !== null && input.profile.birthday !== undefined && input.profile.birthday !== locked.birthday) {
      errors.push({ field: 'profile.birthday', code: 'locked', message: 'cannot be changed once given' })
    }
    if (errors.length > 0) throw validationFailed(errors)
    const profile: Profile = { ...fromJson<Profile>(locked.profile), ...input.profile }
    const completes = locked.profile_completed_at === null && isProfileComplete(terms.profile_fields, profile)
    const birthdayAdded = locked.birthday === null && profile.birthday !== undefined
    let member = await updateMember(tx, merchantId, memberId, {
      profile: toJson(profile),
      ...(input.consent ? { consented_at: now } : {}),
      birthday: profile.birthday ?? null,
      ...(birthdayAdded ? { next_birthday_at: nextBirthdayAt(profile.birthday, now, merchantTz) } : {}),
      ...(completes ? { profile_completed_at: now } : {}),
      updated_at: now,
    })
    await recordEvent(tx, { merchantId, type: 'member.profile_updated', data: { member_id: memberId, member_card_id: member.member_card_id, user_id: member.user_id, fields: Object.keys(input.profile) }, now })
    if (completes) {
      member = (await awardBehaviourInTx(tx, { notifier: ctx.notifier, member, terms, merchantTz, behaviour: 'profile_completed', sourceRef: `profile_completed:${memberId}`, reason: 'Profile completed', now })).member
    }
    return { member, card }
  })
}

/**
 * The daily sign-in: its points once per day in the merchant's zone. The entry records the Idempotency-Key
 * request signing in (`requestRef`), so that its retry after a crash is answered with these points, not
 * already_signed_in (on whatever day the retry comes).
 */
export async function signIn(ctx: AppContext, scope: MerchantScope, memberId: string, requestRef: string | null = null): Promise<MemberWithCard & { entry: PointsEntryRow }> {
  const { merchantId, merchantTz } = scope
  const now = ctx.clock.now()
  const { db } = ctx.database
  const signedIn = async (ref: string) => {
    const entry = await findPointsEntryByRequest(db, merchantId, memberId, ref)
    return entry && { ...(await findMemberWithCard(db, merchantId, memberId)), entry }
  }
  return onceForRequest(requestRef, signedIn, () => db.transaction().execute(async (tx) => {
    const { member, card } = await lockMemberWithCard(tx, merchantId, memberId)
    if (card.terms.points_rules.sign_in === 0) throw new AppError('sign_in_not_offered', 'This member card gives no points for signing in.')
    const day = localDate(now, merchantTz)
    const date = `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`
    const sourceRef = `sign_in:${memberId}:${date}`
    if (await findPointsEntryBySource(tx, merchantId, sourceRef)) throw new AppError('already_signed_in', `The member already signed in on ${date}.`)
    const awarded = await awardBehaviourInTx(tx, { notifier: ctx.notifier, member, terms: card.terms, merchantTz, behaviour: 'sign_in', sourceRef, requestRef, reason: `Daily sign-in ${date}`, now })
    // The card gives points for signing in (checked above), so the sign-in posted an entry.
    if (awarded.entry === null) throw new Error('a sign-in that gives points posted no entry')
    return { member: awarded.member, card, entry: awarded.entry }
  }))
}
