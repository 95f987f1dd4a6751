// What a member card (会员卡) promises: its face, levels and their benefits, how points and growth are
// earned and expire, which profile fields it asks for, and its stored-value refund rule.

import type { FieldError } from './types.ts'
import { parseBirthday, validateLevels, type ReviewPeriod } from './member-levels.ts'
import { multiplierPercent, type EarningRules, type PointsExpiryRule } from './points-rules.ts'
import type { StoredValueRefundRule } from './stored-value.ts'

export interface MemberLevel {
  name: string
  min_growth: number
  /** Percent off at the till for members of this level (0 = none). */
  percent_off: number
  /** Points for spending are multiplied by this (1.5 = one and a half times). */
  points_multiplier: number
  /** A coupon of this card is given on the member's birthday. */
  birthday_card_id: string | null
  /** Other benefits, in words. */
  perks: string[]
}

export type ProfileFieldSetting = 'off' | 'optional' | 'required'
export const PROFILE_FIELDS = ['name', 'phone', 'birthday', 'gender'] as const
export type ProfileField = (typeof PROFILE_FIELDS)[number]
/** Cards made before `gender` existed have no setting for it: it is off for them. */
export type ProfileSettings = Record<Exclude<ProfileField, 'gender'>, ProfileFieldSetting> & { gender?: ProfileFieldSetting }
/** What a member may say of their gender, for the statistics of redeemers. */
export const PROFILE_GENDERS = ['female', 'male', 'other'] as const

/** The card's setting of a profile field (off when the card predates the field). */
export function profileSetting(settings: ProfileSettings, field: ProfileField): ProfileFieldSetting {
  return settings[field] ?? 'off'
}
export type Profile = Partial<Record<ProfileField, string>>

/** 邀请有礼: what a member who invites a friend and the friend who joins with their invite code get, once. */
export interface ReferralTerms {
  referrer_points: number
  invitee_points: number
  /** A card whose coupon the referrer gets; null = none. */
  referrer_card_id: string | null
  invitee_card_id: string | null
}

export interface MemberCardTerms {
  title: string
  subtitle: string | null
  color: string | null
  logo_url: string | null
  notice: string | null
  description: string | null
  /** What members agree to when they give their profile. */
  privacy_notice: string | null
  member_number_prefix: string
  levels: MemberLevel[]
  profile_fields: ProfileSettings
  points_rules: EarningRules
  growth_rules: EarningRules
  points_expiry: PointsExpiryRule
  /** How many days before points expire members are told (a `points.expiring` event). */
  points_expiry_notice_days: number
  level_review: ReviewPeriod
  stored_value: { enabled: boolean; refund_rule: StoredValueRefundRule | null }
  /** Rewards for invitations; absent on cards made before referrals. */
  referral?: ReferralTerms | null
}

/** Everything wrong with a member card's terms at once. */
export function validateMemberCardTerms(terms: MemberCardTerms): FieldError[] {
  const errors = validateLevels(terms.levels)
  terms.levels.forEach((level, i) => {
    if (multiplierPercent(level.points_multiplier) === null) {
      errors.push({ field: `levels[${i}].points_multiplier`, code: 'precision', message: 'must have at most two decimals' })
    }
  })
  if (terms.stored_value.enabled && terms.stored_value.refund_rule === null) {
    errors.push({ field: 'stored_value.refund_rule', code: 'required', message: 'is required when the card takes stored value: members must see the refund rule' })
  }
  return errors
}

/**
 * Checks a profile a member gives: only fields the card asks for, a real birthday, consent whenever any
 * field is given and, when joining, every required field.
 */
export function validateProfile(settings: ProfileSettings, profile: Profile, consent: boolean, joining: boolean): FieldError[] {
  const errors: FieldError[] = []
  for (const field of PROFILE_FIELDS) {
    const value = profile[field]
    if (value === undefined) {
      if (joining && profileSetting(settings, field) === 'required') errors.push({ field: `profile.${field}`, code: 'required', message: 'is required by this member card' })
      continue
    }
    if (profileSetting(settings, field) === 'off') errors.push({ field: `profile.${field}`, code: 'not_asked', message: 'is not a field this member card asks for' })
    else if (field === 'birthday' && parseBirthday(value) === null) errors.push({ field: 'profile.birthday', code: 'invalid', message: 'must be a date, YYYY-MM-DD' })
    else if (field === 'gender' && !(PROFILE_GENDERS as readonly string[]).includes(value)) errors.push({ field: 'profile.gender', code: 'invalid', message: `must be one of ${PROFILE_GENDERS.join(', ')}` })
  }
  if (Object.keys(profile).length > 0 && !consent) {
    errors.push({ field: 'consent', code: 'required', message: 'must be true: the member agrees to the card keeping their profile' })
  }
  return errors
}

/** Complete when every field the card asks for is filled; a card that asks for nothing has no profile to complete. */
export function isProfileComplete(settings: ProfileSettings, profile: Profile): boolean {
  const asked = PROFILE_FIELDS.filter((field) => profileSetting(settings, field) !== 'off')
  return asked.length > 0 && asked.every((field) => profile[field] !== undefined && profile[field] !== '')
}
