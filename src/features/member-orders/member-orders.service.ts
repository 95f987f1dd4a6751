import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { computeOrderRefund, computePaidAtTill, computeSpendGrowth, computeSpendPoints, multiplierPercent } from '../../domain/points-rules.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { reachesStore, type MerchantPrincipal } from '../../principals.ts'
import { newId } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { findStore } from '../stores/stores.repository.ts'
import { ensureOrderAmountAllowed } from '../merchants/merchants.service.ts'
import { applyGrowthInTx } from '../members/member-levels.ts'
import { findMemberWithCard, lockMemberWithCard, type MemberRow, type MemberWithCard } from '../members/members.repository.ts'
import { postPointsInTx } from '../points/points.ledger.ts'
import { postingOnce } from '../ledger/ledger.ts'
import { postStoredValueInTx } from '../stored-value/stored-value.ledger.ts'
import { findBalanceAfter } from '../points/points.repository.ts'
import {
  addRefundToOrder,
  findOrder,
  findOrderByRef,
  findOrderOfRedemption,
  findRefund,
  insertOrder,
  insertRefund,
  type MemberOrderRefundRow,
  type MemberOrderRow,
} from './member-orders.repository.ts'

export type { MemberOrderRefundRow, MemberOrderRow }

export interface OrderInput {
  orderRef: string
  orderAmount: number
  /** Paid from the member's stored value (the rest is paid otherwise). */
  storedValueAmount: number
  storeId: string | null
  redemptionId: string | null
}

/** What a member earns for spending `amount` fen at their current level. */
function earningsFor({ member, card }: MemberWithCard, amount: number): { points: number; growth: number } {
  const { terms } = card
  const level = terms.levels[member.level_index]
  return {
    points: computeSpendPoints(amount, terms.points_rules.per_yuan, multiplierPercent(level.points_multiplier) ?? 100),
    growth: computeSpendGrowth(amount, terms.growth_rules.per_yuan),
  }
}

/**
 * Records a member's order in the caller's transaction (the member locked): pays the stored-value part,
 * earns the order's points (times the level's multiplier) and growth, which may lift the level at once.
 * Each order posts once: its points and stored value carry the order as their source.
 */
export async function recordOrderInTx(
  tx: Db,
  notifier: Notifier,
  locked: MemberWithCard,
  input: OrderInput,
  merchantTz: string,
  now: number,
): Promise<{ order: MemberOrderRow; member: MemberRow }> {
  const { terms } = locked.card
  const sourceRef = `order:${input.orderRef}`
  let member = locked.member
  if (input.storedValueAmount > input.orderAmount) {
    throw validationFailed([{ field: 'stored_value_amount', code: 'exceeds_order', message: 'must not be more than order_amount' }])
  }
  if (input.storedValueAmount > 0) {
    if (!terms.stored_value.enabled) throw new AppError('stored_value_not_enabled', 'This member card does not take stored value.')
    const paid = await postStoredValueInTx(tx, { notifier, member, delta: -input.storedValueAmount, type: 'payment', reason: `Order ${input.orderRef}`, paymentRef: null, sourceRef, now })
    member = paid.member
  }
  const { points, growth } = earningsFor({ member, card: locked.card }, input.orderAmount)
  let lotId: string | null = null
  if (points > 0) {
    const posted = await postPointsInTx(tx, { notifier, member, terms, merchantTz, delta: points, type: 'purchase', reason: `Order ${input.orderRef}`, sourceRef, now })
    member = posted.member
    lotId = posted.entry.id
  }
  member = await applyGrowthInTx(tx, { notifier, member, terms, delta: growth, now })
  const order: MemberOrderRow = {
    id: newId('mor', now),
    merchant_id: member.merchant_id,
    member_id: member.id,
    order_ref: input.orderRef,
    store_id: input.storeId,
    redemption_id: input.redemptionId,
    order_amount: input.orderAmount,
    refunded_amount: 0,
    points_earned: points,
    points_lot_id: lotId,
    points_reversed: 0,
    points_unrecovered: 0,
    growth_earned: growth,
    growth_reversed: 0,
    stored_value_paid: input.storedValueAmount,
    stored_value_returned: 0,
    created_at: now,
    updated_at: now,
  }
  await insertOrder(tx, order)
  return { order, member }
}

/**
 * Refunds part or all of an order in the caller's transaction (the member locked): takes back the
 * order's points in proportion (its own lot first; never below zero, the rest is recorded as
 * unrecovered), its growth, and returns the stored value it was paid with.
 */
export async function refundOrderInTx(
  tx: Db,
  notifier: Notifier,
  locked: MemberWithCard,
  order: MemberOrderRow,
  input: { refundRef: string; amount: number },
  merchantTz: string,
  now: number,
): Promise<{ refund: MemberOrderRefundRow; member: MemberRow; order: MemberOrderRow }> {
  const { terms } = locked.card
  let member = locked.member
  const decided = computeOrderRefund(order, input.amount, member)
  if (!decided.ok) throw new AppError(decided.error, decided.detail)
  const { refund } = decided
  const sourceRef = `refund:${order.id}:${input.refundRef}`
  const reason = `Refund ${input.refundRef} of order ${order.order_ref}`
  if (refund.points > 0) {
    const posted = await postPointsInTx(tx, { notifier, member, terms, merchantTz, delta: -refund.points, type: 'refund', reason, sourceRef, firstLotId: order.points_lot_id, now })
    member = posted.member
  }
  member = await applyGrowthInTx(tx, { notifier, member, terms, delta: -refund.growth, now })
  if (refund.stored_value > 0) {
    member = (await postStoredValueInTx(tx, { notifier, member, delta: refund.stored_value, type: 'order_refund', reason, paymentRef: null, sourceRef, now })).member
  }
  const updated = await addRefundToOrder(tx, order, {
    amount: input.amount,
    points_reversed: refund.points + refund.points_unrecovered,
    points_unrecovered: refund.points_unrecovered,
    growth_reversed: refund.growth + refund.growth_unrecovered,
    stored_value_returned: refund.stored_value,
  }, now)
  // The member is locked, so no other refund of the order ran since it was read.
  if (!updated) throw new Error(`order ${order.id} was refunded by another transaction`)
  const row: MemberOrderRefundRow = {
    id: newId('mrf', now),
    merchant_id: order.merchant_id,
    order_id: order.id,
    refund_ref: input.refundRef,
    amount: input.amount,
    points_reversed: refund.points,
    points_unrecovered: refund.points_unrecovered,
    growth_reversed: refund.growth,
    stored_value_returned: refund.stored_value,
    created_at: now,
  }
  await insertRefund(tx, row)
  return { refund: row, member, order: updated }
}

/** The store an order happens in: a till key's own store, else the one named (which must exist). */
async function resolveStore(db: Db, principal: MerchantPrincipal, storeId: string | null): Promise<string | null> {
  if (storeId !== null && !reachesStore(principal, storeId)) {
    throw new AppError('forbidden', `This key records orders in store ${principal.storeId} only.`)
  }
  const id = storeId ?? principal.storeId
  if (id !== null && !(await findStore(db, principal.merchantId, id))) throw new AppError('store_not_found', `There is no store ${id}.`)
  return id
}

/** A member's order at the till; the same order_ref again returns the first and moves nothing. */
export async function recordOrder(
  ctx: AppContext,
  principal: MerchantPrincipal,
  memberId: string,
  input: Omit<OrderInput, 'redemptionId'>,
): Promise<{ order: MemberOrderRow; member: MemberWithCard; replayed: boolean }> {
  const now = ctx.clock.now()
  const { merchantId, merchantTz } = principal
  return postingOnce(ctx.database.db, ctx.database.isUniqueViolation, async (tx) => {
    const storeId = await resolveStore(tx, principal, input.storeId)
    const locked = await lockMemberWithCard(tx, merchantId, memberId)
    const existing = await findOrderByRef(tx, merchantId, input.orderRef)
    // Another store's order is not shown to a store-bound credential, only that the reference is taken.
    if (existing && !reachesStore(principal, existing.store_id)) throw new AppError('duplicate_order_ref', 'This order_ref was already recorded elsewhere.')
    if (existing && existing.member_id !== memberId) throw new AppError('duplicate_order_ref', 'This order_ref was already recorded for another member.')
    if (existing) return { order: existing, member: locked, replayed: true }
    await ensureOrderAmountAllowed(tx, merchantId, input.orderAmount)
    const recorded = await recordOrderInTx(tx, ctx.notifier, locked, { ...input, storeId, redemptionId: null }, merchantTz, now)
    return { order: recorded.order, member: { member: recorded.member, card: locked.card }, replayed: false }
  })
}

/**
 * Refunds an order (all that is left of it when no amount is given); the same refund_ref again returns the
 * first. A store-bound credential refunds its own store's orders only.
 */
export async function refundOrder(
  ctx: AppContext,
  principal: MerchantPrincipal,
  memberId: string,
  orderRef: string,
  input: { refundRef: string; amount: number | null },
): Promise<{ refund: MemberOrderRefundRow; order: MemberOrderRow; member: MemberWithCard; replayed: boolean }> {
  const now = ctx.clock.now()
  const { merchantId, merchantTz } = principal
  return postingOnce(ctx.database.db, ctx.database.isUniqueViolation, async (tx) => {
    const locked = await lockMemberWithCard(tx, merchantId, memberId)
    const order = await findOrderByRef(tx, merchantId, orderRef)
    if (!order || order.member_id !== memberId || !reachesStore(principal, order.store_id)) throw new AppError('order_not_found', 'This member has no order with this order_ref.')
    const existing = await findRefund(tx, merchantId, order.id, input.refundRef)
    if (existing) return { refund: existing, order, member: locked, replayed: true }
    const refunded = await refundOrderInTx(tx, ctx.notifier, locked, order, { refundRef: input.refundRef, amount: input.amount ?? order.order_amount - order.refunded_amount }, merchantTz, now)
    return { refund: refunded.refund, order: refunded.order, member: { member: refunded.member, card: locked.card }, replayed: false }
  })
}

/**
 * What the till shows for a member when checking a coupon: the level's discount on what is left to pay,
 * what the member then pays, and the points that earns.
 */
export async function previewMemberAtTill(db: Db, merchantId: string, memberId: string, orderAmount: number | null, couponDiscount: number) {
  const found = await findMemberWithCard(db, merchantId, memberId)
  const { member, card } = found
  const level = card.terms.levels[member.level_index]
  const atTill = orderAmount === null ? null : computePaidAtTill(orderAmount, couponDiscount, level.percent_off)
  return {
    id: member.id,
    member_number: member.member_number,
    level: level.name,
    percent_off: level.percent_off,
    /** The level discount on the order after the coupon; the till applies it. */
    member_discount_amount: atTill === null ? null : atTill.level_discount,
    paid_amount: atTill === null ? null : atTill.paid,
    points_to_earn: atTill === null ? 0 : earningsFor(found, atTill.paid).points,
    points_balance: member.points_balance,
    stored_value_balance: member.stored_value_balance,
  }
}

/** What a redemption's member earned, as earnForRedemptionInTx answered it (the level as it is now), or null for a redemption without a member. */
export async function redemptionEarningOf(db: Db, merchantId: string, redemptionId: string): Promise<MemberEarning | null> {
  const order = await findOrderOfRedemption(db, merchantId, redemptionId)
  if (!order) return null
  const { member, card } = await findMemberWithCard(db, merchantId, order.member_id)
  const pointsBalance = (order.points_lot_id === null ? undefined : await findBalanceAfter(db, merchantId, order.points_lot_id)) ?? member.points_balance
  return { id: member.id, member_number: member.member_number, level: card.terms.levels[member.level_index].name, paid_amount: order.order_amount, points_earned: order.points_earned, growth_earned: order.growth_earned, points_balance: pointsBalance }
}

/** What a member earned with a redemption, shown with it at the till. */
export interface MemberEarning {
  id: string
  member_number: string
  level: string
  /** What the member paid: the order less the coupon's and the level's discounts; it earned the points. */
  paid_amount: number
  points_earned: number
  growth_earned: number
  points_balance: number
}

/**
 * The member's earnings for a redemption, recorded in the redemption's transaction as an order named by
 * the redemption id, for what the member paid (the order less the coupon's and the level's discounts).
 */
export async function earnForRedemptionInTx(
  tx: Db,
  input: { notifier: Notifier; merchantId: string; merchantTz: string; memberId: string; redemptionId: string; orderAmount: number | null; discountAmount: number; storeId: string | null; now: number },
): Promise<MemberEarning> {
  const locked = await lockMemberWithCard(tx, input.merchantId, input.memberId)
  const level = locked.card.terms.levels[locked.member.level_index]
  const { paid } = computePaidAtTill(input.orderAmount ?? 0, input.discountAmount, level.percent_off)
  const { order, member } = await recordOrderInTx(
    tx,
    input.notifier,
    locked,
    { orderRef: input.redemptionId, orderAmount: paid, storedValueAmount: 0, storeId: input.storeId, redemptionId: input.redemptionId },
    input.merchantTz,
    input.now,
  )
  return { id: member.id, member_number: member.member_number, level: locked.card.terms.levels[member.level_index].name, paid_amount: order.order_amount, points_earned: order.points_earned, growth_earned: order.growth_earned, points_balance: member.points_balance }
}

/** A reversed redemption takes back what its member earned (whatever is left unrefunded of its order). */
export async function reverseRedemptionEarningInTx(
  tx: Db,
  input: { notifier: Notifier; merchantId: string; merchantTz: string; redemptionId: string; now: number },
): Promise<void> {
  const order = await findOrderOfRedemption(tx, input.merchantId, input.redemptionId)
  if (!order || order.refunded_amount === order.order_amount) return
  const locked = await lockMemberWithCard(tx, input.merchantId, order.member_id)
  // Read again under the member's lock: a refund through the orders API may have just finished.
  const current = await findOrder(tx, input.merchantId, order.id)
  const left = current.order_amount - current.refunded_amount
  if (left > 0) await refundOrderInTx(tx, input.notifier, locked, current, { refundRef: `reversal:${input.redemptionId}`, amount: left }, input.merchantTz, input.now)
}
