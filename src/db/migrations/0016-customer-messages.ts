import { sql, type Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Customer notifications sent on the merchant's channels: a sent message can wait its turn (`pending`,
 * queued in the transaction of the change it tells of) and be tried again after a failure. The subject is
 * kept for the e-mail it becomes.
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema.alterTable('sent_messages').addColumn('subject', 'text').execute()
  await db.schema.alterTable('sent_messages').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('sent_messages').addColumn('next_attempt_at', types.bigint).execute()
  await db.schema
    .createIndex('sent_messages_due_idx')
    .on('sent_messages')
    .column('next_attempt_at')
    .where(sql<boolean>`status = 'pending'`)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sent_messages_due_idx').execute()
  await db.schema.alterTable('sent_messages').dropColumn('next_attempt_at').execute()
  await db.schema.alterTable('sent_messages').dropColumn('attempts').execute()
  await db.schema.alterTable('sent_messages').dropColumn('subject').execute()
}
