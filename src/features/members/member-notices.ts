import type { Db } from '../../db/database.ts'
import type { Notifier } from '../../ports/notifier.ts'

/**
 * What members are told in their wallet inbox about their membership, one helper per kind of change, each
 * called inside the transaction of the change. Plain text, short enough for an SMS or a template message:
 * numbers written as signed numbers and labels (no plurals to translate), the merchant's own words (reasons,
 * titles, level names) quoted. The notification's `data` is the event's, so a merchant relaying it by
 * webhook has every id. Every notice carries a dedupe key where the change has an id of its own, so
 * nothing is said twice.
 */

export interface PointsChangedData {
  member_id: string
  member_card_id: string
  user_id: string
  entry_id: string
  type: string
  delta: number
  reason: string
  points_balance: number
}

export interface PointsExpiringData {
  member_id: string
  member_card_id: string
  user_id: string
  points: number
  expires_at: string
}

export interface LevelChangedData {
  member_id: string
  member_card_id: string
  user_id: string
  from_level: string
  to_level: string
  from_level_index: number
  to_level_index: number
  growth: number
  reason: string
}

export interface StoredValueChangedData {
  member_id: string
  member_card_id: string
  user_id: string
  entry_id: string
  type: string
  delta: number
  reason: string
  payment_ref: string | null
  stored_value_balance: number
}

export interface BirthdayGiftData {
  member_id: string
  user_id: string
  card_id: string
  coupon_id: string
  title: string
}

export interface RewardExchangedData {
  exchange_id: string
  reward_id: string
  member_id: string
  member_card_id: string
  user_id: string
  type: string
  title: string
  points_cost: number
  coupon_id: string | null
  stock_remaining: number
  points_balance: number
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** Fen as yuan, `¥12.30`, with a sign when asked: whole-number arithmetic, exact for any balance. */
function yuan(fen: number, withSign = false): string {
  const abs = Math.abs(fen)
  const sign = fen < 0 ? '-' : withSign && fen > 0 ? '+' : ''
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** `2026-12-31T23:59:59+08:00` as the customer reads it: `2026-12-31 23:59` (their merchant's zone). */
const localMinute = (instant: string) => instant.slice(0, 16).replace('T', ' ')

const POINTS_SPENT_TITLES: Record<string, string> = { exchange: 'Points redeemed', expiry: 'Points expired', refund: 'Points reversed' }

export function notifyPointsChanged(notifier: Notifier, tx: Db, merchantId: string, data: PointsChangedData, now: number) {
  return notifier.notifyCustomer(tx, {
    merchantId,
    userId: data.user_id,
    kind: 'points.changed',
    title: data.delta > 0 ? 'Points earned' : (POINTS_SPENT_TITLES[data.type] ?? 'Points deducted'),
    body: `Points ${signed(data.delta)} (${data.reason}). Balance: ${data.points_balance}.`,
    data,
    dedupeKey: `points.changed:${data.entry_id}`,
    now,
  })
}

/** `lotId`: the first lot the notice covers; each lot is announced once. */
export function notifyPointsExpiring(notifier: Notifier, tx: Db, merchantId: string, data: PointsExpiringData, lotId: string, now: number) {
  return notifier.notifyCustomer(tx, {
    merchantId,
    userId: data.user_id,
    kind: 'points.expiring',
    title: 'Points expiring soon',
    body: `Points expiring at ${localMinute(data.expires_at)}: ${data.points}. Use them before then.`,
    data,
    dedupeKey: `points.expiring:${lotId}`,
    now,
  })
}

export function notifyLevelChanged(notifier: Notifier, tx: Db, merchantId: string, data: LevelChangedData, now: number) {
  return notifier.notifyCustomer(tx, {
    merchantId,
    userId: data.user_id,
    kind: 'member.level_changed',
    title: data.to_level_index > data.from_level_index ? 'Level up' : 'Level changed',
    body: `Your level is now “${data.to_level}” (was “${data.from_level}”).`,
    data,
    now,
  })
}

const STORED_VALUE_TITLES: Record<string, string> = {
  top_up: 'Stored value topped up',
  payment: 'Paid with stored value',
  order_refund: 'Refund to stored value',
  refund: 'Stored value paid out',
}

export function notifyStoredValueChanged(notifier: Notifier, tx: Db, merchantId: string, data: StoredValueChangedData, now: number) {
  return notifier.notifyCustomer(tx, {
    merchantId,
    userId: data.user_id,
    kind: 'stored_value.changed',
    title: STORED_VALUE_TITLES[data.type] ?? 'Stored value adjusted',
    body: `Stored value ${yuan(data.delta, true)} (${data.reason}). Balance: ${yuan(data.stored_value_balance)}.`,
    data,
    dedupeKey: `stored_value.changed:${data.entry_id}`,
    now,
  })
}

export function notifyBirthdayGift(notifier: Notifier, tx: Db, merchantId: string, data: BirthdayGiftData, now: number) {
  return notifier.notifyCustomer(tx, {
    merchantId,
    userId: data.user_id,
    kind: 'member.birthday_gift',
    title: 'Happy birthday',
    body: `A birthday gift is in your wallet: “${data.title}”.`,
    data,
    dedupeKey: `member.birthday_gift:${data.coupon_id}`,
    now,
  })
}

/** Says what the points bought; the points themselves are told by their own `points.changed` notice. */
export function notifyRewardExchanged(notifier: Notifier, tx: Db, merchantId: string, data: RewardExchangedData, now: number) {
  const collect = data.coupon_id === null ? 'show your pick-up code in the wallet to collect it' : 'the coupon is in your wallet'
  return notifier.notifyCustomer(tx, {
    merchantId,
    userId: data.user_id,
    kind: 'reward.exchanged',
    title: 'Reward exchanged',
    body: `“${data.title}” (points -${data.points_cost}): ${collect}.`,
    data,
    dedupeKey: `reward.exchanged:${data.exchange_id}`,
    now,
  })
}
