import { sql, type Kysely } from 'kysely'

/**
 * Indexes for the retention jobs (src/jobs/purge-*.job.ts), which forget rows by age in bounded batches,
 * oldest first: without them each batch read the whole table. A finished webhook delivery is found by when
 * it finished (`updated_at`; only finished ones, the pending ones have their own index) and its attempts by
 * their delivery.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('otp_challenges_expires_idx').on('otp_challenges').column('expires_at').execute()
  await db.schema.createIndex('login_attempts_created_idx').on('login_attempts').column('created_at').execute()
  await db.schema
    .createIndex('webhook_deliveries_finished_idx')
    .on('webhook_deliveries')
    .column('updated_at')
    .where(sql<boolean>`status <> 'pending'`)
    .execute()
  await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').columns(['merchant_id', 'delivery_id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['webhook_attempts_delivery_idx', 'webhook_deliveries_finished_idx', 'login_attempts_created_idx', 'otp_challenges_expires_idx']) {
    await db.schema.dropIndex(index).execute()
  }
}
