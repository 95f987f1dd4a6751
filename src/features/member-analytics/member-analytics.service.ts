import type { AppContext } from '../../app-context.ts'
import { fromJson } from '../../db/database.ts'
import type { Json } from '../../db/json.ts'
import { dayBounds, dayKey, ratio } from '../../domain/analytics.ts'
import { daysAsked, type DayRange } from '../stats/stats.service.ts'
import {
  AGE_BANDS,
  DEFAULT_RFM_THRESHOLDS,
  GENDERS,
  RFM_SEGMENTS,
  ageBand,
  genderOf,
  scoreRfm,
  validateRfmThresholds,
  type RfmScore,
  type RfmSegment,
  type RfmThresholds,
} from '../../domain/rfm.ts'
import { localDate } from '../../domain/time.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { cardExists } from '../cards/cards.repository.ts'
import { findMemberCard } from '../member-cards/member-cards.repository.ts'
import type { MemberFilter, MemberRow } from '../members/members.repository.ts'
import {
  consentedProfiles,
  findThresholds,
  joinsPerDay,
  memberOrdersIn,
  nonMemberRedemptionsIn,
  pointsFlowIn,
  redeemerIds,
  membersOfSegment,
  rfmSegmentCounts,
  saveThresholds,
  allThresholds,
} from './member-analytics.repository.ts'

/** A member card's RFM thresholds: the merchant's, else the defaults. */
export async function thresholdsOf(ctx: AppContext, merchantId: string, memberCardId: string): Promise<{ thresholds: RfmThresholds; is_default: boolean }> {
  const { db } = ctx.database
  await findMemberCard(db, merchantId, memberCardId)
  const own = await findThresholds(db, merchantId, memberCardId)
  return { thresholds: own ?? { ...DEFAULT_RFM_THRESHOLDS }, is_default: own === undefined }
}

/** Changes some of a member card's thresholds; the others keep their current values. */
export async function changeThresholds(ctx: AppContext, merchantId: string, memberCardId: string, changes: Partial<RfmThresholds>) {
  const { db } = ctx.database
  const current = await thresholdsOf(ctx, merchantId, memberCardId)
  const next = { ...current.thresholds, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as RfmThresholds
  const errors = validateRfmThresholds(next)
  if (errors.length > 0) throw validationFailed(errors)
  await saveThresholds(db, { merchant_id: merchantId, member_card_id: memberCardId, ...next, updated_at: ctx.clock.now() })
  return { thresholds: next, is_default: false }
}

export interface ScoredMember {
  member: MemberRow & { terms: Json }
  score: RfmScore
}

/**
 * A page of the merchant's members matching `filter` in one segment, in id order after `after`, each scored
 * against their card's thresholds now. The segment is found in the database for all the members at once
 * (member-analytics.repository membersOfSegment); each member returned is scored again here (domain/rfm.ts),
 * from the same inputs, for the figures of their score.
 */
async function scoredPage(ctx: AppContext, merchantId: string, filter: MemberFilter, segment: RfmSegment, after: string | null, limit: number): Promise<ScoredMember[]> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  const own = await allThresholds(db, merchantId)
  const rows = await membersOfSegment(db, merchantId, filter, segment, { own, defaults: DEFAULT_RFM_THRESHOLDS }, now, after, limit)
  return rows.map(({ member, inputs }) => ({ member, score: scoreRfm(inputs, own.get(member.member_card_id) ?? DEFAULT_RFM_THRESHOLDS, now) }))
}

/** How many of the card's members are in each RFM segment, now: one grouped statement over its members and their orders. */
export async function segmentsOf(ctx: AppContext, merchantId: string, memberCardId: string) {
  const { thresholds, is_default } = await thresholdsOf(ctx, merchantId, memberCardId)
  const counts = await rfmSegmentCounts(ctx.database.db, merchantId, memberCardId, { own: new Map(), defaults: thresholds }, ctx.clock.now())
  const total = [...counts.values()].reduce((sum, c) => sum + c, 0)
  return {
    member_card_id: memberCardId,
    thresholds,
    thresholds_are_default: is_default,
    members: total,
    segments: RFM_SEGMENTS.map((s) => ({
      segment: s.segment,
      name: s.name,
      description: s.description,
      recency: s.r,
      frequency: s.f,
      monetary: s.m,
      members: counts.get(s.segment) ?? 0,
      share: ratio(counts.get(s.segment) ?? 0, total),
    })),
  }
}

/** A page of the members in a segment (of one card, or of all the merchant's), in id order after `after`. */
export async function membersInSegment(ctx: AppContext, merchantId: string, filter: MemberFilter, segment: RfmSegment, after: string | null, limit: number): Promise<ScoredMember[]> {
  if (filter.memberCardId !== undefined) await findMemberCard(ctx.database.db, merchantId, filter.memberCardId)
  return scoredPage(ctx, merchantId, filter, segment, after, limit)
}

/** Members a bulk issue reads per statement. */
const SEGMENT_PAGE = 1000

/** The user ids of a member card's segment, for a bulk issue. */
export async function* segmentUserIds(ctx: AppContext, merchantId: string, memberCardId: string, segment: RfmSegment): AsyncGenerator<string> {
  await findMemberCard(ctx.database.db, merchantId, memberCardId)
  for (let after: string | null = null; ; ) {
    const page = await scoredPage(ctx, merchantId, { memberCardId }, segment, after, SEGMENT_PAGE)
    for (const { member } of page) yield member.user_id
    if (page.length < SEGMENT_PAGE) return
    after = page[page.length - 1].member.id
  }
}

/**
 * A member card's programme figures over local days: members joined and in all, members active (with an
 * order), the points exchange rate (points spent on rewards ÷ points earned) and what members spent
 * against customers who are not members (redemptions no member order names).
 */
export async function memberMetrics(ctx: AppContext, merchantId: string, tz: string, memberCardId: string, range: DayRange) {
  const { db } = ctx.database
  await findMemberCard(db, merchantId, memberCardId)
  const days = daysAsked(localDate(ctx.clock.now(), tz), range)
  const bounds = days.map((d) => dayBounds(d, tz))
  const from = bounds[0].start
  const until = bounds[bounds.length - 1].end
  const joins = await joinsPerDay(db, merchantId, memberCardId, bounds.map((b) => b.start), until)
  let running = joins.before
  const byDay = days.map((d, i) => {
    const joined = joins.perDay.get(i) ?? 0
    running += joined
    return { date: dayKey(d), new_members: joined, members: running }
  })
  const orders = await memberOrdersIn(db, merchantId, memberCardId, from, until)
  const points = await pointsFlowIn(db, merchantId, memberCardId, from, until)
  const others = await nonMemberRedemptionsIn(db, merchantId, from, until)
  return {
    member_card_id: memberCardId,
    timezone: tz,
    from: dayKey(days[0]),
    to: dayKey(days[days.length - 1]),
    members: running,
    new_members: running - joins.before,
    member_growth_rate: ratio(running - joins.before, joins.before),
    active_members: orders.active,
    active_share: ratio(orders.active, running),
    points_earned: points.earned,
    points_exchanged: points.exchanged,
    points_exchange_rate: ratio(points.exchanged, points.earned),
    member_spend: { orders: orders.orders, amount: orders.spend, average_order: orders.orders > 0 ? Math.round(orders.spend / orders.orders) : null },
    other_spend: { orders: others.orders, amount: others.spend, average_order: others.orders > 0 ? Math.round(others.spend / others.orders) : null },
    by_day: byDay,
  }
}

/** Chunks of a list for `in (…)` queries. */
function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))
}

/**
 * Redeemers over local days (of one card or all) by gender and age band, from the profiles members gave
 * with consent; a redeemer who gave none is `unknown`. Ages are on the range's last day.
 */
export async function redeemerProfiles(ctx: AppContext, merchantId: string, tz: string, cardId: string | undefined, range: DayRange) {
  const { db } = ctx.database
  if (cardId !== undefined && !(await cardExists(db, merchantId, cardId))) throw new AppError('card_not_found', 'There is no card with this id.')
  const days = daysAsked(localDate(ctx.clock.now(), tz), range)
  const last = days[days.length - 1]
  const users = await redeemerIds(db, merchantId, cardId, dayBounds(days[0], tz).start, dayBounds(last, tz).end)
  const profiles = new Map<string, { gender: string; band: string }>()
  for (const chunk of chunks(users, 500)) {
    for (const row of await consentedProfiles(db, merchantId, chunk)) {
      if (profiles.has(row.user_id)) continue
      const profile = fromJson<Record<string, unknown>>(row.profile) ?? {}
      const birthday = row.birthday ?? (typeof profile.birthday === 'string' ? profile.birthday : null)
      profiles.set(row.user_id, { gender: genderOf(profile.gender), band: ageBand(birthday, last) })
    }
  }
  const gender = new Map<string, number>()
  const band = new Map<string, number>()
  for (const user of users) {
    const p = profiles.get(user) ?? { gender: 'unknown', band: 'unknown' }
    gender.set(p.gender, (gender.get(p.gender) ?? 0) + 1)
    band.set(p.band, (band.get(p.band) ?? 0) + 1)
  }
  return {
    card_id: cardId ?? null,
    from: dayKey(days[0]),
    to: dayKey(last),
    redeemers: users.length,
    by_gender: [...GENDERS, 'unknown'].map((g) => ({ gender: g, redeemers: gender.get(g) ?? 0, share: ratio(gender.get(g) ?? 0, users.length) })),
    by_age_band: AGE_BANDS.map((b) => ({ age_band: b, redeemers: band.get(b) ?? 0, share: ratio(band.get(b) ?? 0, users.length) })),
  }
}

