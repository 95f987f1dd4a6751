import { DatabaseSync } from 'node:sqlite'
import { SqliteDialect, type Driver } from 'kysely'
import { GroupCommitSqliteDriver } from './sqlite-group-commit.ts'
import { createPrivateFile } from '../private-files.ts'

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

/** SQLite's page cache, in KiB: holds the upper levels of every index of a database of millions of coupons. */
const SQLITE_CACHE_KIB = 32 * 1024

export function openSqlite(file: string, synchronous: 'NORMAL' | 'FULL'): { dialect: SqliteDialect; raw: DatabaseSync } {
  if (file !== ':memory:') createPrivateFile(file)
  const raw = new DatabaseSync(file, { timeout: 5000 })
  raw.exec('PRAGMA journal_mode = WAL')
  raw.exec(`PRAGMA synchronous = ${synchronous}`)
  raw.exec('PRAGMA foreign_keys = ON')
  // The default page cache (2 MiB) re-reads the hot index pages from the file for every statement, and
  // savepoints journal to a temporary file by default: both cost a redemption more than its own work.
  raw.exec(`PRAGMA cache_size = -${SQLITE_CACHE_KIB}`)
  raw.exec('PRAGMA temp_store = MEMORY')
  return { dialect: new NodeSqliteDialect(raw), raw }
}

/** SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555). */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number } | null)?.errcode
  return code === 2067 || code === 1555
}
