import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import type { CodeType } from '../cards/cards.table.ts'
import type { CardTerms } from '../../domain/types.ts'
import { AppError } from '../../errors.ts'
import type { CustomerPrincipal } from '../../principals.ts'
import { decodeCursor, encodeCursor } from '../../pagination.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import { presentCoupon } from '../coupons/coupons.presenter.ts'
import { effectiveCouponState } from '../../domain/redemption-rules.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { CouponState } from '../coupons/coupons.table.ts'
import { cardListFace, presentCardFace, presentCardTerms } from './card-terms.ts'
import { findVersionTerms } from '../cards/cards.repository.ts'
import { walletCellsOf, withEncryptCode } from '../../domain/wechat-cards.ts'
import { findWechatCard, findWechatCardFacts } from '../wechat/wechat.repository.ts'
import { encryptCodeOf } from '../wechat/wechat-encrypt-code.ts'
import { cardCodeTypes, findUserCoupon, listWalletRows, storesOf, type WalletListRow } from './wallet.repository.ts'
import { markCouponVoided } from '../coupons/coupons.repository.ts'
import { countVoided } from '../stats/stats.service.ts'
import { recordEvent } from '../events/events.repository.ts'
import { decideRemoval } from '../../domain/wallet-removal.ts'
import type { ViewEvent } from '../tracking/tracking.service.ts'

/** A coupon with the terms it was issued under and how its code is shown (QR code, barcode or text). */
export interface WalletCoupon {
  coupon: CouponRow
  terms: CardTerms
  codeType: CodeType
}

/** Adds to each coupon its own card version's terms and its card's code type. */
async function withTerms(db: Db, merchantId: string, coupons: CouponRow[]): Promise<WalletCoupon[]> {
  if (coupons.length === 0) return []
  const versionIds = [...new Set(coupons.map((c) => c.card_version_id))]
  const cardIds = [...new Set(coupons.map((c) => c.card_id))]
  const [terms, codeTypes] = await Promise.all([findVersionTerms(db, merchantId, versionIds), cardCodeTypes(db, merchantId, cardIds)])
  return coupons.map((coupon) => ({ coupon, terms: terms.get(coupon.card_version_id) as CardTerms, codeType: codeTypes.get(coupon.card_id) ?? 'qrcode' }))
}

/**
 * Available coupons are listed soonest-expiring first, so the page is ordered by (valid_until, id) and
 * its cursor carries both.
 */
function encodeExpiryCursor(coupon: { valid_until: number; id: string }): string {
  return Buffer.from(`${coupon.valid_until}.${coupon.id}`, 'utf8').toString('base64url')
}

function decodeExpiryCursor(cursor: string): { validUntil: number; id: string } {
  const match = /^([0-9]{1,16})\.([a-z]+_[0-9a-z]{26})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) {
    throw new AppError('validation_failed', 'The cursor is not one this API returned.', [
      { field: 'cursor', code: 'invalid', message: 'is not a cursor returned by this API' },
    ])
  }
  return { validUntil: Number(match[1]), id: match[2] }
}

/** A coupon of the wallet's list with the terms it was issued under. */
export interface WalletListCoupon {
  row: WalletListRow
  terms: CardTerms
}

/**
 * The customer's coupons with this merchant: with `state=available` soonest-expiring first (what the
 * wallet shows on top), otherwise newest first. One read (the terms come from memory once read).
 */
export async function listWalletCoupons(
  ctx: AppContext,
  customer: CustomerPrincipal,
  query: { state?: CouponState; limit: number; cursor?: string },
): Promise<{ coupons: WalletListCoupon[]; nextCursor: string | null }> {
  const now = ctx.clock.now()
  const { merchantId, userId } = customer
  const byExpiry = query.state === 'available'
  const rows = await listWalletRows(ctx.database, merchantId, userId, {
    state: query.state,
    now,
    ...(byExpiry ? { after: query.cursor === undefined ? null : decodeExpiryCursor(query.cursor) } : { before: decodeCursor(query.cursor) }),
    limit: query.limit + 1,
  })
  const more = rows.length > query.limit
  const slice = more ? rows.slice(0, query.limit) : rows
  const last = slice[slice.length - 1]
  const nextCursor = more ? (byExpiry ? encodeExpiryCursor(last) : encodeCursor(last.id)) : null
  if (slice.length === 0) return { coupons: [], nextCursor }
  const terms = await findVersionTerms(ctx.database.db, merchantId, slice.map((row) => row.card_version_id))
  return { coupons: slice.map((row) => ({ row, terms: terms.get(row.card_version_id) as CardTerms })), nextCursor }
}

/** One of the customer's own coupons; anyone else's reads as not found. */
export async function getWalletCoupon(ctx: AppContext, customer: CustomerPrincipal, couponId: string): Promise<WalletCoupon> {
  const { db } = ctx.database
  const coupon = await findUserCoupon(db, customer.merchantId, customer.userId, couponId)
  if (!coupon) throw new AppError('coupon_not_found', 'You have no coupon with this id.')
  const [found] = await withTerms(db, customer.merchantId, [coupon])
  return found
}

/**
 * The holder removes one of their unused coupons from the wallet, irreversibly, in one transaction: the
 * decision (domain/wallet-removal.ts), then the coupon is voided with the holder as voider by a conditional
 * write (of parallel removals, a redemption or a gift at the same moment exactly one wins; a removal that
 * comes second finds it removed and answers alike), counted as a void in the card's statistics, and one
 * `coupon.voided` event with `by: "holder"` (pushed to WeChat as `user_del_card`). Anyone else's coupon
 * reads as not found.
 */
export async function removeWalletCoupon(ctx: AppContext, customer: CustomerPrincipal, couponId: string): Promise<WalletCoupon> {
  const { merchantId, userId, merchantTz } = customer
  const now = ctx.clock.now()
  await ctx.database.db.transaction().execute(async (tx) => {
    const decide = async () => {
      const coupon = await findUserCoupon(tx, merchantId, userId, couponId)
      if (!coupon) throw new AppError('coupon_not_found', 'You have no coupon with this id.')
      const decided = decideRemoval({ coupon, now })
      if (!decided.ok) throw new AppError(decided.error, decided.detail)
      return { coupon, decision: decided.decision }
    }
    const first = await decide()
    if (first.decision === 'removed') return
    const removed = await markCouponVoided(tx, merchantId, first.coupon.id, now, 'holder')
    if (!removed) {
      // Something else changed it between our read and our write: answer as the change that won says.
      if ((await decide()).decision === 'removed') return
      throw new AppError('invalid_state', 'The coupon changed at the same time; look at it again.')
    }
    await countVoided(tx, removed, merchantTz, now)
    await recordEvent(tx, { merchantId, type: 'coupon.voided', data: { coupon_id: removed.id, card_id: removed.card_id, user_id: removed.user_id, reason: null, by: 'holder' }, now })
  })
  return getWalletCoupon(ctx, customer, couponId)
}

/** A coupon in the wallet's list (WalletCouponListItemSchema): what its ticket shows, no code (its own page shows that). */
export function presentWalletListItem({ row, terms }: WalletListCoupon, tz: string, now: number) {
  return {
    id: row.id,
    card_id: row.card_id,
    state: effectiveCouponState(row, now),
    source: row.source,
    valid_from: formatInstant(row.valid_from, tz),
    valid_until: formatInstant(row.valid_until, tz),
    issued_at: formatInstant(row.issued_at, tz),
    redeemed_at: formatOptionalInstant(row.redeemed_at, tz),
    unlock_after_friends: row.unlock_after_friends ?? null,
    code_type: row.code_type ?? 'qrcode',
    card: cardListFace(terms),
  }
}

/** A coupon as its owner sees it in the wallet: its code (the owner may see it) and the card face. */
export function presentWalletCoupon(ctx: AppContext, { coupon, terms, codeType }: WalletCoupon, tz: string, now: number) {
  return { ...presentCoupon(coupon, tz, now, ctx.secrets), code_type: codeType, card: presentCardFace(terms) }
}

/**
 * What the coupon's own page needs of its card's WeChat definition (one read): the link cells, and the
 * events its view writes: `coupon.viewed` (pushed as `user_view_card`) when the card was made with
 * `need_push_on_view`, unless its holder removed the coupon.
 */
export async function walletPageFactsOf(ctx: AppContext, coupon: CouponRow): Promise<{ links: Awaited<ReturnType<typeof linkCellsOf>>; viewEvents: ViewEvent[] }> {
  const facts = await findWechatCardFacts(ctx.database.db, coupon.merchant_id, coupon.card_id)
  const removed = coupon.state === 'voided' && coupon.voided_by === 'holder'
  const viewEvents = facts?.pushOnView && !removed ? [{ type: 'coupon.viewed', data: { coupon_id: coupon.id, card_id: coupon.card_id, user_id: coupon.user_id, state: coupon.state } }] : []
  return { links: await linkCellsOf(ctx, coupon, facts?.definition ?? null), viewEvents }
}

/**
 * The card's link cells (made through the WeChat-compatible API), each URL carrying the coupon's
 * `encrypt_code` and `card_id` as WeChat appends them, so the merchant's page learns the code.
 */
export async function linkCellsOf(ctx: AppContext, coupon: CouponRow, definition?: Record<string, unknown> | null) {
  const cells = walletCellsOf(definition !== undefined ? definition : await findWechatCard(ctx.database.db, coupon.merchant_id, coupon.card_id))
  if (cells.length === 0) return []
  const encrypted = await encryptCodeOf(ctx, coupon.merchant_id, ctx.secrets.decryptCode(coupon.code_enc))
  return cells.map((cell) => ({ ...cell, url: withEncryptCode(cell.url, encrypted, coupon.card_id) }))
}

/** A coupon with every term it was issued under, including the stores it is good in. */
export async function presentWalletCouponDetail(ctx: AppContext, walletCoupon: WalletCoupon, tz: string, now: number) {
  const stores = await storesOf(ctx.database.db, walletCoupon.coupon.merchant_id, walletCoupon.terms.store_ids)
  return { ...presentWalletCoupon(ctx, walletCoupon, tz, now), card: presentCardTerms(walletCoupon.terms, stores) }
}
