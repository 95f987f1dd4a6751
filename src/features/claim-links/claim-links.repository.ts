import type { Db, Tx } from '../../db/database.ts'
import type { ClaimLinksTable } from './claim-links.table.ts'

export type ClaimLinkRow = ClaimLinksTable

export async function insertClaimLink(db: Db | Tx, row: ClaimLinkRow): Promise<void> {
  await db.insertInto('claim_links').values(row).execute()
}

export async function findClaimLink(db: Db | Tx, merchantId: string, id: string): Promise<ClaimLinkRow | undefined> {
  return db.selectFrom('claim_links').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst()
}

/** A link by the hash of its public token, whichever merchant it belongs to. */
export async function findClaimLinkWithTokenHash(db: Db | Tx, tokenHash: string): Promise<ClaimLinkRow | undefined> {
  return db.selectFrom('claim_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
}

/** Links made before tokens were hashed whose token is not sealed yet. */
export async function listLegacyTokens(db: Db): Promise<Pick<ClaimLinkRow, 'merchant_id' | 'id' | 'legacy_token'>[]> {
  return db.selectFrom('claim_links').select(['merchant_id', 'id', 'legacy_token']).where('legacy_token', 'is not', null).execute()
}

/** Replaces a link's plain token by its sealed form, unless another process did so first. */
export async function sealLegacyToken(db: Db, link: { merchant_id: string; id: string; legacy_token: string }, tokenSealed: string): Promise<void> {
  await db
    .updateTable('claim_links')
    .set({ token_sealed: tokenSealed, legacy_token: null })
    .where('merchant_id', '=', link.merchant_id)
    .where('id', '=', link.id)
    .where('legacy_token', '=', link.legacy_token)
    .execute()
}

/** A page of the merchant's links in id order, after the cursor's id, optionally of one card. */
export async function listClaimLinks(db: Db, merchantId: string, filter: { cardId?: string; after: string | null; limit: number }): Promise<ClaimLinkRow[]> {
  let q = db.selectFrom('claim_links').selectAll().where('merchant_id', '=', merchantId)
  if (filter.cardId) q = q.where('card_id', '=', filter.cardId)
  if (filter.after) q = q.where('id', '>', filter.after)
  return q.orderBy('id').limit(filter.limit).execute()
}

export async function disableClaimLinkRow(db: Db | Tx, merchantId: string, id: string): Promise<void> {
  await db.updateTable('claim_links').set({ status: 'disabled' }).where('merchant_id', '=', merchantId).where('id', '=', id).execute()
}

/**
 * Counts one claim on the link while it is active, unexpired and below `max_claims`, in one conditional
 * update so parallel claims never exceed it; false when the link is not handing out coupons.
 */
export async function countClaim(db: Db | Tx, merchantId: string, id: string, now: number): Promise<boolean> {
  const counted = await db
    .updateTable('claim_links')
    .set((eb) => ({ claimed_count: eb('claimed_count', '+', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', id)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => eb.or([eb('max_claims', 'is', null), eb('claimed_count', '<', eb.ref('max_claims'))]))
    .executeTakeFirst()
  return Number(counted.numUpdatedRows) === 1
}
