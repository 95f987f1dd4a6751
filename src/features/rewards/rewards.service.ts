import { randomBytes } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import { CODE_RANDOM_BYTES, codeFromRandomBytes, isWellFormedCode, normalizeCode } from '../../domain/codes.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { changedByRequest, recordEvent } from '../events/events.repository.ts'
import { findCardWithTerms } from '../cards/cards.repository.ts'
import { issueCouponInTx } from '../coupons/coupons.service.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import { findMemberCard } from '../member-cards/member-cards.repository.ts'
import type { MerchantScope } from '../members/members.service.ts'
import { lockMemberWithCard } from '../members/members.repository.ts'
import { notifyRewardExchanged, type RewardExchangedData } from '../members/member-notices.ts'
import { insufficientPoints, postPointsInTx } from '../points/points.ledger.ts'
import { postingOnce } from '../ledger/ledger.ts'
import {
  addRewardStock,
  balanceAfterEntry,
  countMemberExchange,
  findExchangeByRequest,
  findExchangeCoupon,
  findPickUpByRequest,
  findReward,
  insertExchange,
  insertReward,
  markPickedUp,
  pickUpCodeExists,
  rewardNotFound,
  takeRewardStock,
  updateRewardStatus,
  type RewardExchangeRow,
  type RewardRow,
} from './rewards.repository.ts'
import type { RewardStatus, RewardType } from './rewards.table.ts'

export { findReward, type RewardExchangeRow, type RewardRow }

export interface RewardInput {
  member_card_id: string
  type?: RewardType
  card_id?: string | null
  title?: string
  description?: string | null
  points_cost: number
  stock: number
  per_member_limit?: number | null
}


/**
 * A reward in the member card's catalogue: a coupon of one of the merchant's cards, or goods picked up with a
 * code. A retry of the Idempotency-Key request making it (`requestRef`) after a crash finds it.
 */
export async function createReward(ctx: AppContext, merchantId: string, input: RewardInput, requestRef: string | null = null): Promise<RewardRow> {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'rewards', merchantId, (id) => findReward(db, merchantId, id)), () => makeReward(ctx, merchantId, input, requestRef))
}

async function makeReward(ctx: AppContext, merchantId: string, input: RewardInput, requestRef: string | null): Promise<RewardRow> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  await findMemberCard(db, merchantId, input.member_card_id)
  const type = input.type ?? (input.card_id ? 'coupon' : 'goods')
  let title = input.title
  let cardId: string | null = null
  if (type === 'coupon') {
    if (!input.card_id) throw validationFailed([{ field: 'card_id', code: 'required', message: 'is required for a coupon reward' }])
    const card = await findCardWithTerms(db, merchantId, input.card_id)
    if (!card) throw new AppError('card_not_found', 'There is no card with this id.')
    cardId = input.card_id
    title ??= card.terms.title
  } else {
    const errors = [
      ...(title === undefined ? [{ field: 'title', code: 'required', message: 'is required for goods' }] : []),
      ...(input.card_id ? [{ field: 'card_id', code: 'not_allowed', message: 'goods are not a coupon: leave card_id out' }] : []),
    ]
    if (errors.length > 0 || title === undefined) throw validationFailed(errors)
  }
  const row: RewardRow = {
    id: newId('rwd', now),
    merchant_id: merchantId,
    member_card_id: input.member_card_id,
    type,
    card_id: cardId,
    title,
    description: input.description ?? null,
    points_cost: input.points_cost,
    stock_remaining: input.stock,
    exchanged_count: 0,
    per_member_limit: input.per_member_limit ?? null,
    status: 'active',
    created_at: now,
    updated_at: now,
    request_ref: requestRef,
  }
  await db.transaction().execute(async (tx) => {
    await insertReward(tx, row)
    await recordEvent(tx, { merchantId, type: 'reward.created', data: { reward_id: row.id, member_card_id: row.member_card_id, type, card_id: row.card_id, points_cost: row.points_cost, stock: row.stock_remaining }, now })
  })
  return row
}

/**
 * Adds to or takes from a reward's stock; it never goes below zero. Its event records the Idempotency-Key
 * request making the change (`requestRef`), so a retry after a crash does not change it twice.
 */
export async function changeRewardStock(ctx: AppContext, merchantId: string, rewardId: string, delta: number, requestRef: string | null = null): Promise<RewardRow> {
  const now = ctx.clock.now()
  const { db } = ctx.database
  const changed = async (ref: string) => ((await changedByRequest(db, merchantId, ref)) ? findReward(db, merchantId, rewardId) : undefined)
  return onceForRequest(requestRef, changed, () => db.transaction().execute(async (tx) => {
    const updated = await addRewardStock(tx, merchantId, rewardId, delta, now)
    if (!updated) {
      const reward = await findReward(tx, merchantId, rewardId)
      throw new AppError('insufficient_stock', `The stock is ${reward.stock_remaining}; it cannot go down by ${-delta}.`)
    }
    await recordEvent(tx, { merchantId, type: 'reward.stock_changed', data: { reward_id: rewardId, delta, stock_remaining: updated.stock_remaining }, now, requestRef })
    return updated
  }))
}

/** Stops or restarts exchanges of a reward. */
export async function setRewardStatus(ctx: AppContext, merchantId: string, rewardId: string, status: RewardStatus): Promise<RewardRow> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  await findReward(db, merchantId, rewardId)
  await updateRewardStatus(db, merchantId, rewardId, status, now)
  return findReward(db, merchantId, rewardId)
}

export interface Exchange {
  exchange: RewardExchangeRow
  /** The coupon it issued, with its code (a coupon reward). */
  coupon: { row: CouponRow; code: string } | null
  /** The member's points balance right after the exchange. */
  pointsBalance: number
}

/** The exchange an Idempotency-Key request made for this member, with its coupon and the balance it left, if it did. */
async function exchangeMadeByRequest(ctx: AppContext, merchantId: string, memberId: string, requestRef: string): Promise<Exchange | undefined> {
  const { db } = ctx.database
  const exchange = await findExchangeByRequest(db, merchantId, memberId, requestRef)
  if (!exchange) return undefined
  const pointsBalance = await balanceAfterEntry(db, merchantId, exchange.points_entry_id)
  const coupon = exchange.coupon_id === null ? undefined : await findExchangeCoupon(db, merchantId, exchange.coupon_id)
  return { exchange, coupon: coupon ? { row: coupon, code: ctx.secrets.decryptCode(coupon.code_enc) } : null, pointsBalance }
}

/**
 * A member buys a reward with points, all in one transaction or not at all: a unit of stock (a conditional
 * decrement, so parallel exchanges never oversell), the member's allowance, the points (a conditional
 * burn, so they never overdraw), and the coupon issued from its card, or a pick-up code for goods.
 * `userId`, when given, must own the membership (a customer exchanging in the wallet). The exchange records
 * the Idempotency-Key request making it (`requestRef`): a retry after a crash between the commit and the
 * stored response is answered with it instead of exchanging again.
 */
export async function exchangeReward(ctx: AppContext, scope: MerchantScope, memberId: string, rewardId: string, options: { userId?: string; requestRef?: string | null } = {}): Promise<Exchange> {
  const { merchantId, merchantTz } = scope
  const { userId, requestRef = null } = options
  const now = ctx.clock.now()
  const made = (ref: string) => exchangeMadeByRequest(ctx, merchantId, memberId, ref)
  return onceForRequest(requestRef, made, () => postingOnce(ctx.database.db, ctx.database.isUniqueViolation, async (tx) => {
    const { member, card } = await lockMemberWithCard(tx, merchantId, memberId)
    if (userId !== undefined && member.user_id !== userId) throw new AppError('member_not_found', 'You have no membership with this id.')
    const reward = await findReward(tx, merchantId, rewardId)
    if (reward.member_card_id !== member.member_card_id) throw rewardNotFound()
    if (reward.status !== 'active') throw new AppError('reward_not_active', 'This reward is not being exchanged right now.')
    const exchangeId = newId('rex', now)

    if (reward.per_member_limit !== null) {
      if (!(await countMemberExchange(tx, merchantId, rewardId, memberId, reward.per_member_limit))) throw new AppError('exchange_limit_reached', `A member may exchange this reward ${reward.per_member_limit} time(s).`)
    }
    const stock = await takeRewardStock(tx, merchantId, rewardId, now)
    if (!stock) throw new AppError('out_of_stock', 'The reward has no stock left.')
    if (member.points_balance < reward.points_cost) throw insufficientPoints(member.points_balance, reward.points_cost)

    const sourceRef = `exchange:${exchangeId}`
    const burned = await postPointsInTx(tx, {
      notifier: ctx.notifier,
      member,
      terms: card.terms,
      merchantTz,
      delta: -reward.points_cost,
      type: 'exchange',
      reason: `Exchanged for ${reward.title}`,
      sourceRef,
      now,
    })
    let coupon: Exchange['coupon'] = null
    let pickupCode: string | null = null
    // A coupon reward names its card; goods name none.
    if (reward.card_id !== null) {
      const issued = await issueCouponInTx(ctx, tx, { merchantId, merchantTz, cardId: reward.card_id, userId: member.user_id, source: 'points_exchange', sourceRef }, now)
      coupon = { row: issued.coupon, code: issued.code }
    } else {
      pickupCode = codeFromRandomBytes(randomBytes(CODE_RANDOM_BYTES))
    }
    const exchange: RewardExchangeRow = {
      id: exchangeId,
      merchant_id: merchantId,
      reward_id: rewardId,
      member_id: memberId,
      points_cost: reward.points_cost,
      points_entry_id: burned.entry.id,
      coupon_id: coupon?.row.id ?? null,
      pickup_code_hash: pickupCode === null ? null : ctx.secrets.codeLookupHash(pickupCode),
      pickup_code_enc: pickupCode === null ? null : ctx.secrets.encryptCode(pickupCode),
      picked_up_at: null,
      created_at: now,
      request_ref: requestRef,
      pickup_request_ref: null,
    }
    await insertExchange(tx, exchange)
    const data: RewardExchangedData = {
      exchange_id: exchangeId,
      reward_id: rewardId,
      member_id: memberId,
      member_card_id: member.member_card_id,
      user_id: member.user_id,
      type: reward.type,
      title: reward.title,
      points_cost: reward.points_cost,
      coupon_id: exchange.coupon_id,
      stock_remaining: stock.stock_remaining,
      points_balance: burned.member.points_balance,
    }
    await recordEvent(tx, { merchantId, type: 'reward.exchanged', data, now })
    await notifyRewardExchanged(ctx.notifier, tx, merchantId, data, now)
    return { exchange, coupon, pointsBalance: burned.member.points_balance }
  }))
}

/**
 * Hands goods over once against their pick-up code. The exchange records the Idempotency-Key request that
 * picked them up (`requestRef`), so a retry after a crash is answered with the pick-up, not already_picked_up.
 */
export async function pickUpExchange(ctx: AppContext, merchantId: string, rawCode: string, requestRef: string | null = null): Promise<RewardExchangeRow> {
  const now = ctx.clock.now()
  const code = normalizeCode(rawCode)
  if (!isWellFormedCode(code)) throw new AppError('pickup_code_not_found', 'This is not a valid pick-up code; check it was typed correctly.')
  const codeHash = ctx.secrets.codeLookupHash(code)
  const { db } = ctx.database
  const pickedUp = (ref: string) => findPickUpByRequest(db, merchantId, codeHash, ref)
  return onceForRequest(requestRef, pickedUp, () => db.transaction().execute(async (tx) => {
    const picked = await markPickedUp(tx, merchantId, codeHash, requestRef, now)
    if (picked) {
      await recordEvent(tx, { merchantId, type: 'reward.picked_up', data: { exchange_id: picked.id, reward_id: picked.reward_id, member_id: picked.member_id }, now })
      return picked
    }
    if (!(await pickUpCodeExists(tx, merchantId, codeHash))) throw new AppError('pickup_code_not_found', 'There is no exchange with this pick-up code.')
    throw new AppError('already_picked_up', 'These goods were already picked up.')
  }))
}
