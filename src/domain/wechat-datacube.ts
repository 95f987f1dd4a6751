// The datacube calls of the WeChat-compatible API (WECHAT-API.md §2.7): their date ranges and errcodes,
// and how native card types read as WeChat's numbers. Pure.
import type { LocalDate } from './time.ts'
import { dayKey, daysBetween, parseDayKey } from './analytics.ts'
import type { CardType } from './types.ts'

/** At most this many days per call (begin and end included). */
export const DATACUBE_MAX_DAYS = 62

export type DatacubeRange =
  | { ok: true; from: string; to: string; days: string[]; condSource: 0 | 1 | null }
  | { ok: false; errcode: 61500 | 61501 | 40097; detail?: string }

/**
 * `begin_date`/`end_date` (YYYY-MM-DD, local days) and `cond_source`: a bad or missing date is 61500,
 * begin after end or over 62 days 61501. The days asked for stop at today (later ones have no rows).
 */
export function datacubeRange(body: Record<string, unknown>, today: LocalDate): DatacubeRange {
  const begin = typeof body.begin_date === 'string' ? parseDayKey(body.begin_date) : null
  const end = typeof body.end_date === 'string' ? parseDayKey(body.end_date) : null
  if (begin === null || end === null) return { ok: false, errcode: 61500 }
  if (dayKey(begin) > dayKey(end)) return { ok: false, errcode: 61501 }
  if (daysBetween(begin, end).length > DATACUBE_MAX_DAYS) return { ok: false, errcode: 61501 }
  const raw = body.cond_source
  let condSource: 0 | 1 | null = null
  if (raw !== undefined && raw !== null && raw !== '') {
    if (raw === 0 || raw === '0') condSource = 0
    else if (raw === 1 || raw === '1') condSource = 1
    else return { ok: false, errcode: 40097, detail: 'cond_source' }
  }
  const last = dayKey(end) > dayKey(today) ? today : end
  const days = dayKey(begin) > dayKey(last) ? [] : daysBetween(begin, last).map(dayKey)
  return { ok: true, from: dayKey(begin), to: dayKey(last), days, condSource }
}

/** WeChat's card_type numbers in datacube rows: 0 discount, 1 cash, 2 gift, 3 general coupon, 4 groupon. */
export function datacubeCardType(type: CardType): number {
  return { discount: 0, cash: 1, gift: 2, general_coupon: 3, groupon: 4 }[type]
}

/** The figures of a coupon datacube row (§2.7). */
export interface CouponDayFigures {
  view_cnt: number
  view_user: number
  receive_cnt: number
  receive_user: number
  verify_cnt: number
  verify_user: number
  given_cnt: number
  given_user: number
  expire_cnt: number
  expire_user: number
}

export const ZERO_FIGURES: CouponDayFigures = { view_cnt: 0, view_user: 0, receive_cnt: 0, receive_user: 0, verify_cnt: 0, verify_user: 0, given_cnt: 0, given_user: 0, expire_cnt: 0, expire_user: 0 }

/** The counts of several cards' rows added up (the `*_user` fields are not: distinct people are counted over all cards). */
export function addCounts(a: CouponDayFigures, b: CouponDayFigures): CouponDayFigures {
  return { ...a, view_cnt: a.view_cnt + b.view_cnt, receive_cnt: a.receive_cnt + b.receive_cnt, verify_cnt: a.verify_cnt + b.verify_cnt, given_cnt: a.given_cnt + b.given_cnt, expire_cnt: a.expire_cnt + b.expire_cnt, expire_user: a.expire_user + b.expire_user }
}
