import type { ItemOf } from './api-schema.ts'
import { locale } from './i18n.ts'

export type PointsEntryType = ItemOf<'/v1/members/{member_id}/points'>['type']
export type StoredValueEntryType = ItemOf<'/v1/members/{member_id}/stored-value'>['type']

/**
 * Why a balance moved, in the reader's language, for every type the server answers with (the compiler
 * sees to it that a new type gets its words here). A refund means something else in each ledger.
 */
const POINTS: Record<PointsEntryType, [string, string]> = {
  purchase: ['消费得积分', 'Points for a purchase'],
  sign_in: ['签到', 'Sign-in'],
  profile_completed: ['完善资料', 'Profile completed'],
  referral: ['推荐好友', 'Referral'],
  adjustment: ['商家调整', 'Adjusted by the shop'],
  exchange: ['积分兑换', 'Exchanged'],
  expiry: ['积分过期', 'Expired'],
  refund: ['退款扣回', 'Taken back on a refund'],
}

const STORED_VALUE: Record<StoredValueEntryType, [string, string]> = {
  top_up: ['充值', 'Top-up'],
  payment: ['储值消费', 'Paid with stored value'],
  order_refund: ['订单退款', 'Order refunded'],
  refund: ['退款', 'Refunded to the member'],
  adjustment: ['商家调整', 'Adjusted by the shop'],
}

const pick = (words: [string, string] | undefined, type: string) => (words ? words[locale.value === 'zh-CN' ? 0 : 1] : type)

export function pointsEntryText(type: string): string {
  return pick(POINTS[type as PointsEntryType], type)
}

export function storedValueEntryText(type: string): string {
  return pick(STORED_VALUE[type as StoredValueEntryType], type)
}
