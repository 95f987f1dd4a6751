import { sql, type Kysely } from 'kysely'
import type { Database, Engine } from './database.ts'
import { columnTypesFor, type ColumnTypes } from './migrations/column-types.ts'
import * as m0001 from './migrations/0001-core.ts'
import * as m0002 from './migrations/0002-wallet-secret-rotation.ts'
import * as m0003 from './migrations/0003-webhooks-jobs.ts'
import * as m0004 from './migrations/0004-member-cards.ts'
import * as m0005 from './migrations/0005-staff.ts'
import * as m0007 from './migrations/0007-request-refs.ts'
import * as m0008 from './migrations/0008-stats-indexes.ts'
import * as m0009 from './migrations/0009-more-request-refs.ts'
import * as m0010 from './migrations/0010-retention-indexes.ts'
import * as m0011 from './migrations/0011-api-key-request-refs.ts'
import * as m0012 from './migrations/0012-merchant-language.ts'
import * as m0014 from './migrations/0014-claim-link-token-hashes.ts'
import * as m0015 from './migrations/0015-messaging.ts'
import * as m0016 from './migrations/0016-customer-messages.ts'
import * as m0017 from './migrations/0017-analytics.ts'
import * as m0018 from './migrations/0018-risk.ts'
import * as m0019 from './migrations/0019-wechat.ts'
import * as m0020 from './migrations/0020-sharing.ts'
import * as m0021 from './migrations/0021-gifts.ts'
import * as m0022 from './migrations/0022-groups-referrals.ts'
import * as m0023 from './migrations/0023-risk-upkeep.ts'
import * as m0024 from './migrations/0024-member-analytics-experiments.ts'
import * as m0025 from './migrations/0025-card-stats-rollups.ts'
import * as m0026 from './migrations/0026-numeric-codes-wechat-members.ts'
import * as m0027 from './migrations/0027-wechat-pushes.ts'
import * as m0028 from './migrations/0028-risk-counts.ts'
import * as m0029 from './migrations/0029-claim-link-holder.ts'
import * as m0030 from './migrations/0030-wallet-removal-view-pushes-gifts.ts'
import * as m0031 from './migrations/0031-wechat-multi-qr-code-keys.ts'
import * as m0032 from './migrations/0032-merchant-stats-rollups.ts'

interface MigrationModule {
  up(db: Kysely<any>, t: ColumnTypes): Promise<void>
  down(db: Kysely<any>, t: ColumnTypes): Promise<void>
}

/** Every migration in order. Names never change once released. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001-core': m0001,
  '0002-wallet-secret-rotation': m0002,
  '0003-webhooks-jobs': m0003,
  '0004-member-cards': m0004,
  '0005-staff': m0005,
  '0007-request-refs': m0007,
  '0008-stats-indexes': m0008,
  '0009-more-request-refs': m0009,
  '0010-retention-indexes': m0010,
  '0011-api-key-request-refs': m0011,
  '0012-merchant-language': m0012,
  '0014-claim-link-token-hashes': m0014,
  '0015-messaging': m0015,
  '0016-customer-messages': m0016,
  '0017-analytics': m0017,
  '0018-risk': m0018,
  '0019-wechat': m0019,
  '0020-sharing': m0020,
  '0021-gifts': m0021,
  '0022-groups-referrals': m0022,
  '0023-risk-upkeep': m0023,
  '0024-member-analytics-experiments': m0024,
  '0025-card-stats-rollups': m0025,
  '0026-numeric-codes-wechat-members': m0026,
  '0027-wechat-pushes': m0027,
  '0028-risk-counts': m0028,
  '0029-claim-link-holder': m0029,
  '0030-wallet-removal-view-pushes-gifts': m0030,
  '0031-wechat-multi-qr-code-keys': m0031,
  '0032-merchant-stats-rollups': m0032,
}

/** Any number, as long as it is the same in every process: serialises concurrent starts on PostgreSQL. */
const MIGRATION_LOCK_ID = 4_242_001

/** Which migrations ran, and when. */
export const MIGRATIONS_TABLE = 'kabao_migrations'

/**
 * Runs `work` holding the database's migration lock, on one connection: a session advisory lock on
 * PostgreSQL (DDL there is transactional, so each migration also gets its own transaction), SQLite's
 * write lock on SQLite (the whole run is one transaction). A second process starting at the same moment
 * waits, then finds nothing left to do.
 */
async function withMigrationLock(database: Database, work: (db: Kysely<any>) => Promise<void>): Promise<void> {
  await database.db.connection().execute(async (conn) => {
    if (database.engine === 'postgres') {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(conn)
      try {
        await work(conn)
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(conn)
      }
      return
    }
    await sql`begin immediate`.execute(conn)
    try {
      await work(conn)
      await sql`commit`.execute(conn)
    } catch (error) {
      await sql`rollback`.execute(conn)
      throw error
    }
  })
}

/** A step applied atomically with its bookkeeping row (on SQLite the surrounding run is the transaction). */
async function step(engine: Engine, db: Kysely<any>, work: (db: Kysely<any>) => Promise<void>): Promise<void> {
  if (engine === 'sqlite') return work(db)
  await db.transaction().execute(work)
}

async function appliedNames(db: Kysely<any>, t: ColumnTypes): Promise<Set<string>> {
  await db.schema
    .createTable(MIGRATIONS_TABLE)
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', t.bigint, (c) => c.notNull())
    .execute()
  const rows = await db.selectFrom(MIGRATIONS_TABLE).select('name').execute()
  return new Set(rows.map((row: { name: string }) => row.name))
}

/**
 * Applies every migration not yet applied, in order. Our own small runner rather than Kysely's Migrator:
 * that one looks for its bookkeeping tables across every schema of a PostgreSQL database, which goes
 * wrong when other schemas come and go.
 */
export async function migrateToLatest(database: Database): Promise<void> {
  const t = columnTypesFor(database.engine)
  await withMigrationLock(database, async (db) => {
    const applied = await appliedNames(db, t)
    for (const [name, migration] of Object.entries(MIGRATIONS)) {
      if (applied.has(name)) continue
      await step(database.engine, db, async (tx) => {
        await migration.up(tx, t)
        await tx.insertInto(MIGRATIONS_TABLE).values({ name, applied_at: Date.now() }).execute()
      })
    }
  })
}

/** Undoes the most recent migration. */
export async function migrateDown(database: Database): Promise<void> {
  const t = columnTypesFor(database.engine)
  await withMigrationLock(database, async (db) => {
    const applied = await appliedNames(db, t)
    const last = Object.keys(MIGRATIONS).filter((name) => applied.has(name)).pop()
    if (last === undefined) return
    await step(database.engine, db, async (tx) => {
      await MIGRATIONS[last].down(tx, t)
      await tx.deleteFrom(MIGRATIONS_TABLE).where('name', '=', last).execute()
    })
  })
}
