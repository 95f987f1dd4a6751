import { fromJson } from '../../db/database.ts'
import type { MemberCardTerms, Profile } from '../../domain/member-card-rules.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { pick } from '../../pick.ts'
import type { MemberRow } from './members.repository.ts'

/** The member's level with what it gives, and how far the next level is. */
export function levelOf(member: MemberRow, terms: MemberCardTerms) {
  const level = terms.levels[member.level_index]
  const next = terms.levels[member.level_index + 1]
  return {
    level: level.name,
    level_index: member.level_index,
    level_benefits: { percent_off: level.percent_off, points_multiplier: level.points_multiplier, birthday_gift: level.birthday_card_id !== null, perks: level.perks },
    next_level: next ? { name: next.name, min_growth: next.min_growth, growth_needed: Math.max(0, next.min_growth - member.growth) } : null,
  }
}

export function presentMember(member: MemberRow, terms: MemberCardTerms, tz: string) {
  const at = (ms: number | null) => formatOptionalInstant(ms, tz)
  return {
    ...pick(member, ['id', 'member_card_id', 'user_id', 'member_number']),
    ...levelOf(member, terms),
    ...pick(member, ['growth', 'points_balance', 'stored_value_balance']),
    profile: fromJson<Profile>(member.profile),
    consented_at: at(member.consented_at),
    referrer_member_id: member.referrer_member_id,
    next_review_at: at(member.next_review_at),
    joined_at: formatInstant(member.joined_at, tz),
    level_changed_at: formatInstant(member.level_changed_at, tz),
    updated_at: formatInstant(member.updated_at, tz),
  }
}
