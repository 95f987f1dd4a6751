import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely'
import type { Database } from './database.ts'
import { columnTypesFor, type ColumnTypes } from './migrations/column-types.ts'
import * as m0001 from './migrations/0001-core.ts'

interface MigrationModule {
  up(db: Kysely<any>, t: ColumnTypes): Promise<void>
  down(db: Kysely<any>, t: ColumnTypes): Promise<void>
}

/** Every migration in order. Names never change once released. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001-core': m0001,
}

/** Any number, as long as it is the same in every process: serialises concurrent starts on PostgreSQL. */
const MIGRATION_LOCK_ID = 4_242_001

function migratorFor(database: Database, db: Kysely<any>, schema?: string): Migrator {
  const t = columnTypesFor(database.engine)
  const migrations: Record<string, Migration> = {}
  for (const [name, module] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (d) => module.up(d, t), down: (d) => module.down(d, t) }
  }
  // On PostgreSQL the bookkeeping tables live in the current schema; Kysely would otherwise find another
  // schema's tables of the same name and skip creating its own.
  return new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema: schema })
}

/**
 * Runs the migrator under a session-level advisory lock on PostgreSQL: Kysely's own lock table is created
 * by the first migrator, so two processes starting together could otherwise race on creating it.
 */
async function runMigrator(database: Database, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<void> {
  let result: MigrationResultSet
  if (database.engine === 'postgres') {
    result = await database.db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(conn)
      try {
        const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(conn)
        return await run(migratorFor(database, conn, rows[0].schema))
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(conn)
      }
    })
  } else {
    result = await run(migratorFor(database, database.db))
  }
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error))
}

export function migrateToLatest(database: Database): Promise<void> {
  return runMigrator(database, (m) => m.migrateToLatest())
}

export function migrateDown(database: Database): Promise<void> {
  return runMigrator(database, (m) => m.migrateDown())
}
