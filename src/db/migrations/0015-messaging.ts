import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Message delivery: each merchant's e-mail (SMTP) and SMS (its own gateway behind a signed HTTP hook)
 * settings, and the record of what was sent to customers, or would have been with no provider.
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('message_channels')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('settings_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addColumn('updated_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('message_channels_pk', ['merchant_id', 'channel'])
    .execute()
  await db.schema
    .createTable('sent_messages')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('sent_messages_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema.createIndex('sent_messages_created_at_idx').on('sent_messages').column('created_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sent_messages').execute()
  await db.schema.dropTable('message_channels').execute()
}
