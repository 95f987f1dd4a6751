import { randomBytes } from 'node:crypto'
import { countIssued, countIssueExceptShared, countVoided, issueDay, writeIssueCounts } from '../stats/stats.service.ts'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { codeFromRandomBytes, CODE_RANDOM_BYTES, hasValidCheckDigit, isWellFormedCode, looksNumeric, normalizeCode, NUMERIC_RANDOM_BYTES, numericCodeFromRandomBytes, type CodeFormat } from '../../domain/codes.ts'
import { computeCouponValidity, type CouponValidity } from '../../domain/validity.ts'
import { effectiveCouponState } from '../../domain/redemption-rules.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { recordEvent } from '../events/events.repository.ts'
import { findCardWithTerms, type CardWithTerms } from '../cards/cards.repository.ts'
import {
  claimedCount, countHeldIssue, findCouponByCodeHash, issueAtOnce, findCouponBySourceRef, insertCouponUnlessCodeTaken, markCouponVoided, takeFromAllowance,
  type CouponRow, type CouponWithTerms, type StoreRef,
} from './coupons.repository.ts'
import type { CouponSource } from './coupons.table.ts'
import { shareFriendCount } from '../sharing/sharing.repository.ts'
import { inTurnForCard, readCardForIssue } from './card-reads.ts'

/** Coupons a member is owed (bought with points, a birthday gift, a share reward) follow their own limits, not the card's per-user allowance. */
const OWED_SOURCES: readonly CouponSource[] = ['points_exchange', 'birthday', 'share_reward']

export interface IssueInput {
  merchantId: string
  merchantTz: string
  cardId: string
  userId: string
  source: CouponSource
  /** Makes the issue idempotent: a second issue with the same reference returns the first coupon. */
  sourceRef?: string | null
  /** The merchant's free tags (issue body or claim link). */
  tags?: CouponTags
  /** The sharer whose share link it is claimed through (source `share`). */
  sharedBy?: string | null
}

/** A coupon's channel and campaign tags (the merchant's own words, ≤ 64 characters). */
export interface CouponTags {
  channel: string | null
  campaign: string | null
}

export interface IssuedCoupon {
  coupon: CouponRow
  code: string
  /** False when `sourceRef` had already issued this coupon. */
  created: boolean
}

/** The validity of a coupon issued now; throws `card_not_active` when the card does not issue (not active, or its validity has ended). */
export function validityForIssue({ card, terms }: CardWithTerms, now: number, merchantTz: string): CouponValidity {
  if (card.status !== 'active') throw new AppError('card_not_active', `The card is ${card.status}; it does not issue coupons.`)
  const validity = computeCouponValidity(terms.validity, now, merchantTz)
  if (validity.valid_until + 1000 <= now) throw new AppError('card_not_active', 'The card’s validity has ended; it no longer issues coupons.')
  return validity
}

export interface CouponDraftInput {
  id: string
  merchantId: string
  cardId: string
  versionId: string
  userId: string
  source: CouponSource
  sourceRef: string | null
  validity: CouponValidity
  now: number
  /** The giver of a coupon received as a gift. */
  giftedBy?: string | null
  tags?: CouponTags
  sharedBy?: string | null
  /** A fission coupon: issued locked until its holder brought this many friends (null: issued available). */
  unlockAfterFriends?: number | null
  /** How the card draws its codes (alphanumeric when absent). */
  codeFormat?: CodeFormat
}

/** A fresh code of the format a card asks for, from the system's randomness. */
export function drawCode(format: CodeFormat = 'alphanumeric'): string {
  if (format === 'alphanumeric') return codeFromRandomBytes(randomBytes(CODE_RANDOM_BYTES))
  for (;;) {
    const code = numericCodeFromRandomBytes(randomBytes(NUMERIC_RANDOM_BYTES))
    if (code !== null) return code
  }
}

/** A new coupon's row with a freshly drawn code: the code is stored only as a keyed hash and a ciphertext. */
export function draftCoupon(ctx: AppContext, input: CouponDraftInput): { values: CouponRow; code: string } {
  const code = drawCode(input.codeFormat)
  const values: CouponRow = {
    id: input.id,
    merchant_id: input.merchantId,
    card_id: input.cardId,
    card_version_id: input.versionId,
    code_hash: ctx.secrets.codeLookupHash(code),
    code_enc: ctx.secrets.encryptCode(code),
    user_id: input.userId,
    state: input.unlockAfterFriends ? 'locked' : 'available',
    source: input.source,
    source_ref: input.sourceRef,
    valid_from: input.validity.valid_from,
    valid_until: input.validity.valid_until,
    issued_at: input.now,
    redeemed_at: null,
    redemption_id: null,
    voided_at: null,
    updated_at: input.now,
    gifted_by: input.giftedBy ?? null,
    channel_tag: input.tags?.channel ?? null,
    campaign: input.tags?.campaign ?? null,
    shared_by: input.sharedBy ?? null,
    unlock_after_friends: input.unlockAfterFriends || null,
  }
  return { values, code }
}

/**
 * Issues one coupon inside the caller's transaction: checks the card is active, takes one from the per-user
 * allowance and one from stock with conditional updates (so parallel issues can never over-issue), then
 * stores the code only as a keyed hash and a ciphertext.
 */
export async function issueCouponInTx(ctx: AppContext, tx: Db, input: IssueInput, now: number, read?: CardWithTerms): Promise<IssuedCoupon> {
  const { merchantId, cardId, userId } = input
  if (input.sourceRef) {
    const existing = await findIssued(ctx, tx, merchantId, input.sourceRef)
    if (existing) return existing
  }
  // The card as read just before the transaction, when it was: whatever changed since, the stock statement
  // below takes stock only from an active card that has some.
  const found = read ?? (await findCardWithTerms(tx, merchantId, cardId))
  if (!found) throw new AppError('card_not_found', 'There is no card with this id.')
  const { card, versionId } = found
  const validity = validityForIssue(found, now, input.merchantTz)

  if (card.stock_remaining <= 0) return refuseWithoutStock(tx, input, card.get_limit)

  const owed = OWED_SOURCES.includes(input.source)
  if (!(await takeFromAllowance(tx, merchantId, cardId, userId, owed ? null : card.get_limit))) throw getLimitReached(card.get_limit)

  const couponId = newId('cpn', now)
  const unlockAfterFriends = await lockedBehind(tx, found, userId)
  let drafted: { values: CouponRow; code: string } | null = null
  // Codes carry 70 random bits, so a clash is astronomically rare; should one happen, draw again.
  for (let attempt = 0; attempt < 3 && drafted === null; attempt++) {
    const draft = draftCoupon(ctx, { id: couponId, merchantId, cardId, versionId, userId, source: input.source, sourceRef: input.sourceRef ?? null, validity, now, tags: input.tags, sharedBy: input.sharedBy, unlockAfterFriends, codeFormat: card.code_format })
    if (await insertCouponUnlessCodeTaken(tx, draft.values)) drafted = draft
  }
  if (drafted === null) throw new Error('could not draw a unique coupon code')

  // The roll-ups: the user's own row first; the rows every issue of the card shares are written with the stock.
  const counts = await countIssueExceptShared(tx, drafted.values, input.merchantTz)
  // Stock is taken last, so that on PostgreSQL parallel issues queue on the card's row (and the shared
  // roll-up rows) for one statement and the commit.
  const taken = await ctx.database.takeOneFromStock(tx, {
    merchantId,
    cardId,
    now,
    event: {
      id: newId('evt', now),
      type: 'coupon.issued',
      data: {
        coupon_id: couponId, card_id: cardId, user_id: userId, source: input.source,
        channel: input.tags?.channel ?? null, campaign: input.tags?.campaign ?? null, shared_by: input.sharedBy ?? null, state: drafted.values.state,
      },
    },
    shared: { counts, write: (t) => writeIssueCounts(t, counts) },
  })
  if (!taken) throw new AppError('out_of_stock', 'The card has no stock left.')
  return { coupon: drafted.values, code: drafted.code, created: true }
}

/**
 * How many friends a fission card's new coupon waits for (null: none, issued available): none when the
 * holder's share link already brought that many.
 */
async function lockedBehind(tx: Db, { card }: CardWithTerms, userId: string): Promise<number | null> {
  const needed = card.unlock_after_friends
  if (!needed) return null
  return (await shareFriendCount(tx, card.merchant_id, card.id, userId)) >= needed ? null : needed
}

/**
 * Issues one coupon from stock already held for it (a full group's, see features/groups), inside the
 * caller's transaction: the holder's allowance was taken when they joined, so only the coupon, the card's
 * issued count and the `coupon.issued` event are written. The source reference makes it once-only.
 */
export async function issueHeldCouponInTx(ctx: AppContext, tx: Db, input: IssueInput & { found: CardWithTerms }, now: number): Promise<IssuedCoupon> {
  const { merchantId, cardId, userId, found } = input
  if (input.sourceRef) {
    const existing = await findIssued(ctx, tx, merchantId, input.sourceRef)
    if (existing) return existing
  }
  const validity = computeCouponValidity(found.terms.validity, now, input.merchantTz)
  const couponId = newId('cpn', now)
  let drafted: { values: CouponRow; code: string } | null = null
  for (let attempt = 0; attempt < 3 && drafted === null; attempt++) {
    const draft = draftCoupon(ctx, { id: couponId, merchantId, cardId, versionId: found.versionId, userId, source: input.source, sourceRef: input.sourceRef ?? null, validity, now, codeFormat: found.card.code_format })
    if (await insertCouponUnlessCodeTaken(tx, draft.values)) drafted = draft
  }
  if (drafted === null) throw new Error('could not draw a unique coupon code')
  await countIssued(tx, [drafted.values], input.merchantTz)
  const stockRemaining = await countHeldIssue(tx, merchantId, cardId, now)
  await recordEvent(tx, { merchantId, type: 'coupon.issued', data: { coupon_id: couponId, card_id: cardId, user_id: userId, source: input.source, stock_remaining: stockRemaining }, now })
  return { coupon: drafted.values, code: drafted.code, created: true }
}

/** The coupon a source reference already issued, if it did. */
export async function findIssued(ctx: AppContext, db: Db, merchantId: string, sourceRef: string): Promise<IssuedCoupon | undefined> {
  const existing = await findCouponBySourceRef(db, merchantId, sourceRef)
  return existing && { coupon: existing, code: ctx.secrets.decryptCode(existing.code_enc), created: false }
}

function getLimitReached(limit: number): AppError {
  return new AppError('get_limit_reached', `This user already has the most coupons of this card allowed (${limit}).`)
}

/**
 * With no stock left, an issue is refused without writing anything: for the user's limit when it is
 * reached (the reason given first), else for stock.
 */
async function refuseWithoutStock(tx: Db, input: IssueInput, getLimit: number): Promise<never> {
  if ((await claimedCount(tx, input.merchantId, input.cardId, input.userId)) >= getLimit) throw getLimitReached(getLimit)
  throw new AppError('out_of_stock', 'The card has no stock left.')
}

export async function issueCoupon(ctx: AppContext, input: IssueInput): Promise<IssuedCoupon> {
  const now = ctx.clock.now()
  const { db } = ctx.database
  // A retry with a source reference may find its coupon, so it goes the whole way.
  if (input.sourceRef) return db.transaction().execute((tx) => issueCouponInTx(ctx, tx, input, now))
  // One read decides most of a rush for a sold-out card: refused with no transaction and nothing locked,
  // the read shared with the card's other issues of the moment.
  const found = await readCardForIssue(ctx.database, input.merchantId, input.cardId, input.userId)
  if (!found) throw new AppError('card_not_found', 'There is no card with this id.')
  validityForIssue(found, now, input.merchantTz)
  const owed = OWED_SOURCES.includes(input.source)
  const limited = !owed && found.claimed >= found.card.get_limit
  if (found.card.stock_remaining <= 0) {
    if (limited) throw getLimitReached(found.card.get_limit)
    throw new AppError('out_of_stock', 'The card has no stock left.')
  }
  if (limited) throw getLimitReached(found.card.get_limit)
  if (ctx.database.writeAtOnce) {
    const atOnce = await issueInOneStatement(ctx, input, now, found, owed)
    // Refused by the statement (nothing written): the long way reads the card again and says why.
    return atOnce ?? db.transaction().execute((tx) => issueCouponInTx(ctx, tx, input, now))
  }
  return db.transaction().execute((tx) => issueCouponInTx(ctx, tx, input, now, found))
}

/**
 * Where the engine writes an issue in one statement (PostgreSQL): no transaction, and the card's row is
 * held for that statement alone. Undefined when the issue has to go the long way: the statement wrote
 * nothing (the stock went since the read, a parallel issue of the same user reached the limit, a code
 * clash), or another engine.
 */
async function issueInOneStatement(ctx: AppContext, input: IssueInput, now: number, found: CardWithTerms, owed: boolean): Promise<IssuedCoupon | undefined> {
  if (!ctx.database.writeAtOnce) return undefined
  const { merchantId, cardId, userId } = input
  const { card, versionId } = found
  const validity = validityForIssue(found, now, input.merchantTz)
  const couponId = newId('cpn', now)
  const unlockAfterFriends = await lockedBehind(ctx.database.db, found, userId)
  const draft = draftCoupon(ctx, { id: couponId, merchantId, cardId, versionId, userId, source: input.source, sourceRef: null, validity, now, tags: input.tags, sharedBy: input.sharedBy, unlockAfterFriends, codeFormat: card.code_format })
  const eventData = {
    coupon_id: couponId, card_id: cardId, user_id: userId, source: input.source,
    channel: input.tags?.channel ?? null, campaign: input.tags?.campaign ?? null, shared_by: input.sharedBy ?? null, state: draft.values.state,
  }
  const issued = await inTurnForCard(ctx.database, merchantId, cardId, () => issueAtOnce(ctx.database, draft.values, { limit: owed ? null : card.get_limit, eventId: newId('evt', now), eventData, day: issueDay(now, input.merchantTz) }))
  return issued ? { coupon: draft.values, code: draft.code, created: true } : undefined
}

/**
 * Finds a coupon by what a customer or clerk typed or scanned; a mistyped code is caught by its check
 * character. With a store id, reads that store in the same query (see findCouponByCodeHash).
 */
export async function findCouponByCode(ctx: AppContext, merchantId: string, rawCode: string, storeId: string | null = null, tx?: Db): Promise<CouponWithTerms & { store: StoreRef | null }> {
  const code = normalizeCode(rawCode)
  // The check digit or character is verified before any lookup: a mistyped code never reaches the database.
  if (looksNumeric(code) && !hasValidCheckDigit(code)) throw new AppError('code_not_found', 'The check digit of this code does not match: a digit was mistyped or two were swapped.')
  if (!isWellFormedCode(code)) throw new AppError('code_not_found', 'This is not a valid coupon code; check it was typed correctly.')
  const found = await findCouponByCodeHash(ctx.database, merchantId, ctx.secrets.codeLookupHash(code), code, storeId, tx)
  if (!found) throw new AppError('code_not_found', 'There is no coupon with this code.')
  return found
}

/** False when the coupon is already voided (voiding again is a no-op); throws when it can no longer be voided. */
function isVoidable(coupon: CouponRow, now: number): boolean {
  const state = effectiveCouponState(coupon, now)
  if (state === 'voided') return false
  if (state === 'redeemed') throw new AppError('already_redeemed', 'A redeemed coupon cannot be voided; reverse the redemption first.')
  if (state === 'expired') throw new AppError('expired', 'The coupon has already expired.')
  // A coupon held for a gift is the receiver's to have or the giver's to take back; one given away lives on as the receiver's.
  if (state === 'gifting') throw new AppError('coupon_gifting', 'The coupon is being given as a gift; it can be voided once the gift is cancelled or returns.')
  if (state === 'gifted') throw new AppError('coupon_gifted', 'The coupon was given away; void the receiver’s coupon instead.')
  return true
}

/** Voids an available coupon; voiding a voided coupon again is a no-op so retries are safe. */
export async function voidCoupon(ctx: AppContext, merchantId: string, merchantTz: string, rawCode: string, reason: string | null): Promise<CouponRow> {
  const now = ctx.clock.now()
  return ctx.database.db.transaction().execute(async (tx) => {
    const { coupon } = await findCouponByCode(ctx, merchantId, rawCode, null, tx)
    if (!isVoidable(coupon, now)) return coupon
    const updated = await markCouponVoided(tx, merchantId, coupon.id, now, 'merchant')
    if (!updated) {
      // A redemption or another void won the race between our read and our write: answer as if we came second.
      const { coupon: changed } = await findCouponByCode(ctx, merchantId, rawCode, null, tx)
      if (!isVoidable(changed, now)) return changed
      throw new AppError('invalid_state', 'The coupon changed at the same time; look it up again.')
    }
    await countVoided(tx, updated, merchantTz, now)
    await recordEvent(tx, { merchantId, type: 'coupon.voided', data: { coupon_id: coupon.id, card_id: coupon.card_id, user_id: coupon.user_id, reason, by: 'merchant' }, now })
    return updated
  })
}
