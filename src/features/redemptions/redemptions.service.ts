import { countRedeemed, countReversed, redemptionCounts } from '../stats/stats.service.ts'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { decideRedemption } from '../../domain/redemption-rules.ts'
import { evaluateValidityWindow } from '../../domain/validity.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { reachesStore, type MerchantPrincipal } from '../../principals.ts'
import { newId } from '../../ports/ids.ts'
import { outboxRow, recordEvent } from '../events/events.repository.ts'
import {
  findRedeemedCoupon,
  findRedemption as findRedemptionRow,
  findRedemptionByRequest,
  findRedemptionReversedBy,
  discountGivenSince,
  insertRedemption,
  markReversed,
  redeemsAtOnce,
  restoreCoupon,
  type RedemptionRow,
} from './redemptions.repository.ts'
import type { RedemptionChannel } from './redemptions.table.ts'
import { findStore } from '../stores/stores.repository.ts'
import { ensureOrderAmountAllowed } from '../merchants/merchants.service.ts'
import { checkCredentials } from '../staff/staff.service.ts'
import { findCouponByCode } from '../coupons/coupons.service.ts'
import { recordCouponExpired } from '../coupons/coupon-expiry.ts'
import { formatInstant } from '../../domain/time.ts'
import { normalizeCode } from '../../domain/codes.ts'
import { selfServiceDistance, type Coordinates, type RiskOutcome, type RiskSubject } from '../../domain/risk.ts'
import { answerRisk, countsRiskInTransaction, judgeRedemptionOutcome, judgeRisk, judgeRiskInTransaction, judgesRedemptionOutcome, refuseIfBlocked, useConfirmation } from '../risk/risk.service.ts'
import { savepoint } from '../payments/payments.repository.ts'
import type { CouponRow, CouponWithTerms } from '../coupons/coupons.repository.ts'
import { earnForRedemptionInTx, redemptionEarningOf, reverseRedemptionEarningInTx, type MemberEarning } from '../member-orders/member-orders.service.ts'

export type { RedemptionRow }
export type Channel = RedemptionChannel

export interface RedeemInput {
  code: string
  storeId: string | null
  orderAmount: number | null
  channel: Channel
  /** The Idempotency-Key request making it (see idempotencyRefOf), if any. */
  requestRef?: string | null
  /** The member the order belongs to: they earn its points in the redemption's transaction. */
  memberId?: string | null
  /** The client address (as the risk rules count it) that wrong codes are counted by. */
  clientAddress?: string | null
  /** The credential wrong codes are counted by when it is no API key or staff member (the WeChat facade's app: `wechat:<appid>`). */
  riskKey?: string | null
  /** The challenge this redemption confirms (二次确認). */
  confirm?: string | null
  /**
   * Redeemed without an order (the WeChat facade's code/consume, as WeChat does): a card whose value depends
   * on the order amount takes nothing off instead of asking for one. Every other rule applies.
   */
  withoutOrder?: boolean
  /** Who confirms, when the credential sending it may not (a clerk's terminal): an owner or operator by name and password. */
  confirmer?: { login: string; password: string } | null
  /** Where the customer is, for a self-service redemption (risk rule redemption_distance). */
  location?: Coordinates | null
}

export interface Decision {
  found: CouponWithTerms
  store: { id: string; timezone: string } | null
  discountAmount: number
}

/** The store the redemption happens in: the key's own store for a till key, else the one named. */
function storeIdFor(principal: MerchantPrincipal, storeId: string | null): string | null {
  if (storeId !== null && !reachesStore(principal, storeId)) {
    throw new AppError('forbidden', `This key redeems in store ${principal.storeId} only.`)
  }
  return storeId ?? principal.storeId
}

const storeNotFound = (id: string) => new AppError('store_not_found', `There is no store ${id}.`)

/** Loads the coupon (and the store, in the same query) and applies every rule; throws the reason a code can't be used. No writes. */
async function decide(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput, now: number, tx?: Db): Promise<Decision> {
  const storeId = storeIdFor(principal, input.storeId)
  if (input.orderAmount !== null) await ensureOrderAmountAllowed(tx ?? ctx.database.db, principal.merchantId, input.orderAmount)
  let found: Awaited<ReturnType<typeof findCouponByCode>>
  try {
    found = await findCouponByCode(ctx, principal.merchantId, input.code, storeId, tx)
  } catch (error) {
    // A store that does not exist is reported before a code that does not.
    if (storeId !== null && !(await findStore(tx ?? ctx.database.db, principal.merchantId, storeId))) throw storeNotFound(storeId)
    throw error
  }
  if (storeId !== null && found.store === null) throw storeNotFound(storeId)
  const { store, coupon } = found
  const decision = decideRedemption({
    coupon: {
      state: coupon.state,
      valid_from: coupon.valid_from,
      valid_until: coupon.valid_until,
      redeemed_at: coupon.redeemed_at,
      redeemed_store_id: found.redeemedStoreId,
    },
    terms: found.terms,
    store,
    merchantTz: principal.merchantTz,
    orderAmount: input.orderAmount,
    now,
  })
  if (!decision.ok && decision.error === 'order_amount_required' && input.withoutOrder && input.orderAmount === null) {
    return { found, store, discountAmount: 0 }
  }
  if (!decision.ok) {
    if (decision.error === 'order_amount_required') {
      throw validationFailed([{ field: 'order_amount', code: 'required', message: decision.detail }], decision.detail)
    }
    throw new AppError(decision.error, decision.detail, undefined, decision.params)
  }
  return { found, store, discountAmount: decision.discount_amount }
}

/** What redeeming would take off the order, without redeeming. */
export async function checkRedemption(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<Decision> {
  return lookUpJudged(ctx, principal, input, () => decide(ctx, principal, input, ctx.clock.now()))
}

/**
 * Looking codes up is guessing them too: `lookUp` is refused (403 risk_blocked) while the key or the
 * client address is blocked, and an unknown code it meets (code_not_found) is counted as a wrong code, as
 * a redemption's are, past the limit blocking both. For every look-up of codes outside a redemption (its
 * check, the WeChat-compatible code calls).
 */
export async function lookUpJudged<T>(ctx: AppContext, principal: MerchantPrincipal, who: Pick<RedeemInput, 'clientAddress' | 'riskKey'>, lookUp: () => Promise<T>): Promise<T> {
  const risk = riskSubjectOf(principal, who)
  await refuseIfBlocked(ctx, principal.merchantId, risk)
  return countingWrongCodes(ctx, principal, risk, lookUp)
}

/** Runs `lookUp`; an unknown code is counted against the key and the address it came from, and past the limit both are blocked. */
async function countingWrongCodes<T>(ctx: AppContext, principal: MerchantPrincipal, risk: RiskSubject, lookUp: () => Promise<T>): Promise<T> {
  try {
    return await lookUp()
  } catch (error) {
    if (error instanceof AppError && error.code === 'code_not_found') await judgeRisk(ctx, principal.merchantId, risk, 'wrong_code')
    throw error
  }
}

type RedeemResult = { redemption: RedemptionRow; coupon: CouponRow; code: string; member: MemberEarning | null }

/**
 * Redeems exactly once: the coupon moves from available to redeemed with a conditional update, so of
 * two tills redeeming the same code at the same moment one wins and the other is told it was redeemed.
 * The rules are applied to the coupon as read; the write then holds only if it is still available.
 *
 * The write is the coupon, the redemption and its event, together. Where that is one statement (atomic
 * by itself: PostgreSQL, see redeemsAtOnce), a redemption without a member is one read and one write,
 * with no transaction around them; with a member, or elsewhere, it runs in a transaction, the member's
 * points earned in the same transaction as the write.
 */
export async function redeem(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<RedeemResult> {
  const now = ctx.clock.now()
  const { merchantId } = principal
  const { database } = ctx
  // A retry of a request whose answer was lost finds what the first run did.
  return onceForRequest(input.requestRef, (ref) => findByRequestRef(ctx, database.db, merchantId, ref), async () => {
    const risk = riskSubjectOf(principal, input)
    // Judged on the decided redemption, before the write (a confirmed one was judged already).
    const judgesOutcome = !input.confirm && (await judgesRedemptionOutcome(ctx, merchantId, input.channel === 'self_service' && input.location != null))
    // Where it costs least (SQLite without Redis), the clerk's count is written in the redemption's own transaction.
    const countInWrite = !input.confirm && !judgesOutcome && !redeemsAtOnce(database) && countsRiskInTransaction(ctx)
    const countIn = countInWrite ? await judgeRiskInTransaction(ctx, merchantId, risk, 'redeem') : null
    if (!countIn) await judgeRedemptionRisk(ctx, principal, input, risk)
    return countingWrongCodes(ctx, principal, risk, async () => {
      if (judgesOutcome) await judgeDecidedRedemption(ctx, principal, input, await decide(ctx, principal, input, now))
      if (!input.memberId && redeemsAtOnce(database)) {
        const decision = await decide(ctx, principal, input, now)
        return { ...(await writeRedemption(ctx, principal, input, decision, now)), member: null }
      }
      const write = async (tx: Db, decision: Decision): Promise<RedeemResult> => {
        const result = await writeRedemption(ctx, principal, input, decision, now, tx)
        const member = input.memberId
          ? await earnForRedemptionInTx(tx, { notifier: ctx.notifier, merchantId, merchantTz: principal.merchantTz, memberId: input.memberId, redemptionId: result.redemption.id, orderAmount: input.orderAmount, discountAmount: result.redemption.discount_amount, storeId: result.redemption.store_id, now })
          : null
        return { ...result, member }
      }
      if (!countIn) return database.db.transaction().execute(async (tx) => write(tx, await decide(ctx, principal, input, now, tx)))
      return countedRedemption(ctx, countIn, (tx) => decide(ctx, principal, input, now, tx), write, { memberId: input.memberId ?? null, merchantId, challengeRef: ctx.secrets.codeLookupHash(normalizeCode(input.code)) })
    })
  })
}

type Counted = { outcome: RiskOutcome } | { result: RedeemResult } | { failed: unknown }

/**
 * A redemption whose risk count is written in its own transaction: the clerk's hit first; then, if the
 * rules allow, the redemption is decided (reads only) and written. One refused as decided (an unknown or
 * used code, a wrong store…) has written nothing but its hit, which is committed: the rules count
 * attempts. A member's points are earned in a savepoint, so one refused there keeps its hit too. A
 * challenge or block is answered once the hit is committed, and nothing else is tried. (A failure of the
 * database itself undoes the whole transaction, its hit with it, as a crash would.)
 */
async function countedRedemption(
  ctx: AppContext,
  countIn: (tx: Db) => Promise<RiskOutcome>,
  decideIn: (tx: Db) => Promise<Decision>,
  write: (tx: Db, decision: Decision) => Promise<RedeemResult>,
  about: { memberId: string | null; merchantId: string; challengeRef: string },
): Promise<RedeemResult> {
  const counted = await ctx.database.db.transaction().execute(async (tx): Promise<Counted> => {
    const outcome = await countIn(tx)
    if (outcome.decision !== 'allow') return { outcome }
    let decision: Decision
    try {
      decision = await decideIn(tx)
    } catch (error) {
      return { failed: error }
    }
    if (!about.memberId) return { result: await write(tx, decision) }
    await savepoint(tx, 'redemption', 'savepoint')
    try {
      const result = await write(tx, decision)
      await savepoint(tx, 'redemption', 'release')
      return { result }
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      await savepoint(tx, 'redemption', 'rollback')
      return { failed: error }
    }
  })
  if ('result' in counted) return counted.result
  if ('failed' in counted) throw counted.failed
  await answerRisk(ctx, about.merchantId, counted.outcome, 'redeem', about.challengeRef)
  throw new Error('a redemption the risk rules did not allow was answered as allowed')
}

/**
 * Who redeems, as the risk rules count: the key (or signed-in staff member), the clerk, the client address.
 * A clerk is a person at a till: a signed-in staff member or a till (redeem-scope) key. A full key is the
 * merchant's own back office and is never challenged for its pace, so integrations keep working.
 */
function riskSubjectOf(principal: MerchantPrincipal, input: Pick<RedeemInput, 'clientAddress' | 'riskKey'>): RiskSubject {
  const staff = principal.staffId && `staff:${principal.staffId}`
  const till = principal.scope === 'redeem' ? principal.keyId : null
  return { keyId: principal.keyId ?? staff ?? input.riskKey ?? null, clerkId: staff ?? till, address: input.clientAddress ?? null }
}

/**
 * Before the redemption: refused while its key or address is blocked; a clerk past their redemptions in
 * the window is challenged (428) unless this request confirms the challenge, which only an owner, an
 * operator or a full key may do, once, for the same code.
 */
async function judgeRedemptionRisk(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput, risk: RiskSubject): Promise<void> {
  const challengeRef = ctx.secrets.codeLookupHash(normalizeCode(input.code))
  if (!input.confirm) return judgeRisk(ctx, principal.merchantId, risk, 'redeem', challengeRef)
  const confirmedBy = await confirmerOf(ctx, principal, input)
  await refuseIfBlocked(ctx, principal.merchantId, risk)
  await useConfirmation(ctx, principal.merchantId, input.confirm, challengeRef, confirmedBy)
}

/** Who confirms: the owner or operator named in `confirmer`, else the sender, who must be allowed to. */
async function confirmerOf(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<string> {
  const refused = () => new AppError('forbidden', 'Only an owner, an operator or a full key may confirm a challenged redemption.')
  if (input.confirmer) {
    const staff = await checkCredentials(ctx, { ...input.confirmer, address: input.clientAddress ?? 'unknown' })
    if (staff.merchant_id !== principal.merchantId || (staff.role !== 'owner' && staff.role !== 'operator')) throw refused()
    return staff.id
  }
  if (principal.scope !== 'full') throw refused()
  return principal.staffId ?? principal.keyId ?? ''
}

/** The location and discount rules over a decided redemption: too far from the store, or past the store's discount of the day. */
async function judgeDecidedRedemption(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput, decision: Decision): Promise<void> {
  const { db } = ctx.database
  const storeId = decision.store?.id ?? null
  const store = storeId && input.channel === 'self_service' && input.location ? await findStore(db, principal.merchantId, storeId) : null
  await judgeRedemptionOutcome(
    ctx,
    principal.merchantId,
    principal.merchantTz,
    { distanceMetres: selfServiceDistance(input.channel, input.location ?? null, store ?? null), storeId, discountAmount: decision.discountAmount, userId: decision.found.coupon.user_id },
    (since) => (storeId ? discountGivenSince(db, principal.merchantId, storeId, since) : Promise.resolve(0)),
    ctx.secrets.codeLookupHash(normalizeCode(input.code)),
  )
}

/** Writes the redemption decided on; if another till redeemed the coupon since it was read, throws what that till did. */
async function writeRedemption(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput, decision: Decision, now: number, tx?: Db): Promise<Omit<RedeemResult, 'member'>> {
  const { database } = ctx
  const { found, store, discountAmount } = decision
  const read = found.coupon
  const redemption: RedemptionRow = {
    id: newId('rdm', now),
    merchant_id: principal.merchantId,
    coupon_id: read.id,
    card_id: read.card_id,
    store_id: store?.id ?? null,
    api_key_id: principal.keyId,
    staff_id: principal.staffId,
    channel: input.channel,
    order_amount: input.orderAmount,
    discount_amount: discountAmount,
    redeemed_at: now,
    reversed_at: null,
    reversal_reason: null,
    request_ref: input.requestRef ?? null,
    reversal_request_ref: null,
  }
  const event = outboxRow({
    merchantId: principal.merchantId,
    type: 'coupon.redeemed',
    data: { redemption_id: redemption.id, coupon_id: read.id, card_id: read.card_id, user_id: read.user_id, store_id: redemption.store_id, order_amount: input.orderAmount, discount_amount: discountAmount, channel: input.channel },
    now,
  })
  const counts = redemptionCounts(read, redemption, principal.merchantTz)
  const coupon = await insertRedemption(database, read, redemption, event, counts, tx)
  if (!coupon) {
    // Another till won the race between our read and our write: report what it did.
    const again = await decide(ctx, principal, input, now, tx)
    throw new AppError('already_redeemed', `This coupon was already redeemed (state ${again.found.coupon.state}).`)
  }
  if (!redeemsAtOnce(database)) await countRedeemed(tx as Db, read, redemption, principal.merchantTz)
  // The code typed matched the stored one, so it need not be decrypted.
  return { redemption, coupon, code: found.code }
}

/** The redemption an earlier run of the same Idempotency-Key request made, with its coupon and what its member earned. */
async function findByRequestRef(ctx: AppContext, db: Db, merchantId: string, requestRef: string): Promise<RedeemResult | undefined> {
  const redemption = await findRedemptionByRequest(db, merchantId, requestRef)
  if (!redemption) return undefined
  const coupon = await findRedeemedCoupon(db, merchantId, redemption.coupon_id)
  return { redemption, coupon, code: ctx.secrets.decryptCode(coupon.code_enc), member: await redemptionEarningOf(db, merchantId, redemption.id) }
}

/** Who acts on a redemption: its merchant, and the store a bound credential works in. */
export type RedemptionScope = Pick<MerchantPrincipal, 'merchantId' | 'merchantTz' | 'storeId'>

/** The redemption, if the credential reaches it: one of another store is answered as unknown to a store-bound credential. */
export async function findRedemption(db: Db, scope: Pick<RedemptionScope, 'merchantId' | 'storeId'>, redemptionId: string): Promise<RedemptionRow> {
  const row = await findRedemptionRow(db, scope.merchantId, redemptionId)
  if (!row || !reachesStore(scope, row.store_id)) throw new AppError('redemption_not_found', 'There is no redemption with this id.')
  return row
}

/**
 * Undoes a redemption once: the coupon is available again if still within its validity, else expired.
 * The redemption records the Idempotency-Key request reversing it (`requestRef`), so that a retry after a
 * crash between the commit and the stored response is answered with the reversal, not already_reversed.
 * A store-bound credential reverses its own store's redemptions only.
 */
export async function reverseRedemption(ctx: AppContext, scope: RedemptionScope, redemptionId: string, reason: string | null, requestRef: string | null = null) {
  const now = ctx.clock.now()
  const { db } = ctx.database
  const { merchantId, merchantTz } = scope
  const reversedBy = async (ref: string) => {
    const redemption = await findRedemptionReversedBy(db, merchantId, redemptionId, ref)
    if (!redemption || !reachesStore(scope, redemption.store_id)) return undefined
    const coupon = await findRedeemedCoupon(db, merchantId, redemption.coupon_id)
    return { redemption, coupon }
  }
  return onceForRequest(requestRef, reversedBy, () => db.transaction().execute(async (tx) => {
    // Refused before anything is written; a redemption's store never changes.
    await findRedemption(tx, scope, redemptionId)
    const reversed = await markReversed(tx, merchantId, redemptionId, { now, reason, requestRef })
    if (!reversed) {
      const existing = await findRedemption(tx, scope, redemptionId)
      throw new AppError('already_reversed', `This redemption was already reversed at ${formatInstant(existing.reversed_at ?? now, merchantTz)}.`)
    }
    const current = await findRedeemedCoupon(tx, merchantId, reversed.coupon_id)
    const state = evaluateValidityWindow(now, Number.NEGATIVE_INFINITY, current.valid_until) === 'expired' ? 'expired' : 'available'
    const coupon = await restoreCoupon(tx, merchantId, reversed.coupon_id, redemptionId, state, now)
    await countReversed(tx, coupon, reversed, merchantTz, now)
    await recordEvent(tx, {
      merchantId,
      type: 'coupon.reversed',
      data: { redemption_id: redemptionId, coupon_id: coupon.id, card_id: coupon.card_id, user_id: coupon.user_id, state, reason },
      now,
    })
    // The expiry job only looks at available coupons, so a coupon that comes back expired is recorded here.
    if (state === 'expired') await recordCouponExpired(tx, coupon, merchantTz, now)
    await reverseRedemptionEarningInTx(tx, { notifier: ctx.notifier, merchantId, merchantTz, redemptionId, now })
    return { redemption: reversed, coupon }
  }))
}
