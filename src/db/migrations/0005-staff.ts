import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Staff accounts for the web apps (owner, operator, clerk bound to a store, analyst), their sign-in
 * sessions, recent sign-in attempts (for rate limiting), and which clerk made each redemption.
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('staff')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('setup_slot', 'text')
    .addColumn('disabled_at', t.bigint)
    .addColumn('last_login_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('staff_pk', ['merchant_id', 'id'])
    .execute()
  // A sign-in name finds its account before the merchant is known, so it is unique on its own.
  await db.schema.createIndex('staff_login_uq').on('staff').column('login').unique().execute()
  // Only the first-run owner fills this; the unique index lets exactly one first run succeed.
  await db.schema.createIndex('staff_setup_slot_uq').on('staff').column('setup_slot').unique().execute()

  await db.schema
    .createTable('staff_sessions')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('staff_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .addColumn('revoked_at', t.bigint)
    .addPrimaryKeyConstraint('staff_sessions_pk', ['merchant_id', 'id'])
    .execute()
  // Sessions are looked up by the hash of the cookie's token (256 random bits) before the merchant is known.
  await db.schema.createIndex('staff_sessions_token_uq').on('staff_sessions').column('token_hash').unique().execute()
  await db.schema.createIndex('staff_sessions_staff_idx').on('staff_sessions').columns(['merchant_id', 'staff_id']).execute()

  // Failed sign-ins are counted before any merchant is known (by sign-in name and by address), so like
  // job_leases this small, short-lived table has no merchant_id.
  await db.schema
    .createTable('login_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('login_attempts_subject_idx').on('login_attempts').columns(['subject', 'created_at']).execute()

  await db.schema.alterTable('redemptions').addColumn('staff_id', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('redemptions').dropColumn('staff_id').execute()
  for (const table of ['login_attempts', 'staff_sessions', 'staff']) await db.schema.dropTable(table).ifExists().execute()
}
