import type { Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'

/**
 * Risk control: each merchant's changes to the default rules, the block list, the record of every
 * challenge and block, and the counters kept in the database when there is no Redis (a key row that a
 * counting transaction locks, and the hits of its sliding window).
 */
export async function up(db: Kysely<any>, types: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('risk_rules')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('limit_value', types.bigint, (c) => c.notNull())
    .addColumn('window_seconds', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('updated_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_rules_pk', ['merchant_id', 'name'])
    .execute()
  await db.schema
    .createTable('risk_blocks')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('until', types.bigint)
    .addColumn('rule', 'text')
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_blocks_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema
    .createTable('risk_events')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('activity', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_value', 'text', (c) => c.notNull())
    .addColumn('challenge_ref', 'text')
    .addColumn('confirmed_at', types.bigint)
    .addColumn('confirmed_by', 'text')
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_events_pk', ['merchant_id', 'id'])
    .execute()
  await db.schema
    .createTable('risk_counters')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('counter_key', 'text', (c) => c.notNull())
    .addColumn('touched_at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_counters_pk', ['merchant_id', 'counter_key'])
    .execute()
  await db.schema
    .createTable('risk_counter_hits')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('counter_key', 'text', (c) => c.notNull())
    .addColumn('member', 'text', (c) => c.notNull())
    .addColumn('at', types.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_counter_hits_pk', ['merchant_id', 'counter_key', 'member'])
    .execute()
  await db.schema.createIndex('risk_counter_hits_at_idx').on('risk_counter_hits').columns(['merchant_id', 'counter_key', 'at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('risk_counter_hits').execute()
  await db.schema.dropTable('risk_counters').execute()
  await db.schema.dropTable('risk_events').execute()
  await db.schema.dropTable('risk_blocks').execute()
  await db.schema.dropTable('risk_rules').execute()
}
