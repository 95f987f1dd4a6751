import { DatabaseSync } from 'node:sqlite'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { SqliteDialect, type Driver } from 'kysely'
import { GroupCommitSqliteDriver } from './sqlite-group-commit.ts'

/** Kysely's SQLite dialect (its SQL, adapter and introspection) over node:sqlite with group commit. */
class NodeSqliteDialect extends SqliteDialect {
  readonly #raw: DatabaseSync
  constructor(raw: DatabaseSync) {
    super({ database: {} as never })
    this.#raw = raw
  }
  override createDriver(): Driver {
    return new GroupCommitSqliteDriver(this.#raw)
  }
}

export function openSqlite(file: string, synchronous: 'NORMAL' | 'FULL'): { dialect: SqliteDialect; raw: DatabaseSync } {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const raw = new DatabaseSync(file, { timeout: 5000 })
  raw.exec('PRAGMA journal_mode = WAL')
  raw.exec(`PRAGMA synchronous = ${synchronous}`)
  raw.exec('PRAGMA foreign_keys = ON')
  return { dialect: new NodeSqliteDialect(raw), raw }
}

/** SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555). */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number } | null)?.errcode
  return code === 2067 || code === 1555
}
