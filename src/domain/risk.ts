/**
 * Risk control (风控): the merchant's rules, what each one counts, and the decision over what was counted.
 * A rule with `limit` N in `window_seconds` lets N through in any such window; the N+1-th gets its action.
 */

import { localDate, zonedStartOfDay } from './time.ts'

export const RISK_RULE_NAMES = [
  'users_per_device',
  'claims_per_address',
  'wrong_codes',
  'redemptions_per_clerk',
  'new_account_gift',
  'redemption_distance',
  'discount_per_store_day',
  'accounts_per_device',
  'accounts_per_phone',
] as const
export type RiskRuleName = (typeof RISK_RULE_NAMES)[number]

export type RiskAction = 'challenge' | 'block'
export type RiskDecision = 'allow' | RiskAction

export interface RiskRule {
  name: RiskRuleName
  enabled: boolean
  /** Distinct users, requests, unknown codes, redemptions; gifts (new_account_gift), metres (redemption_distance), fen (discount_per_store_day). */
  limit: number
  window_seconds: number
  action: RiskAction
}

export type RiskRules = Record<RiskRuleName, RiskRule>

const rule = (name: RiskRuleName, enabled: boolean, limit: number, window_seconds: number, action: RiskAction): RiskRule => ({ name, enabled, limit, window_seconds, action })

/** The rules of a merchant who changed none. */
export const DEFAULT_RISK_RULES: RiskRules = {
  users_per_device: rule('users_per_device', true, 3, 86_400, 'block'),
  claims_per_address: rule('claims_per_address', true, 200, 3_600, 'block'),
  wrong_codes: rule('wrong_codes', true, 20, 600, 'block'),
  redemptions_per_clerk: rule('redemptions_per_clerk', true, 60, 600, 'challenge'),
  // No gift accepted by an account that signed itself up less than a day ago.
  new_account_gift: rule('new_account_gift', true, 0, 86_400, 'block'),
  // Metres between a self-service redemption and the store.
  redemption_distance: rule('redemption_distance', true, 1_000, 0, 'block'),
  // Fen of discount one store gives in a day (100 000 yuan).
  discount_per_store_day: rule('discount_per_store_day', false, 10_000_000, 86_400, 'challenge'),
  // Wallet accounts (phone numbers or e-mail addresses) asking for sign-in codes on one device in a day.
  accounts_per_device: rule('accounts_per_device', true, 5, 86_400, 'block'),
  // Users joining member cards with one phone number in their profile, in 30 days.
  accounts_per_phone: rule('accounts_per_phone', true, 3, 30 * 86_400, 'block'),
}

/** How long a key or address that guessed too many codes stays blocked. */
export const WRONG_CODE_BLOCK_MS = 15 * 60_000

/** The merchant's stored changes over the defaults. */
export function rulesWithDefaults(changed: readonly RiskRule[]): RiskRules {
  const rules = { ...DEFAULT_RISK_RULES }
  for (const r of changed) if (r.name in rules) rules[r.name] = r
  return rules
}

/** What a rule counts by. `key` is an API key or a signed-in clerk. */
export type RiskSubjectType = 'user' | 'device' | 'address' | 'phone' | 'key' | 'clerk' | 'store'

export interface RiskSubject {
  userId?: string | null
  /** The wallet's `Kabao-Device` header. */
  deviceId?: string | null
  /** The client address as counted (IPv4, or the IPv6 /64). */
  address?: string | null
  phone?: string | null
  /** The phone number or e-mail address a wallet account signs in with. */
  contact?: string | null
  /** The API key id, or `staff:<id>` for a signed-in staff member. */
  keyId?: string | null
  /** Who redeems: the staff member, else the API key. */
  clerkId?: string | null
  storeId?: string | null
  /** When a self-signed-up wallet account was made (null: an id of the merchant's own, which it vouches for). */
  selfSignedUpAt?: number | null
  /** Metres between the customer's reported location and the store. */
  distanceMetres?: number | null
  /** Discount of the redemption being decided, fen. */
  discountAmount?: number | null
}

/**
/**
 * What is being done: a claim, a redemption, an unknown code typed at a till, a gift sent or accepted, a
 * card shared (judged by the block list only: no default rule counts shares; the claims they bring are
 * counted), a group opened or joined (counted like a claim), a wallet sign-in (asking for a code, or
 * signing in with it), a member joining a member card.
 */
export const RISK_ACTIVITIES = ['claim', 'redeem', 'wrong_code', 'send_gift', 'accept_gift', 'share', 'join_group', 'sign_in', 'join'] as const
export type RiskActivity = (typeof RISK_ACTIVITIES)[number]

export interface CounterUse {
  rule: RiskRuleName
  type: RiskSubjectType
  value: string
  /** Counting distinct members (users on a device, accounts on a device or phone) rather than every hit. */
  distinct: boolean
  /** The member a distinct counter counts (null when unknown: the hit then counts as a member of its own). */
  member: string | null
  limit: number
  windowMs: number
}

/** The rules that count distinct members; the others count every hit. */
const DISTINCT_RULES: ReadonlySet<RiskRuleName> = new Set(['users_per_device', 'accounts_per_device', 'accounts_per_phone'])

/** The counters an activity moves under the enabled rules, for the subject parts that are known. */
export function countersFor(rules: RiskRules, subject: RiskSubject, activity: RiskActivity): CounterUse[] {
  const uses: CounterUse[] = []
  const use = (name: RiskRuleName, type: RiskSubjectType, value: string | null | undefined, member: string | null = null) => {
    const r = rules[name]
    if (!r.enabled || !value) return
    uses.push({ rule: name, type, value, distinct: DISTINCT_RULES.has(name), member, limit: r.limit, windowMs: r.window_seconds * 1000 })
  }
  // Joining a group gets a coupon as a claim does, and is counted with claims.
  if (activity === 'claim' || activity === 'join_group') {
    use('users_per_device', 'device', subject.deviceId, subject.userId ?? null)
    use('claims_per_address', 'address', subject.address)
  } else if (activity === 'redeem') {
    use('redemptions_per_clerk', 'clerk', subject.clerkId)
  } else if (activity === 'wrong_code') {
    use('wrong_codes', 'key', subject.keyId)
    use('wrong_codes', 'address', subject.address)
  } else if (activity === 'sign_in') {
    use('accounts_per_device', 'device', subject.deviceId, subject.contact ?? null)
  } else if (activity === 'join') {
    use('accounts_per_phone', 'phone', subject.phone, subject.userId ?? null)
  }
  return uses
}

/** Buckets a plain counter's window is cut into: a hit is remembered for its window and at most a tenth longer. */
export const BUCKETS_PER_WINDOW = 10

/**
 * Where a hit of a plain counter (every hit counted) goes at `now`: the fixed bucket of a tenth of the
 * window that holds `now`, read with the earlier buckets that start after `priorAfter` (the ten before
 * it), so the count covers at least the whole window and at most a tenth more. The bucket stops
 * counting at `expiresAt`.
 */
export interface CounterBucket {
  bucketStart: number
  priorAfter: number
  expiresAt: number
}

export function counterBucket(windowMs: number, now: number): CounterBucket {
  const size = Math.max(1, Math.ceil(windowMs / BUCKETS_PER_WINDOW))
  const bucketStart = Math.floor(now / size) * size
  return { bucketStart, priorAfter: bucketStart - size * (BUCKETS_PER_WINDOW + 1), expiresAt: bucketStart + size * (BUCKETS_PER_WINDOW + 1) }
}

/**
 * The count a plain counter answers: the earlier buckets' hits (`prior`) and this bucket's (`n`, this hit
 * included when it was counted); a refused hit is not kept, and answers the count it would have made.
 */
export function bucketCount(prior: number, n: number, counted: boolean): number {
  return prior + n + (counted ? 0 : 1)
}

/** A counter as read after this activity was counted: `count` includes it (the would-be count when refused). */
export interface CounterReading {
  rule: RiskRuleName
  type: RiskSubjectType
  value: string
  count: number
}

export type RiskOutcome =
  | { decision: 'allow' }
  | { decision: RiskAction; rule: RiskRuleName; subject: { type: RiskSubjectType; value: string } }

/**
 * Decides an activity from the rules, the counters it moved and the subject. A block wins over a
 * challenge; among equals, the first rule in the readings decides.
 */
export function evaluateRisk(rules: RiskRules, counters: readonly CounterReading[], subject: RiskSubject, activity: RiskActivity, now: number): RiskOutcome {
  const hits: Exclude<RiskOutcome, { decision: 'allow' }>[] = []
  for (const reading of counters) {
    const r = rules[reading.rule]
    if (r.enabled && reading.count > r.limit) hits.push({ decision: r.action, rule: r.name, subject: { type: reading.type, value: reading.value } })
  }
  const gift = rules.new_account_gift
  if (activity === 'accept_gift' && gift.enabled && subject.userId && subject.selfSignedUpAt != null && now - subject.selfSignedUpAt < gift.window_seconds * 1000) {
    hits.push({ decision: gift.action, rule: gift.name, subject: { type: 'user', value: subject.userId } })
  }
  const distance = rules.redemption_distance
  if (activity === 'redeem' && distance.enabled && subject.distanceMetres != null && subject.distanceMetres > distance.limit) {
    // The coupon's owner redeemed it far away; a coupon without an owner is flagged at its store.
    const who = subject.userId ? { type: 'user' as const, value: subject.userId } : subject.storeId ? { type: 'store' as const, value: subject.storeId } : null
    if (who) hits.push({ decision: distance.action, rule: distance.name, subject: who })
  }
  return hits.find((hit) => hit.decision === 'block') ?? hits[0] ?? { decision: 'allow' }
}

export interface Coordinates {
  latitude: number
  longitude: number
}

const EARTH_RADIUS_METRES = 6_371_008.8

/** Great-circle distance in metres (haversine over the mean Earth radius: within 0.5 % anywhere, plenty for "more than 1 km"). */
export function distanceMetres(a: Coordinates, b: Coordinates): number {
  const rad = Math.PI / 180
  const dLat = (b.latitude - a.latitude) * rad
  const dLng = (b.longitude - a.longitude) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLng / 2) ** 2
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * How far from its store a redemption happened, as `redemption_distance` judges it: only a self-service
 * one (the customer redeeming on their own phone) that sent a location, at a store with coordinates.
 */
export function selfServiceDistance(channel: string, location: Coordinates | null, store: Partial<Coordinates> | { latitude: number | null; longitude: number | null } | null): number | null {
  if (channel !== 'self_service' || !location || !store || store.latitude == null || store.longitude == null) return null
  return Math.round(distanceMetres(location, { latitude: store.latitude, longitude: store.longitude }))
}

/**
 * The reading `discount_per_store_day` judges: the discount the store gave today (since `dayStartOf`)
 * with this redemption's. None when the rule is off or the redemption has no store.
 */
export function storeDayDiscountReading(rules: RiskRules, storeId: string | null, givenToday: number, discountAmount: number): CounterReading | null {
  if (!rules.discount_per_store_day.enabled || !storeId) return null
  return { rule: 'discount_per_store_day', type: 'store', value: storeId, count: givenToday + discountAmount }
}

/** When the merchant's day of `now` began: `discount_per_store_day` counts from there. */
export function dayStartOf(now: number, merchantTz: string): number {
  const { year, month, day } = localDate(now, merchantTz)
  return zonedStartOfDay(year, month, day, merchantTz)
}

export interface RiskBlock {
  type: RiskSubjectType
  value: string
  /** Epoch ms the block ends; null: until removed. */
  until: number | null
}

/** The block that applies to the subject now, if any. */
export function activeBlockFor<B extends RiskBlock>(blocks: readonly B[], subject: RiskSubject, now: number): B | undefined {
  const values: Partial<Record<RiskSubjectType, string | null | undefined>> = {
    user: subject.userId,
    device: subject.deviceId,
    address: subject.address,
    phone: subject.phone,
    key: subject.keyId,
  }
  return blocks.find((b) => (b.until === null || b.until > now) && values[b.type] != null && values[b.type] === b.value)
}

/** The block-list entry a decision adds: a key or address that guessed too many codes is refused for 15 minutes. */
export function listedBlockOf(outcome: RiskOutcome, now: number): RiskBlock | null {
  if (outcome.decision !== 'block' || outcome.rule !== 'wrong_codes') return null
  return { ...outcome.subject, until: now + WRONG_CODE_BLOCK_MS }
}
