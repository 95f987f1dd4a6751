import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * A rotated wallet signing secret keeps verifying for a grace period, so merchant backends can switch
 * over without signing customers out: the previous secret (sealed) and until when it is honoured.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('wallet_secret_prev_enc', 'text').execute()
  await db.schema.alterTable('merchants').addColumn('wallet_secret_prev_until', t.bigint).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('wallet_secret_prev_until').execute()
  await db.schema.alterTable('merchants').dropColumn('wallet_secret_prev_enc').execute()
}
