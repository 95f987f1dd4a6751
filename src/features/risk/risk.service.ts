import type { AppContext } from '../../app-context.ts'
import type { Database, Db } from '../../db/database.ts'
import {
  activeBlockFor,
  bucketCount,
  counterBucket,
  countersFor,
  dayStartOf,
  storeDayDiscountReading,
  evaluateRisk,
  listedBlockOf,
  rulesWithDefaults,
  RISK_RULE_NAMES,
  type CounterUse,
  type RiskActivity,
  type RiskOutcome,
  type RiskRule,
  type RiskRuleName,
  type RiskRules,
  type RiskSubject,
  type RiskSubjectType,
} from '../../domain/risk.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import { normalizePhone } from '../customers/contact.ts'
import {
  confirmChallenge,
  countDistinct,
  countInBucket,
  countInBucketIn,
  deleteBlock,
  insertBlock,
  insertRiskEvent,
  listActiveBlocks,
  listChangedRules,
  saveRules,
  type RiskBlockRow,
  type RiskEventRow,
} from './risk.repository.ts'

export type { RiskBlockRow, RiskEventRow }

/** What a decision reads on every request: remembered for a second per process, forgotten at once on a change here. */
interface RiskProfile {
  rules: RiskRules
  blocks: RiskBlockRow[]
  loadedAt: number
}

const PROFILE_TTL_MS = 1000
const profiles = new WeakMap<Database, Map<string, RiskProfile>>()

function profilesOf(database: Database): Map<string, RiskProfile> {
  let byMerchant = profiles.get(database)
  if (!byMerchant) profiles.set(database, (byMerchant = new Map()))
  return byMerchant
}

async function riskProfileOf(ctx: AppContext, merchantId: string): Promise<RiskProfile> {
  const byMerchant = profilesOf(ctx.database)
  const cached = byMerchant.get(merchantId)
  if (cached && performance.now() - cached.loadedAt < PROFILE_TTL_MS) return cached
  const { db } = ctx.database
  const [changed, blocks] = await Promise.all([listChangedRules(db, merchantId), listActiveBlocks(db, merchantId, ctx.clock.now())])
  const profile = { rules: rulesWithDefaults(changed), blocks, loadedAt: performance.now() }
  byMerchant.set(merchantId, profile)
  return profile
}

function forgetRiskProfile(ctx: AppContext, merchantId: string): void {
  profilesOf(ctx.database).delete(merchantId)
}

export async function getRiskRules(ctx: AppContext, merchantId: string): Promise<RiskRule[]> {
  const { rules } = await riskProfileOf(ctx, merchantId)
  return RISK_RULE_NAMES.map((name) => rules[name])
}

export type RuleChange = { name: RiskRuleName } & Partial<Omit<RiskRule, 'name'>>

/** Changes the named rules (the rest of each stays as it was); a rule named twice is refused. */
export async function changeRiskRules(ctx: AppContext, merchantId: string, changes: RuleChange[]): Promise<RiskRule[]> {
  const seen = new Set<RiskRuleName>()
  const errors = changes.flatMap((change, i) => {
    if (!seen.has(change.name)) return (seen.add(change.name), [])
    return [{ field: `rules[${i}].name`, code: 'duplicate', message: `names ${change.name} a second time` }]
  })
  if (errors.length > 0) throw validationFailed(errors)
  const { rules } = await riskProfileOf(ctx, merchantId)
  const changed = changes.map(({ name, ...fields }) => ({ ...rules[name], ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) }))
  await saveRules(ctx.database.db, merchantId, changed, ctx.clock.now())
  forgetRiskProfile(ctx, merchantId)
  return getRiskRules(ctx, merchantId)
}

export async function addBlock(ctx: AppContext, merchantId: string, input: { type: RiskSubjectType; value: string; until: number | null }): Promise<RiskBlockRow> {
  const now = ctx.clock.now()
  if (input.until !== null && input.until <= now) throw validationFailed([{ field: 'until', code: 'in_the_past', message: 'must be in the future' }])
  // A phone is blocked in the form sign-ins and profiles are judged in (+86…), however it was typed.
  const value = input.type === 'phone' ? (normalizePhone(input.value) ?? input.value) : input.value
  const row: RiskBlockRow = { id: newId('rbk', now), merchant_id: merchantId, ...input, value, rule: null, created_at: now }
  await insertBlock(ctx.database.db, row)
  forgetRiskProfile(ctx, merchantId)
  return row
}

export async function removeBlock(ctx: AppContext, merchantId: string, id: string): Promise<void> {
  if (!(await deleteBlock(ctx.database.db, merchantId, id))) throw new AppError('risk_block_not_found', 'There is no block with this id.')
  forgetRiskProfile(ctx, merchantId)
}

export async function activeBlocks(ctx: AppContext, merchantId: string): Promise<RiskBlockRow[]> {
  return listActiveBlocks(ctx.database.db, merchantId, ctx.clock.now())
}

/** The answer to a refused request: it names no rule or threshold, so a fraudster learns nothing to stay under. */
function riskBlocked(): AppError {
  return new AppError('risk_blocked', 'This request was refused by the merchant’s risk control.')
}

/**
 * Counts the hits of one activity: in Redis when there is one (every counter in one round trip), in the
 * database otherwise or while Redis does not answer (counts then restart from what the database holds;
 * blocks live in the database and never lapse). A rule with a window of 0 remembers nothing: each hit
 * counts 1.
 */
async function countUses(ctx: AppContext, merchantId: string, uses: readonly CounterUse[], now: number): Promise<number[]> {
  const kept = uses.filter((use) => use.windowMs > 0)
  const counts = new Map<CounterUse, number>()
  if (kept.length > 0 && ctx.riskCounters) {
    try {
      const hits = kept.map((use) => ({ key: `${merchantId}:${counterKeyOf(use)}`, member: use.member ?? newId('hit', now), limit: use.limit, windowMs: use.windowMs }))
      const shared = await ctx.riskCounters.countHits(hits, now)
      kept.forEach((use, i) => counts.set(use, shared[i]))
    } catch {
      // Said once per outage by the Redis counters; count here instead.
    }
  }
  if (counts.size < kept.length) {
    const local = await Promise.all(kept.map((use) => countInDatabase(ctx, merchantId, use, now)))
    kept.forEach((use, i) => counts.set(use, local[i]))
  }
  return uses.map((use) => counts.get(use) ?? 1)
}

function counterKeyOf(use: CounterUse): string {
  return `${use.rule}:${use.type}:${use.value}`
}

/** A distinct counter keeps its members; a plain one only counts, by buckets of a tenth of its window. */
async function countInDatabase(ctx: AppContext, merchantId: string, use: CounterUse, now: number, tx?: Db): Promise<number> {
  if (use.distinct) return countDistinct(ctx.database, merchantId, counterKeyOf(use), use, use.member ?? newId('hit', now), now, tx)
  const hit = { merchantId, counterKey: counterKeyOf(use), bucket: counterBucket(use.windowMs, now), limit: use.limit }
  const counted = tx ? await countInBucketIn(ctx.database, tx, hit) : await countInBucket(ctx.database, hit)
  return bucketCount(counted.prior, counted.n, counted.counted)
}

/** Records a challenge or block with its `risk.flagged` event, and the block-list entry it adds (too many wrong codes). */
async function recordFlag(ctx: AppContext, merchantId: string, outcome: Exclude<RiskOutcome, { decision: 'allow' }>, activity: RiskActivity, challengeRef: string | null, now: number): Promise<string> {
  const row: RiskEventRow = {
    id: newId('rsk', now),
    merchant_id: merchantId,
    decision: outcome.decision,
    rule: outcome.rule,
    activity,
    subject_type: outcome.subject.type,
    subject_value: outcome.subject.value,
    challenge_ref: outcome.decision === 'challenge' ? challengeRef : null,
    confirmed_at: null,
    confirmed_by: null,
    created_at: now,
  }
  const listed = listedBlockOf(outcome, now)
  await ctx.database.db.transaction().execute(async (tx) => {
    await insertRiskEvent(tx, row)
    if (listed) await insertBlock(tx, { id: newId('rbk', now), merchant_id: merchantId, ...listed, rule: outcome.rule, created_at: now })
    await recordEvent(tx, {
      merchantId,
      type: 'risk.flagged',
      data: { risk_event_id: row.id, decision: row.decision, rule: row.rule, activity, subject: outcome.subject, ...(listed ? { blocked_until: listed.until } : {}) },
      now,
    })
  })
  if (listed) forgetRiskProfile(ctx, merchantId)
  return row.id
}

/**
 * Judges an activity before it is done: refused (403 risk_blocked) when its subject is on the block
 * list or a rule blocks it, 428 confirmation_required with a `challenge_id` when a rule challenges it.
 * `challengeRef` names what a challenge is about, so that its confirmation is for the same thing.
 */
export async function judgeRisk(ctx: AppContext, merchantId: string, subject: RiskSubject, activity: RiskActivity, challengeRef: string | null = null): Promise<void> {
  const now = ctx.clock.now()
  const profile = await riskProfileOf(ctx, merchantId)
  if (activeBlockFor(profile.blocks, subject, now)) throw riskBlocked()
  const uses = countersFor(profile.rules, subject, activity)
  // Rules that count nothing (new_account_gift, redemption_distance) are decided on the subject alone.
  const counts = await countUses(ctx, merchantId, uses, now)
  const readings = uses.map((use, i) => ({ rule: use.rule, type: use.type, value: use.value, count: counts[i] }))
  await actOn(ctx, merchantId, evaluateRisk(profile.rules, readings, subject, activity, now), activity, challengeRef, now)
}

/**
 * Whether an activity done in a write transaction of its own (a redemption) is best judged with
 * judgeRiskInTransaction: its counters are in the database (no Redis), on a database where a short write
 * costs least inside the transaction that follows it (SQLite, see Database.shortWritePlacement).
 */
export function countsRiskInTransaction(ctx: AppContext): boolean {
  return !ctx.riskCounters && ctx.database.shortWritePlacement() === 'in_transaction'
}

/**
 * judgeRisk in two steps, for an activity written in a transaction of its own: now, refused (403) while
 * its subject is on the block list, nothing written; then, in the caller's transaction `tx`, its counters
 * move (committed with `tx`: the caller keeps them when the activity itself fails, with a savepoint) and
 * the rules' decision is answered. A decision other than allow is recorded and answered by answerRisk
 * once `tx` has committed. The same counts, limits and slack as judgeRisk (a hit refused for its limit is
 * not counted); the rules and blocks are read before `tx` begins, as nothing else may use the database
 * while SQLite's connection is held.
 */
export async function judgeRiskInTransaction(ctx: AppContext, merchantId: string, subject: RiskSubject, activity: RiskActivity): Promise<(tx: Db) => Promise<RiskOutcome>> {
  const now = ctx.clock.now()
  const profile = await riskProfileOf(ctx, merchantId)
  if (activeBlockFor(profile.blocks, subject, now)) throw riskBlocked()
  const uses = countersFor(profile.rules, subject, activity)
  return async (tx) => {
    const counts: number[] = []
    for (const use of uses) counts.push(use.windowMs > 0 ? await countInDatabase(ctx, merchantId, use, now, tx) : 1)
    const readings = uses.map((use, i) => ({ rule: use.rule, type: use.type, value: use.value, count: counts[i] }))
    return evaluateRisk(profile.rules, readings, subject, activity, now)
  }
}

/** Records and answers the decision judgeRiskInTransaction came to, after its transaction: a challenge (428) or a block (403). */
export async function answerRisk(ctx: AppContext, merchantId: string, outcome: RiskOutcome, activity: RiskActivity, challengeRef: string | null): Promise<void> {
  await actOn(ctx, merchantId, outcome, activity, challengeRef, ctx.clock.now())
}

/** Records and answers a challenge or block; an allowed activity goes on. */
async function actOn(ctx: AppContext, merchantId: string, outcome: RiskOutcome, activity: RiskActivity, challengeRef: string | null, now: number): Promise<void> {
  if (outcome.decision === 'allow') return
  const eventId = await recordFlag(ctx, merchantId, outcome, activity, challengeRef, now)
  if (outcome.decision === 'block') throw riskBlocked()
  throw new AppError('confirmation_required', 'This needs a second confirmation: a manager sends the same request again with `confirm` set to `challenge_id`.', undefined, { challenge_id: eventId, rule: outcome.rule })
}

/** What only a decided redemption shows: where the customer was, and what it takes off the order. */
export interface RedemptionOutcome {
  /** Metres from the store of a self-service redemption that sent its location (see selfServiceDistance). */
  distanceMetres: number | null
  storeId: string | null
  discountAmount: number
  /** The coupon's owner. */
  userId: string | null
}

/** Does a redemption need to be decided before it is written, for `redemption_distance` or `discount_per_store_day`? */
export async function judgesRedemptionOutcome(ctx: AppContext, merchantId: string, sendsLocation: boolean): Promise<boolean> {
  const { rules } = await riskProfileOf(ctx, merchantId)
  return (sendsLocation && rules.redemption_distance.enabled) || rules.discount_per_store_day.enabled
}

/**
 * Judges a decided redemption before it is written: a self-service one too far from the store, and one
 * that takes the store past the discount it may give in the merchant's day (`givenSince` sums what the
 * store gave since an instant). Moves no counter.
 */
export async function judgeRedemptionOutcome(
  ctx: AppContext,
  merchantId: string,
  merchantTz: string,
  outcome: RedemptionOutcome,
  givenSince: (since: number) => Promise<number>,
  challengeRef: string,
): Promise<void> {
  const now = ctx.clock.now()
  const { rules } = await riskProfileOf(ctx, merchantId)
  const needsSum = rules.discount_per_store_day.enabled && outcome.storeId !== null
  const reading = storeDayDiscountReading(rules, outcome.storeId, needsSum ? await givenSince(dayStartOf(now, merchantTz)) : 0, outcome.discountAmount)
  const subject: RiskSubject = { userId: outcome.userId, storeId: outcome.storeId, distanceMetres: outcome.distanceMetres, discountAmount: outcome.discountAmount }
  await actOn(ctx, merchantId, evaluateRisk(rules, reading ? [reading] : [], subject, 'redeem', now), 'redeem', challengeRef, now)
}

/** Is the subject on the block list? Checked first by a confirmed request, which skips the counted rules. */
export async function refuseIfBlocked(ctx: AppContext, merchantId: string, subject: RiskSubject): Promise<void> {
  const profile = await riskProfileOf(ctx, merchantId)
  if (activeBlockFor(profile.blocks, subject, ctx.clock.now())) throw riskBlocked()
}

/** Uses a challenge once, for what it was about; `confirmedBy` is the key or staff member confirming. */
export async function useConfirmation(ctx: AppContext, merchantId: string, challengeId: string, challengeRef: string, confirmedBy: string): Promise<void> {
  if (!(await confirmChallenge(ctx.database.db, merchantId, challengeId, challengeRef, confirmedBy, ctx.clock.now()))) {
    throw validationFailed([{ field: 'confirm', code: 'invalid', message: 'is not an open challenge of this redemption' }], 'The confirmation does not match an open challenge of this redemption.')
  }
}
