/**
 * Seeds coupons straight into the database, in big batches, with real codes: the keyed hash and the
 * ciphertext the server itself would store, so the server finds and redeems them as its own.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Database } from '../../src/db/database.ts'
import type { CouponsTable } from '../../src/db/schema.ts'
import { codeFromRandomBytes, CODE_RANDOM_BYTES } from '../../src/domain/codes.ts'
import type { Secrets } from '../../src/ports/secrets.ts'
import { newId } from '../../src/ports/ids.ts'

const DAY = 24 * 60 * 60 * 1000

export interface CardRef {
  merchantId: string
  cardId: string
}

export interface SeedRequest {
  count: number
  /** The owner of coupon i. */
  userOf(i: number): string
  /** Keep the plaintext codes (to redeem them); a million codes are not kept. */
  keepCodes: boolean
}

/** Rows per statement: SQLite binds each value, PostgreSQL gets one array per column. */
const SQLITE_BATCH = 500
const POSTGRES_BATCH = 10_000

const COLUMNS: (keyof CouponsTable)[] = [
  'id', 'merchant_id', 'card_id', 'card_version_id', 'code_hash', 'code_enc', 'user_id', 'state', 'source', 'source_ref',
  'valid_from', 'valid_until', 'issued_at', 'redeemed_at', 'redemption_id', 'voided_at', 'updated_at',
]
const POSTGRES_TYPES: Record<string, string> = { valid_from: 'bigint', valid_until: 'bigint', issued_at: 'bigint', redeemed_at: 'bigint', voided_at: 'bigint', updated_at: 'bigint' }

async function currentVersionId(database: Database, card: CardRef): Promise<string> {
  const row = await database.db
    .selectFrom('cards')
    .innerJoin('card_versions', (join) =>
      join.onRef('card_versions.merchant_id', '=', 'cards.merchant_id').onRef('card_versions.card_id', '=', 'cards.id').onRef('card_versions.version', '=', 'cards.version'),
    )
    .select('card_versions.id')
    .where('cards.merchant_id', '=', card.merchantId)
    .where('cards.id', '=', card.cardId)
    .executeTakeFirstOrThrow()
  return row.id
}

async function insertBatch(database: Database, rows: CouponsTable[]): Promise<void> {
  if (database.engine === 'sqlite') {
    await database.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += SQLITE_BATCH) await tx.insertInto('coupons').values(rows.slice(i, i + SQLITE_BATCH)).execute()
    })
    return
  }
  // One array per column, unnested into rows: ten thousand rows cost one round trip and one parse.
  const arrays = COLUMNS.map((column) => sql`${rows.map((row) => row[column])}::${sql.raw(POSTGRES_TYPES[column] ?? 'text')}[]`)
  await sql`insert into coupons (${sql.join(COLUMNS.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(database.db)
}

/**
 * Inserts `count` available coupons of the card, valid from yesterday for 30 days, and counts them as issued.
 * Returns their codes when asked to keep them.
 */
export async function seedCoupons(database: Database, secrets: Secrets, card: CardRef, request: SeedRequest): Promise<string[]> {
  const versionId = await currentVersionId(database, card)
  const now = Date.now()
  const codes: string[] = []
  const batch = database.engine === 'sqlite' ? SQLITE_BATCH * 20 : POSTGRES_BATCH
  for (let start = 0; start < request.count; start += batch) {
    const n = Math.min(batch, request.count - start)
    const random = randomBytes(n * CODE_RANDOM_BYTES)
    const rows: CouponsTable[] = []
    for (let j = 0; j < n; j++) {
      const code = codeFromRandomBytes(random.subarray(j * CODE_RANDOM_BYTES, (j + 1) * CODE_RANDOM_BYTES))
      if (request.keepCodes) codes.push(code)
      rows.push({
        id: newId('cpn', now),
        merchant_id: card.merchantId,
        card_id: card.cardId,
        card_version_id: versionId,
        code_hash: secrets.codeLookupHash(code),
        code_enc: secrets.encryptCode(code),
        user_id: request.userOf(start + j),
        state: 'available',
        source: 'api',
        source_ref: null,
        valid_from: now - DAY,
        valid_until: now + 30 * DAY,
        issued_at: now,
        redeemed_at: null,
        redemption_id: null,
        voided_at: null,
        updated_at: now,
      })
    }
    await insertBatch(database, rows)
  }
  await database.db
    .updateTable('cards')
    .set((eb) => ({ issued_count: eb('issued_count', '+', request.count) }))
    .where('merchant_id', '=', card.merchantId)
    .where('id', '=', card.cardId)
    .execute()
  // As after any bulk load: PostgreSQL's statistics and visibility map would otherwise describe a table without
  // these rows (and vacuum would run during the measurement); SQLite's WAL would hold the whole load until the
  // server's first commits copy it into the database.
  if (database.engine === 'postgres') await sql`vacuum analyze coupons`.execute(database.db)
  else await sql`pragma wal_checkpoint(truncate)`.execute(database.db)
  return codes
}
