import type { Db } from '../../db/database.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { tellCustomer } from '../notifications/inbox.ts'

/**
 * What members are told in their wallet inbox about their membership, one helper per kind of change, each
 * called inside the transaction of the change, in the merchant's language (texts in
 * notifications/messages.ts). The notification's `data` is the event's, so a merchant relaying it by
 * webhook has every id. Every notice carries a dedupe key where the change has an id of its own, so
 * nothing is said twice.
 */

/** What every ledger change tells, whichever balance it moved. */
export interface LedgerChange {
  member_id: string
  member_card_id: string
  user_id: string
  entry_id: string
  type: string
  delta: number
  reason: string
}

/** The shared part of a change's event and notice, from the posting and the entry it wrote. */
export function ledgerChange(member: { id: string; member_card_id: string; user_id: string }, entry: { id: string; type: string; delta: number }, reason: string): LedgerChange {
  return { member_id: member.id, member_card_id: member.member_card_id, user_id: member.user_id, entry_id: entry.id, type: entry.type, delta: entry.delta, reason }
}

export interface PointsChangedData extends LedgerChange {
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

export interface StoredValueChangedData extends LedgerChange {
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

export function notifyPointsChanged(notifier: Notifier, tx: Db, merchantId: string, data: PointsChangedData, now: number) {
  return tellCustomer(notifier, tx, {
    merchantId,
    userId: data.user_id,
    kind: 'points.changed',
    params: { delta: data.delta, type: data.type, reason: data.reason, balance: data.points_balance },
    data,
    dedupeKey: `points.changed:${data.entry_id}`,
    now,
  })
}

/** `lotId`: the first lot the notice covers; each lot is announced once. */
export function notifyPointsExpiring(notifier: Notifier, tx: Db, merchantId: string, data: PointsExpiringData, lotId: string, now: number) {
  return tellCustomer(notifier, tx, {
    merchantId,
    userId: data.user_id,
    kind: 'points.expiring',
    params: { points: data.points, expiresAt: data.expires_at },
    data,
    dedupeKey: `points.expiring:${lotId}`,
    now,
  })
}

export function notifyLevelChanged(notifier: Notifier, tx: Db, merchantId: string, data: LevelChangedData, now: number) {
  return tellCustomer(notifier, tx, {
    merchantId,
    userId: data.user_id,
    kind: 'member.level_changed',
    params: { fromLevel: data.from_level, toLevel: data.to_level, up: data.to_level_index > data.from_level_index },
    data,
    now,
  })
}

export function notifyStoredValueChanged(notifier: Notifier, tx: Db, merchantId: string, data: StoredValueChangedData, now: number) {
  return tellCustomer(notifier, tx, {
    merchantId,
    userId: data.user_id,
    kind: 'stored_value.changed',
    params: { delta: data.delta, type: data.type, reason: data.reason, balance: data.stored_value_balance },
    data,
    dedupeKey: `stored_value.changed:${data.entry_id}`,
    now,
  })
}

export function notifyBirthdayGift(notifier: Notifier, tx: Db, merchantId: string, data: BirthdayGiftData, now: number) {
  return tellCustomer(notifier, tx, {
    merchantId,
    userId: data.user_id,
    kind: 'member.birthday_gift',
    params: { title: data.title },
    data,
    dedupeKey: `member.birthday_gift:${data.coupon_id}`,
    now,
  })
}

/** Says what the points bought; the points themselves are told by their own `points.changed` notice. */
export function notifyRewardExchanged(notifier: Notifier, tx: Db, merchantId: string, data: RewardExchangedData, now: number) {
  return tellCustomer(notifier, tx, {
    merchantId,
    userId: data.user_id,
    kind: 'reward.exchanged',
    params: { title: data.title, pointsCost: data.points_cost, coupon: data.coupon_id !== null },
    data,
    dedupeKey: `reward.exchanged:${data.exchange_id}`,
    now,
  })
}
