import type { DatabaseSync } from 'node:sqlite'
import path from 'node:path'
import { MIGRATIONS_TABLE } from '../db/migrate.ts'

/** The file of an `sqlite:` DATABASE_URL; null for PostgreSQL and for an in-memory database. */
export function sqliteFileOf(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('sqlite:')) return null
  const file = databaseUrl.slice('sqlite:'.length)
  return file === ':memory:' ? null : path.resolve(file)
}

/** Kabao's tables in an SQLite database: SQLite's own and the migrator's bookkeeping left out. */
export function userTables(db: DatabaseSync): string[] {
  return db
    .prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' and name <> '${MIGRATIONS_TABLE}' order by name`)
    .all()
    .map((row) => (row as { name: string }).name)
}
