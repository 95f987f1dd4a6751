import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely'
import type { Database } from './database.ts'
import { columnTypesFor, type ColumnTypes } from './migrations/column-types.ts'
import * as m0001 from './migrations/0001-core.ts'
import * as m0002 from './migrations/0002-wallet-secret-rotation.ts'
import * as m0005 from './migrations/0005-staff.ts'

interface MigrationModule {
  up(db: Kysely<any>, t: ColumnTypes): Promise<void>
  down(db: Kysely<any>, t: ColumnTypes): Promise<void>
}

/** Every migration in order. Names never change once released. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001-core': m0001,
  '0002-wallet-secret-rotation': m0002,
  '0005-staff': m0005,
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
 * by the first migrator, so two processes starting together could otherwise race on creating it. On
 * SQLite the whole run is one write transaction.
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
    // Kysely takes no lock on SQLite (it assumes a single connection): hold SQLite's write lock for the
    // whole run instead, so a second process waits for the first and then finds nothing left to do.
    result = await database.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn)
      try {
        const outcome = await run(migratorFor(database, conn))
        await sql.raw(outcome.error ? 'rollback' : 'commit').execute(conn)
        return outcome
      } catch (error) {
        await sql`rollback`.execute(conn)
        throw error
      }
    })
  }
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error))
}

/**
 * Kysely's PostgreSQL introspection reads every schema of the database, so a schema that another application
 * (or a parallel test) drops meanwhile fails it with invalid_schema_name (3F000). A failed run is rolled back
 * whole, and a second look no longer sees that schema.
 */
async function retryingIfSchemaDropped(attempt: () => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (error) {
      if (tries >= 3 || (error as { code?: string } | null)?.code !== '3F000') throw error
    }
  }
}

export function migrateToLatest(database: Database): Promise<void> {
  return retryingIfSchemaDropped(() => runMigrator(database, (m) => m.migrateToLatest()))
}

export function migrateDown(database: Database): Promise<void> {
  return retryingIfSchemaDropped(() => runMigrator(database, (m) => m.migrateDown()))
}
