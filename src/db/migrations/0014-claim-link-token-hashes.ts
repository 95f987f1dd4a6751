import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'

/**
 * Claim-link tokens are no longer stored in plain text: a link is found by the SHA-256 of its token
 * (`token_hash`, unique; the token is 192 random bits, so a fast hash is enough, as for API keys) and the
 * console shows it again from `token_sealed` (AES-GCM under the secret key). The hashes of existing links
 * are computed here; sealing needs the secret key, which migrations do not have, so their tokens wait in
 * `legacy_token` until the first start after the upgrade seals them (sealLegacyClaimLinkTokens).
 *
 * Going back down restores the plain token of links that still have it; links sealed since cannot get it
 * back without the key and are left without one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of ['token_hash', 'token_sealed', 'legacy_token']) await db.schema.alterTable('claim_links').addColumn(column, 'text').execute()
  const links: { merchant_id: string; id: string; token: string }[] = await db.selectFrom('claim_links').select(['merchant_id', 'id', 'token']).execute()
  for (const link of links) {
    // The same digest as hashToken (ports/secrets.ts), written out so this migration never changes.
    const tokenHash = createHash('sha256').update(link.token).digest('hex')
    await db.updateTable('claim_links').set({ token_hash: tokenHash, legacy_token: link.token }).where('merchant_id', '=', link.merchant_id).where('id', '=', link.id).execute()
  }
  await db.schema.dropIndex('claim_links_token_uq').execute()
  await db.schema.alterTable('claim_links').dropColumn('token').execute()
  // Looked up before the merchant is known, like the token before it.
  await db.schema.createIndex('claim_links_token_hash_uq').on('claim_links').column('token_hash').unique().execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('claim_links').addColumn('token', 'text').execute()
  await db.updateTable('claim_links').set((eb) => ({ token: eb.ref('legacy_token') })).execute()
  await db.schema.createIndex('claim_links_token_uq').on('claim_links').column('token').unique().execute()
  await db.schema.dropIndex('claim_links_token_hash_uq').execute()
  for (const column of ['legacy_token', 'token_sealed', 'token_hash']) await db.schema.alterTable('claim_links').dropColumn(column).execute()
}
