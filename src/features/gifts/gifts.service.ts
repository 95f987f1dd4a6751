import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { decideGiftAccept, decideGiftSend, giftExpiresAt } from '../../domain/gifts.ts'
import type { RiskSubject } from '../../domain/risk.ts'
import { formatInstant, localDate } from '../../domain/time.ts'
import { AppError } from '../../errors.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import { hashToken } from '../../ports/secrets.ts'
import { findCardWithTerms, findVersionTerms } from '../cards/cards.repository.ts'
import { draftCoupon } from '../coupons/coupons.service.ts'
import { looksNumeric } from '../../domain/codes.ts'
import { countGifted, countIssued } from '../stats/stats.service.ts'
import { insertCouponUnlessCodeTaken, type CouponRow } from '../coupons/coupons.repository.ts'
import { maskContact } from '../customers/contact.ts'
import { findCustomerByUserId } from '../customers/customers.repository.ts'
import { recordEvent } from '../events/events.repository.ts'
import { loadLimits } from '../merchants/merchants.service.ts'
import { tellCustomer } from '../notifications/inbox.ts'
import { judgeRisk } from '../risk/risk.service.ts'
import { findUserCoupon } from '../wallet/wallet.repository.ts'
import { getWalletCoupon, type WalletCoupon } from '../wallet/wallet.service.ts'
import {
  closeGift, findGift, findGiftWithTokenHash, findLatestGiftOfCoupon, giftsSentOn, holdCouponForGift, insertGift, moveCouponState, takeFromDailyGifts,
  type GiftRow,
} from './gifts.repository.ts'

export type { GiftRow }

/** Tokens are 24 random bytes in base64url; anything else cannot be a gift and is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/

const giftNotFound = () => new AppError('gift_not_found', 'There is no gift with this id or token.')
const couponNotFound = () => new AppError('coupon_not_found', 'You have no coupon with this id.')

/** A gift by its public token, whichever merchant it belongs to. */
export async function findGiftByToken(db: Db, token: string): Promise<GiftRow | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined
  return findGiftWithTokenHash(db, hashToken(token))
}

/** The public token of a gift, for its link and QR code (the giver's wallet shows it again). */
export function giftToken(ctx: AppContext, gift: GiftRow): string {
  return ctx.secrets.unseal(gift.token_sealed)
}

/** How the other side of a gift is named to a customer: their wallet contact masked, else their user id masked. */
export async function maskedUserOf(db: Db, merchantId: string, userId: string): Promise<string> {
  const customer = await findCustomerByUserId(db, merchantId, userId)
  const contact = customer?.phone ?? customer?.email
  if (contact) return maskContact(contact)
  return userId.length <= 2 ? `${userId}***` : `${userId.slice(0, 2)}***${userId.length > 6 ? userId.slice(-2) : ''}`
}

async function titleOf(db: Db, coupon: CouponRow): Promise<string> {
  return (await findVersionTerms(db, coupon.merchant_id, [coupon.card_version_id])).get(coupon.card_version_id)?.title ?? ''
}

/** What the risk rules know of a customer acting in the wallet. */
export type WalletRisk = Pick<RiskSubject, 'deviceId' | 'address'>

export interface SentGift {
  gift: GiftRow
  token: string
}

/**
 * Gives one of the customer's coupons, in one transaction: the decision (the card's `can_gift` as it is now,
 * single hop, available, the day's limit), then the coupon is held (`available` → `gifting`, conditional, so
 * a redemption or another gift at the same moment wins or loses whole), the day's count taken (a
 * conditional upsert: parallel gifts never pass the limit), the gift and its `coupon.gift_sent` event.
 */
export async function sendGift(ctx: AppContext, customer: CustomerPrincipal, couponId: string, options: { ttlMs?: number } = {}, risk: WalletRisk = {}): Promise<SentGift> {
  const { merchantId, userId, merchantTz } = customer
  const { db } = ctx.database
  const now = ctx.clock.now()
  const owned = await findUserCoupon(db, merchantId, userId, couponId)
  if (!owned) throw couponNotFound()
  await judgeRisk(ctx, merchantId, { ...risk, userId }, 'send_gift')
  const limits = await loadLimits(db, merchantId)
  const day = dayKey(now, merchantTz)
  return db.transaction().execute(async (tx) => {
    const coupon = await findUserCoupon(tx, merchantId, userId, couponId)
    if (!coupon) throw couponNotFound()
    const card = await findCardWithTerms(tx, merchantId, coupon.card_id)
    const decided = decideGiftSend({
      coupon,
      canGift: card?.terms.can_gift ?? false,
      sentToday: await giftsSentOn(tx, merchantId, userId, day),
      dailyLimit: limits.max_gifts_per_user_day,
      now,
    })
    if (!decided.ok) throw new AppError(decided.error, decided.detail)
    const held = await holdCouponForGift(tx, merchantId, coupon.id, now)
    if (!held) throw new AppError('gift_not_allowed', 'The coupon changed at the same time (redeemed, voided or already being given); only an available coupon can be given.')
    if (!(await takeFromDailyGifts(tx, merchantId, userId, day, limits.max_gifts_per_user_day))) {
      throw new AppError('gift_not_allowed', `Customers may send at most ${limits.max_gifts_per_user_day} gifts a day here.`)
    }
    const token = randomToken()
    const gift: GiftRow = {
      id: newId('gft', now),
      merchant_id: merchantId,
      card_id: coupon.card_id,
      coupon_id: coupon.id,
      giver_user_id: userId,
      token_hash: hashToken(token),
      token_sealed: ctx.secrets.seal(token),
      state: 'pending',
      receiver_user_id: null,
      received_coupon_id: null,
      expires_at: giftExpiresAt(now, coupon.valid_until, options.ttlMs),
      created_at: now,
      closed_at: null,
    }
    await insertGift(tx, gift)
    await recordEvent(tx, {
      merchantId,
      type: 'coupon.gift_sent',
      data: { gift_id: gift.id, coupon_id: coupon.id, card_id: coupon.card_id, giver_user_id: userId, expires_at: formatInstant(gift.expires_at, merchantTz) },
      now,
    })
    return { gift, token }
  })
}

/** The day a gift counts against, in the merchant's zone. */
function dayKey(now: number, tz: string): string {
  const d = localDate(now, tz)
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`
}

/** What a gift link shows before it is accepted: the gift, its coupon and its card terms. */
export async function giftPageOf(ctx: AppContext, token: string, customer: CustomerPrincipal | null): Promise<{ gift: GiftRow; coupon: WalletCoupon; giver: string }> {
  const { db } = ctx.database
  const gift = await findGiftByToken(db, token)
  // A customer signed in with another merchant does not see this merchant's gifts.
  if (!gift || (customer && customer.merchantId !== gift.merchant_id)) throw giftNotFound()
  const coupon = await getWalletCoupon(ctx, { kind: 'customer', merchantId: gift.merchant_id, merchantTz: customer?.merchantTz ?? 'UTC', userId: gift.giver_user_id }, gift.coupon_id)
  return { gift, coupon, giver: await maskedUserOf(db, gift.merchant_id, gift.giver_user_id) }
}

/**
 * Accepts a gift for the signed-in customer, in one transaction, in this order: the gift closes
 * (`pending` → `accepted`, conditional on still pending and unexpired, so of parallel accepts, a
 * cancellation and the return job exactly one wins), the giver's coupon dies (`gifting` → `gifted`), and only
 * then is the receiver's coupon created: a new code, source `gift`, the same card version and validity,
 * `gifted_by` the giver. No stock or per-user allowance is taken: the value moves, it is not issued anew.
 * Judged by the risk rules first (`new_account_gift`: a wallet account that signed itself up less than a day
 * ago cannot accept gifts; a user id of the merchant's own is its to vouch for).
 */
export async function acceptGift(ctx: AppContext, customer: CustomerPrincipal, token: string, risk: WalletRisk = {}): Promise<WalletCoupon> {
  const { merchantId, userId, merchantTz } = customer
  const { db } = ctx.database
  const found = await findGiftByToken(db, token)
  if (!found || found.merchant_id !== merchantId) throw giftNotFound()
  const now = ctx.clock.now()
  // Closed or own gifts are refused before the risk rules count anything.
  refuseAccept(found, userId, now)
  const selfSignedUp = await findCustomerByUserId(db, merchantId, userId)
  await judgeRisk(ctx, merchantId, { ...risk, userId, selfSignedUpAt: selfSignedUp?.created_at ?? null }, 'accept_gift')
  const receivedId = await db.transaction().execute(async (tx) => {
    const gift = await findGift(tx, merchantId, found.id)
    if (!gift) throw giftNotFound()
    refuseAccept(gift, userId, now)
    const couponId = newId('cpn', now)
    const closed = await closeGift(tx, merchantId, gift.id, { state: 'accepted', now, receiverUserId: userId, receivedCouponId: couponId, unexpiredAt: now })
    if (!closed) {
      refuseAccept((await findGift(tx, merchantId, gift.id)) ?? gift, userId, now)
      throw new AppError('gift_closed', 'This gift closed at the same moment.')
    }
    const given = await moveCouponState(tx, merchantId, gift.coupon_id, 'gifting', 'gifted', now)
    if (!given) throw new Error(`gift ${gift.id} was pending but its coupon ${gift.coupon_id} was not held for it`)
    await insertReceivedCoupon(ctx, tx, given, couponId, userId, gift.id, now, merchantTz)
    await countGifted(tx, given, merchantTz, now)
    const title = await titleOf(tx, given)
    const data = { gift_id: gift.id, coupon_id: given.id, card_id: given.card_id, giver_user_id: gift.giver_user_id, receiver_user_id: userId, received_coupon_id: couponId }
    await recordEvent(tx, { merchantId, type: 'coupon.gifted', data, now })
    await tellCustomer(ctx.notifier, tx, { merchantId, userId: gift.giver_user_id, kind: 'coupon.gifted', params: { title, to: await maskedUserOf(tx, merchantId, userId) }, data, dedupeKey: `gift-accepted:${gift.id}`, now })
    await tellCustomer(ctx.notifier, tx, { merchantId, userId, kind: 'coupon.gift_received', params: { title, validUntil: formatInstant(given.valid_until, merchantTz) }, data, dedupeKey: `gift-received:${gift.id}`, now })
    return couponId
  })
  return getWalletCoupon(ctx, customer, receivedId)
}

function refuseAccept(gift: GiftRow, receiverUserId: string, now: number): void {
  const decided = decideGiftAccept({ gift, receiverUserId, now })
  if (!decided.ok) throw new AppError(decided.error, decided.detail)
}

/** The receiver's coupon: a fresh code under the giver's card version and validity, named by the gift (unique per merchant). */
async function insertReceivedCoupon(ctx: AppContext, tx: Db, given: CouponRow, couponId: string, userId: string, giftId: string, now: number, merchantTz: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const draft = draftCoupon(ctx, {
      id: couponId,
      merchantId: given.merchant_id,
      cardId: given.card_id,
      versionId: given.card_version_id,
      userId,
      source: 'gift',
      sourceRef: `gift:${giftId}`,
      validity: { valid_from: given.valid_from, valid_until: given.valid_until },
      now,
      giftedBy: given.user_id,
      // The receiver's code has the shape of the giver's (digits only for a numeric card).
      codeFormat: looksNumeric(ctx.secrets.decryptCode(given.code_enc)) ? 'numeric' : 'alphanumeric',
    })
    if (await insertCouponUnlessCodeTaken(tx, draft.values)) return countIssued(tx, [draft.values], merchantTz)
  }
  throw new Error('could not draw a unique coupon code')
}

/** Takes a pending gift back: the gift is cancelled and the coupon available again, in one transaction. */
export async function cancelGift(ctx: AppContext, customer: CustomerPrincipal, couponId: string): Promise<WalletCoupon> {
  const { merchantId, userId } = customer
  const { db } = ctx.database
  const now = ctx.clock.now()
  await db.transaction().execute(async (tx) => {
    const coupon = await findUserCoupon(tx, merchantId, userId, couponId)
    if (!coupon) throw couponNotFound()
    const gift = await findLatestGiftOfCoupon(tx, merchantId, couponId)
    if (!gift) throw giftNotFound()
    if (!(await closeGift(tx, merchantId, gift.id, { state: 'cancelled', now }))) throw closedAlready((await findGift(tx, merchantId, gift.id)) ?? gift)
    if (!(await moveCouponState(tx, merchantId, couponId, 'gifting', 'available', now))) throw new Error(`gift ${gift.id} was pending but its coupon was not held for it`)
    await recordEvent(tx, { merchantId, type: 'coupon.gift_returned', data: { gift_id: gift.id, coupon_id: couponId, card_id: coupon.card_id, giver_user_id: userId, reason: 'cancelled' }, now })
  })
  return getWalletCoupon(ctx, customer, couponId)
}

function closedAlready(gift: GiftRow): AppError {
  const how = gift.state === 'accepted' ? 'has already been accepted' : gift.state === 'cancelled' ? 'was already cancelled' : 'already went back to you'
  return new AppError('gift_closed', `This coupon’s gift ${how}.`)
}

/**
 * Gives a gift nobody accepted in time back to its giver, inside the caller's transaction: the gift returns
 * (conditional on still pending, so an acceptance or cancellation at the same moment wins or loses whole),
 * the coupon is available again (it reads expired if its own validity ended meanwhile), with a
 * `coupon.gift_returned` event and a word to the giver. False when the gift had closed already.
 */
export async function returnGiftInTx(ctx: AppContext, tx: Db, gift: GiftRow, now: number): Promise<boolean> {
  const { merchant_id: merchantId } = gift
  if (!(await closeGift(tx, merchantId, gift.id, { state: 'returned', now }))) return false
  const coupon = await moveCouponState(tx, merchantId, gift.coupon_id, 'gifting', 'available', now)
  if (!coupon) throw new Error(`gift ${gift.id} was pending but its coupon was not held for it`)
  const data = { gift_id: gift.id, coupon_id: coupon.id, card_id: coupon.card_id, giver_user_id: gift.giver_user_id, reason: 'expired' }
  await recordEvent(tx, { merchantId, type: 'coupon.gift_returned', data, now })
  await tellCustomer(ctx.notifier, tx, { merchantId, userId: gift.giver_user_id, kind: 'coupon.gift_returned', params: { title: await titleOf(tx, coupon) }, data, dedupeKey: `gift-returned:${gift.id}`, now })
  return true
}

/** The pending gift of one of the customer's coupons (to show its link again); 404 when it has none. */
export async function pendingGiftOf(ctx: AppContext, customer: CustomerPrincipal, couponId: string): Promise<GiftRow> {
  const { db } = ctx.database
  if (!(await findUserCoupon(db, customer.merchantId, customer.userId, couponId))) throw couponNotFound()
  const gift = await findLatestGiftOfCoupon(db, customer.merchantId, couponId)
  if (!gift || gift.state !== 'pending') throw giftNotFound()
  return gift
}

/** One of the merchant's gifts; another merchant's reads as unknown. */
export async function getGift(db: Db, merchantId: string, giftId: string): Promise<GiftRow> {
  const gift = await findGift(db, merchantId, giftId)
  if (!gift) throw giftNotFound()
  return gift
}
