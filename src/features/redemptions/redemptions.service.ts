import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { decideRedemption, type CouponState } from '../../domain/redemption-rules.ts'
import { evaluateValidityWindow } from '../../domain/validity.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import type { MerchantPrincipal } from '../../principals.ts'
import { newId } from '../../ports/ids.ts'
import { outboxRow, recordEvent } from '../events/events.repository.ts'
import { runStatement, statement } from '../../db/statements.ts'
import type { RedemptionRow } from './redemptions.repository.ts'
import { findStore } from '../stores/stores.repository.ts'
import { findCouponByCode } from '../coupons/coupons.service.ts'
import { recordCouponExpired } from '../coupons/coupon-expiry.ts'
import { formatInstant } from '../../domain/time.ts'
import { COUPON_COLUMNS, type CouponRow, type CouponWithTerms } from '../coupons/coupons.repository.ts'
import { earnForRedemptionInTx, redemptionEarningOf, reverseRedemptionEarningInTx, type MemberEarning } from '../member-orders/member-orders.service.ts'

export type { RedemptionRow }
export type Channel = 'scan' | 'manual' | 'api' | 'self_service'

export interface RedeemInput {
  code: string
  storeId: string | null
  orderAmount: number | null
  channel: Channel
  /** The Idempotency-Key request making it (see idempotencyRefOf), if any. */
  requestRef?: string | null
  /** The member the order belongs to: they earn its points in the redemption's transaction. */
  memberId?: string | null
}

export interface Decision {
  found: CouponWithTerms
  store: { id: string; timezone: string } | null
  discountAmount: number
}

/** The store the redemption happens in: the key's own store for a till key, else the one named. */
function storeIdFor(principal: MerchantPrincipal, storeId: string | null): string | null {
  if (principal.storeId !== null && storeId !== null && storeId !== principal.storeId) {
    throw new AppError('forbidden', `This key redeems in store ${principal.storeId} only.`)
  }
  return storeId ?? principal.storeId
}

const storeNotFound = (id: string) => new AppError('store_not_found', `There is no store ${id}.`)

/** Loads the coupon (and the store, in the same query) and applies every rule; throws the reason a code can't be used. No writes. */
async function decide(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput, now: number, tx?: Db): Promise<Decision> {
  const storeId = storeIdFor(principal, input.storeId)
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
      state: coupon.state as CouponState,
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
  if (!decision.ok) {
    if (decision.error === 'order_amount_required') {
      throw validationFailed([{ field: 'order_amount', code: 'required', message: decision.detail }], decision.detail)
    }
    throw new AppError(decision.error, decision.detail)
  }
  return { found, store, discountAmount: decision.discount_amount }
}

/** What redeeming would take off the order, without redeeming. */
export async function checkRedemption(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<Decision> {
  return decide(ctx, principal, input, ctx.clock.now())
}

type RedeemResult = { redemption: RedemptionRow; coupon: CouponRow; code: string; member: MemberEarning | null }

/**
 * Redeems exactly once: the coupon moves from available to redeemed with a conditional update, so of
 * two tills redeeming the same code at the same moment one wins and the other is told it was redeemed.
 * The rules are applied to the coupon as read; the write then holds only if it is still available.
 *
 * The write is the coupon, the redemption and its event, together. On PostgreSQL that is one statement
 * (atomic by itself), so a redemption without a member is one read and one write, with no transaction
 * around them; with a member, the member's points are earned in the same transaction as the write.
 */
export async function redeem(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<RedeemResult> {
  const now = ctx.clock.now()
  const { merchantId } = principal
  const { database } = ctx
  // A retry of a request whose answer was lost finds what the first run did.
  return onceForRequest(input.requestRef, (ref) => findByRequestRef(ctx, database.db, merchantId, ref), async () => {
    if (database.engine === 'postgres' && !input.memberId) {
      const decision = await decide(ctx, principal, input, now)
      return { ...(await writeRedemption(ctx, principal, input, decision, now)), member: null }
    }
    return database.db.transaction().execute(async (tx) => {
      const decision = await decide(ctx, principal, input, now, tx)
      const result = await writeRedemption(ctx, principal, input, decision, now, tx)
      const member = input.memberId
        ? await earnForRedemptionInTx(tx, { notifier: ctx.notifier, merchantId, merchantTz: principal.merchantTz, memberId: input.memberId, redemptionId: result.redemption.id, orderAmount: input.orderAmount, storeId: result.redemption.store_id, now })
        : null
      return { ...result, member }
    })
  })
}

const REDEMPTION_COLUMNS = 'id, merchant_id, coupon_id, card_id, store_id, api_key_id, staff_id, channel, order_amount, discount_amount, redeemed_at, request_ref'

/** PostgreSQL: the coupon, the redemption and the event in one statement; no row when the coupon was no longer available. */
const REDEEM_AT_ONCE = statement(`
  with redeemed as (
    update coupons set state = 'redeemed', redeemed_at = ?::bigint, redemption_id = ?::text, updated_at = ?::bigint
    where merchant_id = ?::text and id = ?::text and state = 'available'
    returning ${COUPON_COLUMNS.join(', ')}
  ), recorded as (
    insert into redemptions (${REDEMPTION_COLUMNS})
    select ?::text, merchant_id, id, card_id, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::bigint, ?::text from redeemed
  ), announced as (
    insert into events (id, merchant_id, type, data, created_at)
    select ?::text, merchant_id, ?::text, ?::jsonb, ?::bigint from redeemed
  )
  select ${COUPON_COLUMNS.join(', ')} from redeemed`)

/** SQLite (inside the transaction): the same write as three statements. */
const MARK_REDEEMED = statement(`update coupons set state = 'redeemed', redeemed_at = ?, redemption_id = ?, updated_at = ? where merchant_id = ? and id = ? and state = 'available' returning id`)
const INSERT_REDEMPTION = statement(`insert into redemptions (${REDEMPTION_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
const INSERT_EVENT = statement('insert into events (id, merchant_id, type, data, created_at) values (?, ?, ?, ?, ?)')

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
  const r = redemption
  let coupon: CouponRow | undefined
  if (database.engine === 'postgres') {
    ;[coupon] = await runStatement<CouponRow>(database, REDEEM_AT_ONCE, [
      now, r.id, now, r.merchant_id, r.coupon_id,
      r.id, r.store_id, r.api_key_id, r.staff_id, r.channel, r.order_amount, r.discount_amount, r.redeemed_at, r.request_ref,
      event.id, event.type, event.data, event.created_at,
    ], tx)
  } else {
    const [updated] = await runStatement(database, MARK_REDEEMED, [now, r.id, now, r.merchant_id, r.coupon_id], tx)
    if (updated) {
      await runStatement(database, INSERT_REDEMPTION, [r.id, r.merchant_id, r.coupon_id, r.card_id, r.store_id, r.api_key_id, r.staff_id, r.channel, r.order_amount, r.discount_amount, r.redeemed_at, r.request_ref], tx)
      await runStatement(database, INSERT_EVENT, [event.id, event.merchant_id, event.type, event.data, event.created_at], tx)
      // Read in this same transaction, so the rest of the row is as read.
      coupon = { ...read, state: 'redeemed', redeemed_at: now, redemption_id: r.id, updated_at: now }
    }
  }
  if (!coupon) {
    // Another till won the race between our read and our write: report what it did.
    const again = await decide(ctx, principal, input, now, tx)
    throw new AppError('already_redeemed', `This coupon was already redeemed (state ${again.found.coupon.state}).`)
  }
  // The code typed matched the stored one, so it need not be decrypted.
  return { redemption, coupon, code: found.code }
}

/** The redemption an earlier run of the same Idempotency-Key request made, with its coupon and what its member earned. */
async function findByRequestRef(ctx: AppContext, db: Db, merchantId: string, requestRef: string): Promise<RedeemResult | undefined> {
  const redemption = await db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
  if (!redemption) return undefined
  const coupon = await db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', redemption.coupon_id).executeTakeFirstOrThrow()
  return { redemption, coupon, code: ctx.secrets.decryptCode(coupon.code_enc), member: await redemptionEarningOf(db, merchantId, redemption.id) }
}

export async function findRedemption(db: Db, merchantId: string, redemptionId: string): Promise<RedemptionRow> {
  const row = await db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('id', '=', redemptionId).executeTakeFirst()
  if (!row) throw new AppError('redemption_not_found', 'There is no redemption with this id.')
  return row
}

/**
 * Undoes a redemption once: the coupon is available again if still within its validity, else expired.
 * The redemption records the Idempotency-Key request reversing it (`requestRef`), so that a retry after a
 * crash between the commit and the stored response is answered with the reversal, not already_reversed.
 */
export async function reverseRedemption(ctx: AppContext, merchantId: string, merchantTz: string, redemptionId: string, reason: string | null, requestRef: string | null = null) {
  const now = ctx.clock.now()
  const { db } = ctx.database
  const reversedBy = async (ref: string) => {
    const redemption = await db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('reversal_request_ref', '=', ref).where('id', '=', redemptionId).executeTakeFirst()
    if (!redemption) return undefined
    const coupon = await db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', redemption.coupon_id).executeTakeFirstOrThrow()
    return { redemption, coupon }
  }
  return onceForRequest(requestRef, reversedBy, () => db.transaction().execute(async (tx) => {
    const reversed = await tx
      .updateTable('redemptions')
      .set({ reversed_at: now, reversal_reason: reason, reversal_request_ref: requestRef })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', redemptionId)
      .where('reversed_at', 'is', null)
      .returningAll()
      .executeTakeFirst()
    if (!reversed) {
      const existing = await findRedemption(tx, merchantId, redemptionId)
      throw new AppError('already_reversed', `This redemption was already reversed at ${formatInstant(existing.reversed_at ?? now, merchantTz)}.`)
    }
    const current = await tx.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', reversed.coupon_id).executeTakeFirstOrThrow()
    const state = evaluateValidityWindow(now, Number.NEGATIVE_INFINITY, current.valid_until) === 'expired' ? 'expired' : 'available'
    const coupon = await tx
      .updateTable('coupons')
      .set({ state, redeemed_at: null, redemption_id: null, updated_at: now })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', reversed.coupon_id)
      .where('redemption_id', '=', redemptionId)
      .returningAll()
      .executeTakeFirstOrThrow()
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
