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
import { findWechatCard } from '../wechat/wechat.repository.ts'
import { encryptCode } from '../wechat/wechat-encrypt-code.ts'
import { cardCodeTypes, findUserCoupon, listWalletRows, storesOf, type WalletListRow } from './wallet.repository.ts'

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
 * The card's link cells (made through the WeChat-compatible API), each URL carrying the coupon's
 * `encrypt_code` and `card_id` as WeChat appends them, so the merchant's page learns the code.
 */
export async function linkCellsOf(ctx: AppContext, coupon: CouponRow) {
  const cells = walletCellsOf(await findWechatCard(ctx.database.db, coupon.merchant_id, coupon.card_id))
  if (cells.length === 0) return []
  const encrypted = encryptCode(ctx.secrets, coupon.merchant_id, ctx.secrets.decryptCode(coupon.code_enc))
  return cells.map((cell) => ({ ...cell, url: withEncryptCode(cell.url, encrypted, coupon.card_id) }))
}

/** A coupon with every term it was issued under, including the stores it is good in. */
export async function presentWalletCouponDetail(ctx: AppContext, walletCoupon: WalletCoupon, tz: string, now: number) {
  const stores = await storesOf(ctx.database.db, walletCoupon.coupon.merchant_id, walletCoupon.terms.store_ids)
  return { ...presentWalletCoupon(ctx, walletCoupon, tz, now), card: presentCardTerms(walletCoupon.terms, stores) }
}
