import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { decideRedemption, effectiveCouponState, type CouponState } from '../../domain/redemption-rules.ts'
import { evaluateValidityWindow } from '../../domain/validity.ts'
import { AppError, validationFailed } from '../../http/errors.ts'
import type { MerchantPrincipal } from '../../http/auth.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import { recordRedemption, type RedemptionRow } from './redemptions.repository.ts'
import { findStore } from '../stores/stores.repository.ts'
import { findCouponByCode } from '../coupons/coupons.service.ts'
import { recordCouponExpired } from '../coupons/coupon-expiry.ts'
import { formatInstant } from '../../domain/time.ts'
import type { CouponRow, CouponWithTerms } from '../coupons/coupons.repository.ts'

export type { RedemptionRow }
export type Channel = 'scan' | 'manual' | 'api' | 'self_service'

export interface RedeemInput {
  code: string
  storeId: string | null
  orderAmount: number | null
  channel: Channel
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
export async function redeem(ctx: AppContext, principal: MerchantPrincipal, input: RedeemInput): Promise<{ redemption: RedemptionRow; coupon: CouponRow; code: string }> {
  const now = ctx.clock.now()
  const { merchantId } = principal
  const { found, store, discountAmount } = await decide(ctx, ctx.database.db, principal, input, now)
  const redemption: RedemptionRow = {
    id: newId('rdm', now),
    merchant_id: merchantId,
    coupon_id: found.coupon.id,
    card_id: found.coupon.card_id,
    store_id: store?.id ?? null,
    api_key_id: principal.keyId,
    channel: input.channel,
    order_amount: input.orderAmount,
    discount_amount: discountAmount,
    redeemed_at: now,
    reversed_at: null,
    reversal_reason: null,
  }
  const coupon = await recordRedemption(ctx.database, redemption, {
    merchantId,
    type: 'coupon.redeemed',
    data: {
      redemption_id: redemption.id,
      coupon_id: redemption.coupon_id,
      card_id: redemption.card_id,
      user_id: found.coupon.user_id,
      store_id: redemption.store_id,
      order_amount: input.orderAmount,
      discount_amount: discountAmount,
      channel: input.channel,
    },
    now,
  })
  if (!coupon) {
    // Another till (or a void) won the race between our read and our write: report what it did.
    const again = await decide(ctx, ctx.database.db, principal, input, now)
    throw new AppError('already_redeemed', `This coupon was already redeemed (state ${again.found.coupon.state}).`)
  }
  // The code typed matched the stored one, so it need not be decrypted.
  return { redemption, coupon, code: found.code }
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
    return { redemption: reversed, coupon, state: effectiveCouponState({ state: state as CouponState, valid_until: coupon.valid_until }, now) }
  })
}
