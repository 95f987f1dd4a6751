import { CompiledQuery, Kysely, sql, type SelectQueryBuilder, type Transaction } from 'kysely'
import type { DB } from './schema.ts'
import type { Statement } from './statements.ts'
import { openSqlite, isSqliteUniqueViolation } from './dialect/sqlite.ts'
import { openPostgres, isPostgresUniqueViolation } from './dialect/postgres.ts'
import { takeOneFromStockPostgres, takeOneFromStockSqlite, type StockTake } from './dialect/stock.ts'

export type { StockTake } from './dialect/stock.ts'

export type Engine = 'sqlite' | 'postgres'
export type Db = Kysely<DB>
export type Tx = Transaction<DB>

/** The open database: the Kysely handle plus the few things that differ between engines. */
export interface Database {
  readonly engine: Engine
  readonly db: Db
  isUniqueViolation(error: unknown): boolean
  /**
   * Rows a worker claims for its transaction: on PostgreSQL they are locked, and rows another worker's
   * transaction holds are skipped (`FOR UPDATE [OF table] SKIP LOCKED`), so several processes claim
   * disjoint batches without waiting on each other. SQLite needs nothing: its write transactions
   * (BEGIN IMMEDIATE) already run one at a time.
   */
  claimRows<TB extends keyof DB & string, O>(query: SelectQueryBuilder<DB, TB, O>, of?: TB): SelectQueryBuilder<DB, TB, O>
  /**
   * Takes one coupon from an active card's stock and records the event (its `stock_remaining`
   * filled in with what is left), in the caller's transaction; false, with nothing written, when the
   * stock is gone or the card is no longer active. On PostgreSQL both are one statement: the update
   * locks the card's row until commit, and parallel issues queue on it, so each round trip saved while
   * holding it counts. SQLite runs one writer at a time and has no round trips: two statements.
   */
  takeOneFromStock(tx: Db, take: StockTake): Promise<boolean>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
  /** PostgreSQL only: runs a named prepared statement on a pooled connection (see db/statements.ts). */
  prepared?<R>(name: string, text: string, parameters: readonly unknown[]): Promise<R[]>
  /**
   * Runs a write to several tables as one data-modifying `WITH` statement: atomic by itself, so it needs no
   * transaction around it (outside one it runs prepared on the pool, inside `tx` when given). PostgreSQL
   * only: SQLite's `WITH` cannot write, so there this is undefined and the caller writes the tables one by
   * one inside a transaction.
   */
  writeAtOnce?<R>(st: Statement, parameters: readonly unknown[], tx?: Db): Promise<R[]>
  /**
   * Where a short write that comes just before a write transaction of the same request (a risk counter's
   * hit before its redemption) costs least. `in_transaction` on SQLite: every write transaction waits for
   * its group's commit (dialect/sqlite-group-commit.ts), so a write of its own costs a savepoint and a
   * second commit to wait for, and inside the transaction it costs the statement alone. `on_its_own` on
   * PostgreSQL: alone it is one prepared statement on the pool shared with the writes of the moment,
   * where inside a transaction it would be a round trip more on a connection held longer.
   */
  shortWritePlacement(): 'in_transaction' | 'on_its_own'
}

export interface OpenOptions {
  sqliteSynchronous?: 'NORMAL' | 'FULL'
  poolSize?: number
}

export function openDatabase(url: string, options: OpenOptions = {}): Database {
  if (url.startsWith('sqlite:')) {
    const { dialect } = openSqlite(url.slice('sqlite:'.length), options.sqliteSynchronous ?? 'NORMAL')
    const db = new Kysely<DB>({ dialect })
    return {
      engine: 'sqlite',
      db,
      isUniqueViolation: isSqliteUniqueViolation,
      claimRows: (query) => query,
      takeOneFromStock: takeOneFromStockSqlite,
      shortWritePlacement: () => 'in_transaction',
      ping: async () => {
        await sql`select 1`.execute(db)
      },
      close: () => db.destroy(),
    }
  }
  const { dialect, pool } = openPostgres(url, options.poolSize ?? 10)
  const db = new Kysely<DB>({ dialect })
  const prepared = async <R>(name: string, text: string, parameters: readonly unknown[]) => (await pool.query({ name, text, values: [...parameters] })).rows as R[]
  return {
    engine: 'postgres',
    prepared,
    writeAtOnce: async <R>(st: Statement, parameters: readonly unknown[], tx?: Db) =>
      tx === undefined ? prepared<R>(st.name, st.sql.postgres, parameters) : (await tx.executeQuery<R>(CompiledQuery.raw(st.sql.postgres, [...parameters]))).rows,
    db,
    isUniqueViolation: isPostgresUniqueViolation,
    claimRows: (query, of) => query.forUpdate(of).skipLocked(),
    takeOneFromStock: takeOneFromStockPostgres,
    shortWritePlacement: () => 'on_its_own',
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    close: () => db.destroy(),
  }
}

/** JSON columns come back parsed from PostgreSQL (jsonb) and as text from SQLite. */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

/** Writes a JSON column on either engine (pg casts text to jsonb on insert). */
export function toJson(value: unknown): string {
  return JSON.stringify(value)
}
