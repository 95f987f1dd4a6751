import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { decideRedemption, effectiveCouponState, type CouponState } from '../../domain/redemption-rules.ts'
import { evaluateValidityWindow } from '../../domain/validity.ts'
import { AppError, validationFailed } from '../../http/errors.ts'
import type { MerchantPrincipal } from '../../http/auth.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import type { RedemptionRow } from './redemptions.repository.ts'
import { findStore } from '../stores/stores.repository.ts'
import { findCouponByCode } from '../coupons/coupons.service.ts'
import { recordCouponExpired } from '../coupons/coupon-expiry.ts'
import { formatInstant } from '../../domain/time.ts'
import type { CouponRow, CouponWithTerms } from '../coupons/coupons.repository.ts'
import { earnForRedemptionInTx, reverseRedemptionEarningInTx } from '../member-orders/member-orders.service.ts'

export type { RedemptionRow }
export type Channel = 'scan' | 'manual' | 'api' | 'self_service'
export type MemberEarning = Awaited<ReturnType<typeof earnForRedemptionInTx>>

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
async function decide(ctx: AppContext, db: Db, principal: MerchantPrincipal, input: RedeemInput, now: number): Promise<Decision> {
  const storeId = storeIdFor(principal, input.storeId)
  let found: Awaited<ReturnType<typeof findCouponByCode>>
  try {
    found = await findCouponByCode(ctx, db, principal.merchantId, input.code, storeId)
  } catch (error) {
    // A store that does not exist is reported before a code that does not.
    if (storeId !== null && !(await findStore(db, principal.merchantId, storeId))) throw storeNotFound(storeId)
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
  return decide(ctx, ctx.database.db, principal, input, ctx.clock.now())
}

/**
 * Redeems exactly once: the coupon moves from available to redeemed with a conditional update, so of
 * two tills redeeming the same code at the same moment one wins and the other is told it was redeemed.
 * The rules are applied to the coupon as read; the update then holds only if it is still available.
 */
export async function redeem(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<{ redemption: RedemptionRow; coupon: CouponRow; code: string; member: MemberEarning | null }> {
  const now = ctx.clock.now()
  const { merchantId } = principal
  return ctx.database.db.transaction().execute(async (tx) => {
    const earlier = input.requestRef ? await findByRequestRef(ctx, tx, merchantId, input.requestRef) : undefined
    if (earlier) return earlier
    const { found, store, discountAmount } = await decide(ctx, tx, principal, input, now)
    const redemptionId = newId('rdm', now)
    const coupon = await tx
      .updateTable('coupons')
      .set({ state: 'redeemed', redeemed_at: now, redemption_id: redemptionId, updated_at: now })
      .where('merchant_id', '=', merchantId)
      .where('id', '=', found.coupon.id)
      .where('state', '=', 'available')
      .returningAll()
      .executeTakeFirst()
    if (!coupon) {
      // Another till won the race between our read and our write: report what it did.
      const again = await decide(ctx, tx, principal, input, now)
      throw new AppError('already_redeemed', `This coupon was already redeemed (state ${again.found.coupon.state}).`)
    }
    const redemption: RedemptionRow = {
      id: redemptionId,
      merchant_id: merchantId,
      coupon_id: coupon.id,
      card_id: coupon.card_id,
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
    }
    await tx.insertInto('redemptions').values(redemption).execute()
    await recordEvent(tx, {
      merchantId,
      type: 'coupon.redeemed',
      data: {
        redemption_id: redemptionId,
        coupon_id: coupon.id,
        card_id: coupon.card_id,
        user_id: coupon.user_id,
        store_id: redemption.store_id,
        order_amount: input.orderAmount,
        discount_amount: discountAmount,
        channel: input.channel,
      },
      now,
    })
    const member = input.memberId
      ? await earnForRedemptionInTx(tx, { notifier: ctx.notifier, merchantId, merchantTz: principal.merchantTz, memberId: input.memberId, redemptionId, orderAmount: input.orderAmount, storeId: redemption.store_id, now })
      : null
    // The code typed matched the stored one, so it need not be decrypted.
    return { redemption, coupon, code: found.code, member }
  })
}

/** The redemption an earlier run of the same Idempotency-Key request made, with its coupon. */
async function findByRequestRef(ctx: AppContext, db: Db, merchantId: string, requestRef: string) {
  const redemption = await db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
  if (!redemption) return undefined
  const coupon = await db.selectFrom('coupons').selectAll().where('merchant_id', '=', merchantId).where('id', '=', redemption.coupon_id).executeTakeFirstOrThrow()
  return { redemption, coupon, code: ctx.secrets.decryptCode(coupon.code_enc), member: null }
}

export async function findRedemption(db: Db, merchantId: string, redemptionId: string): Promise<RedemptionRow> {
  const row = await db.selectFrom('redemptions').selectAll().where('merchant_id', '=', merchantId).where('id', '=', redemptionId).executeTakeFirst()
  if (!row) throw new AppError('redemption_not_found', 'There is no redemption with this id.')
  return row
}

/**
 * Undoes a redemption once: the coupon is available again if still within its validity, else expired.
 */
export async function reverseRedemption(ctx: AppContext, merchantId: string, merchantTz: string, redemptionId: string, reason: string | null) {
  const now = ctx.clock.now()
  return ctx.database.db.transaction().execute(async (tx) => {
    const reversed = await tx
      .updateTable('redemptions')
      .set({ reversed_at: now, reversal_reason: reason })
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
    return { redemption: reversed, coupon, state: effectiveCouponState({ state: state as CouponState, valid_until: coupon.valid_until }, now) }
  })
}
