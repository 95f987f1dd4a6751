import type { AppContext } from '../../app-context.ts'
import { pick } from '../../pick.ts'
import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import type { FieldError } from '../../domain/types.ts'
import { validateMemberCardTerms, type MemberCardTerms } from '../../domain/member-card-rules.ts'
import type { EarningRules, PointsExpiryRule } from '../../domain/points-rules.ts'
import type { StoredValueRefundRule } from '../../domain/stored-value.ts'
import { formatInstant } from '../../domain/time.ts'
import { validationFailed } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import type { MemberCardInput } from './member-cards.schemas.ts'
import { findMemberCard, insertMemberCard, knownCardIds, updateMemberCardStatus, type MemberCard, type MemberCardRow } from './member-cards.repository.ts'
import type { MemberCardStatus } from './member-cards.table.ts'

export { findMemberCard, type MemberCard }

const DEFAULT_NOTICE_DAYS = 30

/** Published with a card that takes stored value when the merchant states no rule of its own: the member's money back, in full. */
const DEFAULT_REFUND_RULE: StoredValueRefundRule = { description: 'Unspent stored value is refunded in full on request.', refundable: true, fee_percent: 0 }

function earningRules(input: MemberCardInput['points_rules']): EarningRules {
  return { per_yuan: input?.per_yuan ?? 1, sign_in: input?.sign_in ?? 0, profile_completed: input?.profile_completed ?? 0, referral: input?.referral ?? 0 }
}

function expiryRule(input: MemberCardInput['points_expiry']): PointsExpiryRule {
  if (!input || input.type === 'never') return { type: 'never' }
  if (input.type === 'end_of_year') return { type: 'end_of_year', years_after: input.years_after ?? 1 }
  if (input.days === undefined) throw validationFailed([{ field: 'points_expiry.days', code: 'required', message: 'is required when points expire after a number of days' }])
  return { type: 'days', days: input.days }
}

/** The card's terms from a request body, with every default written out. */
function termsFrom(input: MemberCardInput): MemberCardTerms {
  const refundRule = input.stored_value?.refund_rule
  return {
    title: input.title,
    subtitle: input.subtitle ?? null,
    color: input.color ?? null,
    logo_url: input.logo_url ?? null,
    notice: input.notice ?? null,
    description: input.description ?? null,
    privacy_notice: input.privacy_notice ?? null,
    member_number_prefix: input.member_number_prefix ?? '',
    levels: input.levels.map((level) => ({
      name: level.name,
      min_growth: level.min_growth,
      percent_off: level.percent_off ?? 0,
      points_multiplier: level.points_multiplier ?? 1,
      birthday_card_id: level.birthday_card_id ?? null,
      perks: level.perks ?? [],
    })),
    profile_fields: { name: input.profile_fields?.name ?? 'optional', phone: input.profile_fields?.phone ?? 'optional', birthday: input.profile_fields?.birthday ?? 'optional', gender: input.profile_fields?.gender ?? 'off' },
    points_rules: earningRules(input.points_rules),
    growth_rules: earningRules(input.growth_rules),
    points_expiry: expiryRule(input.points_expiry),
    points_expiry_notice_days: input.points_expiry?.notice_days ?? DEFAULT_NOTICE_DAYS,
    level_review: input.level_review ?? 'none',
    stored_value: {
      enabled: input.stored_value?.enabled ?? true,
      refund_rule: refundRule ? { description: refundRule.description, refundable: refundRule.refundable, fee_percent: refundRule.fee_percent ?? 0 } : DEFAULT_REFUND_RULE,
    },
    referral: input.referral
      ? {
          referrer_points: input.referral.referrer_points ?? 0,
          invitee_points: input.referral.invitee_points ?? 0,
          referrer_card_id: input.referral.referrer_card_id ?? null,
          invitee_card_id: input.referral.invitee_card_id ?? null,
        }
      : null,
  }
}

/** Invitation rewards must be cards of this merchant. */
async function unknownReferralCards(db: Db, merchantId: string, terms: MemberCardTerms): Promise<FieldError[]> {
  const referral = terms.referral
  if (!referral) return []
  const fields = (['referrer_card_id', 'invitee_card_id'] as const).filter((field) => referral[field] !== null)
  if (fields.length === 0) return []
  const known = await knownCardIds(db, merchantId, fields.map((field) => referral[field] as string))
  return fields.filter((field) => !known.has(referral[field] as string)).map((field) => ({ field: `referral.${field}`, code: 'not_found', message: `${referral[field]} is not a card of this merchant` }))
}

/** Birthday gifts must be cards of this merchant. */
async function unknownBirthdayCards(db: Db, merchantId: string, terms: MemberCardTerms): Promise<FieldError[]> {
  const ids = terms.levels.flatMap((level) => (level.birthday_card_id ? [level.birthday_card_id] : []))
  if (ids.length === 0) return []
  const known = await knownCardIds(db, merchantId, ids)
  return terms.levels.flatMap((level, i) =>
    level.birthday_card_id && !known.has(level.birthday_card_id)
      ? [{ field: `levels[${i}].birthday_card_id`, code: 'not_found', message: `${level.birthday_card_id} is not a card of this merchant` }]
      : [],
  )
}

/** Makes a member card; a retry of the Idempotency-Key request making it (`requestRef`) after a crash finds it. */
export async function createMemberCard(ctx: AppContext, merchantId: string, input: MemberCardInput, requestRef: string | null = null): Promise<MemberCard> {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'member_cards', merchantId, (id) => findMemberCard(db, merchantId, id)), async () => {
    const now = ctx.clock.now()
    const terms = termsFrom(input)
    const errors = [...validateMemberCardTerms(terms), ...(await unknownBirthdayCards(db, merchantId, terms)), ...(await unknownReferralCards(db, merchantId, terms))]
    if (errors.length > 0) throw validationFailed(errors, 'The member card breaks one or more rules; see errors.')
    const row: MemberCardRow = {
      id: newId('mcd', now),
      merchant_id: merchantId,
      status: 'active',
      terms: toJson(terms),
      next_member_number: 1,
      member_count: 0,
      created_at: now,
      updated_at: now,
      request_ref: requestRef,
    }
    await db.transaction().execute(async (tx) => {
      await insertMemberCard(tx, row)
      await recordEvent(tx, { merchantId, type: 'member_card.created', data: { member_card_id: row.id, title: terms.title, levels: terms.levels.length }, now })
    })
    return { row, terms }
  })
}

/** Stops or restarts new members joining; existing members keep their card, points and balance. */
export async function setMemberCardStatus(ctx: AppContext, merchantId: string, memberCardId: string, status: MemberCardStatus): Promise<MemberCard> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  await findMemberCard(db, merchantId, memberCardId)
  await db.transaction().execute(async (tx) => {
    if (await updateMemberCardStatus(tx, merchantId, memberCardId, status, now)) {
      await recordEvent(tx, { merchantId, type: `member_card.${status === 'active' ? 'activated' : 'paused'}`, data: { member_card_id: memberCardId, status }, now })
    }
  })
  return findMemberCard(db, merchantId, memberCardId)
}

/** The wallet page where a customer joins; it names the merchant so a first-time visitor can sign in. */
export function joinUrl(publicUrl: string, merchantId: string, memberCardId: string): string {
  return `${publicUrl}/wallet/member-cards/${memberCardId}?merchant=${encodeURIComponent(merchantId)}`
}

export function presentMemberCard({ row, terms }: MemberCard, tz: string, publicUrl: string) {
  return {
    id: row.id,
    status: row.status,
    ...terms,
    referral: terms.referral ?? null,
    join_url: joinUrl(publicUrl, row.merchant_id, row.id),
    member_count: row.member_count,
    created_at: formatInstant(row.created_at, tz),
    updated_at: formatInstant(row.updated_at, tz),
  }
}

/** What a customer sees of a member card before and after joining: its face, levels and published rules. */
export function presentMemberCardForCustomer({ row, terms }: MemberCard) {
  return {
    id: row.id,
    ...pick(terms, ['title', 'subtitle', 'color', 'logo_url', 'notice', 'description', 'privacy_notice']),
    levels: terms.levels.map(({ birthday_card_id, ...level }) => ({ ...level, birthday_gift: birthday_card_id !== null })),
    profile_fields: terms.profile_fields,
    points_rules: terms.points_rules,
    points_expiry: terms.points_expiry,
    stored_value: terms.stored_value,
    referral: terms.referral ?? null,
  }
}
