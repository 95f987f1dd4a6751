import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

const STATEMENT_CACHE_SIZE = 500

/**
 * Adapts node:sqlite's synchronous DatabaseSync to the shape Kysely's SqliteDialect expects, and keeps
 * prepared statements so the same SQL is not compiled by SQLite on every request.
 */
export function adaptNodeSqlite(database: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, StatementSync>()
  const prepare = (sql: string): StatementSync => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = database.prepare(sql)
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
      cache.set(sql, statement)
    }
    return statement
  }
  return {
    close: () => {
      cache.clear()
      database.close()
    },
    prepare(sql: string): SqliteStatement {
      const statement = prepare(sql)
      return {
        reader: statement.columns().length > 0,
        all: (params) => statement.all(...(params as never[])) as unknown[],
        run: (params) => statement.run(...(params as never[])),
        iterate: (params) => statement.iterate(...(params as never[])) as IterableIterator<unknown>,
      }
    },
  }
}

/**
 * Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE): a deferred transaction that
 * reads first and writes later can fail with SQLITE_BUSY when another process wrote in between.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase
  constructor(database: SqliteDatabase) {
    super({ database })
    this.#database = database
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database })
  }
}

export function openSqlite(file: string, synchronous: 'NORMAL' | 'FULL'): { dialect: SqliteDialect; raw: DatabaseSync } {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const raw = new DatabaseSync(file, { timeout: 5000 })
  raw.exec('PRAGMA journal_mode = WAL')
  raw.exec(`PRAGMA synchronous = ${synchronous}`)
  raw.exec('PRAGMA foreign_keys = ON')
  return { dialect: new ImmediateSqliteDialect(adaptNodeSqlite(raw)), raw }
}

/** SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555). */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number } | null)?.errcode
  return code === 2067 || code === 1555
}
