// The datacube calls (WECHAT-API.md §2.7), answered from the native statistics: cardStats and funnel of
// features/stats, memberMetrics of features/member-analytics. Nothing is counted here, only read and added up.
import type { AppContext } from '../../app-context.ts'
import { dayBounds, dayKey, parseDayKey } from '../../domain/analytics.ts'
import { localDate, type LocalDate } from '../../domain/time.ts'
import { addCounts, datacubeCardType, datacubeRange, ZERO_FIGURES, type CouponDayFigures } from '../../domain/wechat-datacube.ts'
import { readString } from '../../domain/wechat-parse.ts'
import { cardStats, funnel } from '../stats/stats.service.ts'
import { getCard } from '../cards/cards.service.ts'
import { memberMetrics } from '../member-analytics/member-analytics.service.ts'
import { datacubeCards, datacubeMemberCards, wechatMemberTimes } from './wechat.repository.ts'
import { WxFailure, type WxCaller } from './wechat.service.ts'

function rangeOf(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const tz = caller.principal.merchantTz
  const range = datacubeRange(body, localDate(ctx.clock.now(), tz))
  if (!range.ok) throw new WxFailure(range.errcode, range.detail)
  // Cards made after the last day asked for have nothing to show.
  const until = range.days.length === 0 ? 0 : dayBounds(parseDayKey(range.to) as LocalDate, tz).end
  return { ...range, tz, until }
}

interface CardDays {
  cardId: string
  type: number
  /** The card's figures per local day, in the order asked for. */
  days: (CouponDayFigures & { ref_date: string })[]
}

/**
 * One card's datacube days from its native statistics over the range: views, viewers, claims (net of
 * voids, as natively), redemptions (net of reversals), accepted gifts and expiries per day; the distinct claimers and
 * redeemers of a day come from the card's statistics of that one day, asked for only for days
 * with claims or redemptions.
 */
async function cardDays(ctx: AppContext, merchantId: string, tz: string, card: { id: string; type: Parameters<typeof datacubeCardType>[0] }, from: string, to: string): Promise<CardDays> {
  const stats = await cardStats(ctx, merchantId, tz, card.id, { from, to })
  const days = []
  for (const day of stats.by_day) {
    // The native figures count accepted gifts per day, not their givers apart: given_user is the count too.
    const figures: CouponDayFigures = { ...ZERO_FIGURES, view_cnt: day.views, view_user: day.viewers, receive_cnt: day.claims, verify_cnt: day.redemptions, given_cnt: day.gifts, given_user: day.gifts, expire_cnt: day.expired, expire_user: day.expired }
    if (day.claims !== 0 || day.redemptions !== 0) {
      const one = await cardStats(ctx, merchantId, tz, card.id, { from: day.date, to: day.date })
      figures.receive_user = one.claimers
      figures.verify_user = one.redeemers
    }
    days.push({ ref_date: day.date, ...figures })
  }
  return { cardId: card.id, type: datacubeCardType(card.type), days }
}

const active = (f: CouponDayFigures) => f.view_cnt !== 0 || f.receive_cnt !== 0 || f.verify_cnt !== 0 || f.given_cnt !== 0 || f.expire_cnt !== 0

/** `datacube/getcardcardinfo`: each day × card with activity, or each day of one card (`card_id`). */
export async function datacubeCardInfo(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const range = rangeOf(ctx, caller, body)
  const cardId = readString(body.card_id)
  if (!cardId.ok) throw new WxFailure(40097, 'card_id')
  const { merchantId } = caller.principal
  if (cardId.value !== undefined) {
    // An unknown (or another merchant's) card: 40073, whatever the range.
    const { card } = await getCard(ctx, merchantId, cardId.value)
    if (range.days.length === 0) return { list: [] }
    const one = await cardDays(ctx, merchantId, range.tz, card, range.from, range.to)
    return { list: one.days.map((day) => ({ ...day, card_id: one.cardId, card_type: one.type })) }
  }
  if (range.days.length === 0) return { list: [] }
  const cards = await datacubeCards(ctx.database.db, merchantId, range.condSource, range.until)
  const list = []
  const all = []
  for (const card of cards) all.push(await cardDays(ctx, merchantId, range.tz, card, range.from, range.to))
  for (const [i, date] of range.days.entries()) {
    for (const card of all) if (active(card.days[i])) list.push({ ...card.days[i], ref_date: date, card_id: card.cardId, card_type: card.type })
  }
  return { list }
}

/**
 * `datacube/getcardbizuininfo`: each day, zeros included, over every coupon card: counts added up, the
 * distinct viewers, claimers and redeemers of the day from the native funnel (over the cards chosen by
 * `cond_source`, the cards' own distinct figures added up).
 */
export async function datacubeBizInfo(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const range = rangeOf(ctx, caller, body)
  if (range.days.length === 0) return { list: [] }
  const { merchantId } = caller.principal
  const cards = await datacubeCards(ctx.database.db, merchantId, range.condSource, range.until)
  const all = []
  for (const card of cards) all.push(await cardDays(ctx, merchantId, range.tz, card, range.from, range.to))
  const list = []
  for (const [i, date] of range.days.entries()) {
    let day = { ...ZERO_FIGURES }
    for (const card of all) day = addCounts(day, card.days[i])
    if (range.condSource === null && active(day)) {
      const people = await funnel(ctx, merchantId, range.tz, undefined, { from: date, to: date })
      const users = Object.fromEntries(people.steps.map((step) => [step.name, step.users]))
      day = { ...day, view_user: users.view ?? 0, receive_user: users.claim ?? 0, verify_user: users.redeem ?? 0 }
    } else {
      for (const card of all) day = { ...day, view_user: day.view_user + card.days[i].view_user, receive_user: day.receive_user + card.days[i].receive_user, verify_user: day.verify_user + card.days[i].verify_user }
    }
    for (const card of all) day = { ...day, given_user: day.given_user + card.days[i].given_user }
    list.push({ ref_date: date, ...day })
  }
  return { list }
}

/**
 * `datacube/getcardmembercardinfo`: each day over the merchant's member cards, from the native member
 * figures: joins, members at day end, no views or verifications. A member who joined through the WeChat
 * API counts as active on the day of `membercard/activate` (or of joining an `auto_activate` card); one
 * who joined natively is active from joining.
 */
export async function datacubeMemberCardInfo(ctx: AppContext, caller: WxCaller, body: Record<string, unknown>) {
  const range = rangeOf(ctx, caller, body)
  if (range.days.length === 0) return { list: [] }
  const { merchantId } = caller.principal
  const cards = await datacubeMemberCards(ctx.database.db, merchantId, range.condSource, range.until)
  const joined = range.days.map(() => 0)
  const members = range.days.map(() => 0)
  for (const cardId of cards) {
    const metrics = await memberMetrics(ctx, merchantId, range.tz, cardId, { from: range.from, to: range.to })
    for (const [i, day] of metrics.by_day.entries()) {
      joined[i] += day.new_members
      members[i] += day.members
    }
  }
  const dayIndex = new Map(range.days.map((date, i) => [date, i]))
  const active = [...joined]
  const since = dayBounds(parseDayKey(range.from) as LocalDate, range.tz).start
  for (const member of await wechatMemberTimes(ctx.database.db, merchantId, cards, since)) {
    const joinedOn = dayIndex.get(dayKey(localDate(member.created_at, range.tz)))
    if (joinedOn !== undefined) active[joinedOn] -= 1
    const activatedOn = member.activated_at === null ? undefined : dayIndex.get(dayKey(localDate(member.activated_at, range.tz)))
    if (activatedOn !== undefined) active[activatedOn] += 1
  }
  return {
    list: range.days.map((date, i) => ({
      ref_date: date, view_cnt: 0, view_user: 0, receive_cnt: joined[i], receive_user: joined[i], active_user: active[i], verify_cnt: 0, verify_user: 0, total_user: members[i], total_receive_user: members[i],
    })),
  }
}
