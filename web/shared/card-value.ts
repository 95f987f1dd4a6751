import type { CardTerms } from '../../src/domain/types.ts'
import { locale } from './i18n.ts'
import { yuan } from './money.ts'

/** What a card face needs to show its worth: the value fields of the server's card terms, as far as known. */
export type CardValue = { type: string } & Partial<Pick<CardTerms, 'reduce_cost' | 'least_cost' | 'tiers' | 'percent_off' | 'max_discount' | 'gift' | 'deal_detail' | 'default_detail'>>

const zh = () => locale.value === 'zh-CN'

/** 15 % off reads 8.5折 in Chinese. */
function zhe(percentOff: number): string {
  return `${String((100 - percentOff) / 10)}折`
}

/** The big figure on the face: ¥20, 8.5折 / 15% off, or the kind of coupon. */
export function headline(card: CardValue): string {
  if (card.type === 'cash') {
    const amount = card.tiers && card.tiers.length > 0 ? Math.max(...card.tiers.map((t) => t.reduce_cost)) : card.reduce_cost
    return amount ? `¥${yuan(amount)}` : '¥—'
  }
  if (card.type === 'discount') return card.percent_off ? (zh() ? zhe(card.percent_off) : `${card.percent_off}% off`) : '—'
  const names: Record<string, [string, string]> = { gift: ['兑换券', 'Gift'], groupon: ['团购券', 'Deal'], general_coupon: ['优惠券', 'Coupon'] }
  const [cn, en] = names[card.type] ?? ['券', 'Coupon']
  return zh() ? cn : en
}

/** The rule in one line: 满100减20 / ¥20 off orders of ¥100 or more. */
export function valueRule(card: CardValue): string {
  const least = card.least_cost ? card.least_cost : 0
  if (card.type === 'cash') {
    if (card.tiers && card.tiers.length > 0) {
      return card.tiers.map((t) => (zh() ? `满${yuan(t.least_cost)}减${yuan(t.reduce_cost)}` : `¥${yuan(t.reduce_cost)} off ¥${yuan(t.least_cost)}`)).join(zh() ? '，' : ', ')
    }
    if (!card.reduce_cost) return ''
    if (least > 0) return zh() ? `满${yuan(least)}减${yuan(card.reduce_cost)}` : `¥${yuan(card.reduce_cost)} off orders of ¥${yuan(least)} or more`
    return zh() ? `立减${yuan(card.reduce_cost)}元` : `¥${yuan(card.reduce_cost)} off`
  }
  if (card.type === 'discount') {
    if (!card.percent_off) return ''
    const base = zh() ? `${least > 0 ? `满${yuan(least)}元` : ''}享${zhe(card.percent_off)}` : `${card.percent_off}% off${least > 0 ? ` orders of ¥${yuan(least)} or more` : ''}`
    const cap = card.max_discount ? (zh() ? `，最高优惠${yuan(card.max_discount)}元` : `, up to ¥${yuan(card.max_discount)}`) : ''
    return base + cap
  }
  const text = card.type === 'gift' ? card.gift : card.type === 'groupon' ? card.deal_detail : card.default_detail
  const threshold = least > 0 ? (zh() ? `（满${yuan(least)}元可用）` : ` (orders of ¥${yuan(least)} or more)`) : ''
  return (text ?? '') + threshold
}

export const CARD_TYPE_NAMES: Record<string, [string, string]> = {
  cash: ['代金券', 'Cash coupon'],
  discount: ['折扣券', 'Discount coupon'],
  gift: ['兑换券', 'Gift coupon'],
  groupon: ['团购券', 'Group deal'],
  general_coupon: ['优惠券', 'General coupon'],
}

export function typeName(type: string): string {
  const names = CARD_TYPE_NAMES[type] ?? [type, type]
  return zh() ? names[0] : names[1]
}

const WEEKDAYS: [string, string][] = [['一', 'Mon'], ['二', 'Tue'], ['三', 'Wed'], ['四', 'Thu'], ['五', 'Fri'], ['六', 'Sat'], ['日', 'Sun']]

/** 周一至周五 10:00-22:00 / Mon–Fri 10:00-22:00. */
export function usableHoursText(windows: { days: number[]; start: string; end: string }[] | null | undefined): string {
  if (!windows || windows.length === 0) return zh() ? '全天可用' : 'Any time'
  return windows
    .map((w) => {
      const days = [...new Set(w.days)].sort((a, b) => a - b)
      const name = (d: number) => (zh() ? `周${WEEKDAYS[d - 1][0]}` : WEEKDAYS[d - 1][1])
      const consecutive = days.length > 2 && days[days.length - 1] - days[0] === days.length - 1
      const dayText = days.length === 7 ? (zh() ? '每天' : 'Every day') : consecutive ? `${name(days[0])}${zh() ? '至' : '–'}${name(days[days.length - 1])}` : days.map(name).join(zh() ? '、' : ', ')
      return `${dayText} ${w.start}-${w.end}`
    })
    .join(zh() ? '；' : '; ')
}

/** The validity as promised: 领取后30天内有效 / Valid for 30 days from the claim. */
export function validityText(validity: { type: string; days?: number; start_after_days?: number; begin_at?: string; end_at?: string } | null | undefined): string {
  if (!validity) return ''
  if (validity.type === 'fixed_term') {
    const after = validity.start_after_days ?? 0
    if (zh()) return after > 0 ? `领取后第${after}天起${validity.days}天内有效` : `领取后${validity.days}天内有效`
    return after > 0 ? `Valid for ${validity.days} days, starting ${after} days after the claim` : `Valid for ${validity.days} days from the claim`
  }
  const day = (iso?: string) => (iso ? iso.slice(0, 10) : '')
  return `${day(validity.begin_at)} ~ ${day(validity.end_at)}`
}
