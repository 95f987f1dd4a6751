import { createHash } from 'node:crypto'
import { CompiledQuery, SqliteAdapter } from 'kysely'
import type { Database, Db, Engine } from './database.ts'

/**
 * A hand-written SQL statement for the hottest paths (looking a code up, redeeming it), where building the
 * query with Kysely on every request cost a tenth of a redemption. Written once with `?` placeholders; the
 * PostgreSQL text numbers them. Statements name their columns (never `*`), so a column added by a later
 * migration leaves a statement prepared in a running process valid.
 */
export interface Statement {
  /** The name PostgreSQL prepares it under, from its text: a changed text is a new statement. */
  readonly name: string
  readonly sql: Record<Engine, string>
}

export function statement(sqliteText: string): Statement {
  const text = sqliteText.replace(/\s+/g, ' ').trim()
  let n = 0
  const postgres = text.replace(/\?/g, () => `$${++n}`)
  return { name: `kabao_${createHash('sha256').update(postgres).digest('hex').slice(0, 20)}`, sql: { sqlite: text, postgres } }
}

export type Row = Record<string, unknown>

/**
 * Runs a statement. Inside a transaction pass its handle as `tx`; outside one, PostgreSQL runs it as a
 * named prepared statement, planned once per pooled connection rather than on every execution.
 */
export async function runStatement<R = Row>(database: Database, st: Statement, parameters: readonly unknown[], tx?: Db): Promise<R[]> {
  if (tx === undefined && database.prepared) return database.prepared<R>(st.name, st.sql.postgres, parameters)
  const result = await (tx ?? database.db).executeQuery<R>(CompiledQuery.raw(st.sql[database.engine], [...parameters]))
  return result.rows
}

/**
 * Runs a statement in `db` (a transaction, usually) where only the Kysely handle is at hand: the engine's
 * text is chosen by the handle's dialect. Not prepared by name on PostgreSQL (inside a transaction nothing
 * is); on SQLite every statement's text is prepared once and kept (dialect/sqlite-group-commit.ts).
 */
export async function runStatementIn<R = Row>(db: Db, st: Statement, parameters: readonly unknown[]): Promise<R[]> {
  const result = await db.executeQuery<R>(CompiledQuery.raw(st.sql[engineOf(db)], [...parameters]))
  return result.rows
}

/** The engine behind a Kysely handle (or a transaction of one). */
export function engineOf(db: Db): Engine {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres'
}

/** A comma-separated column list, each qualified by `alias`. */
export function columnList(alias: string, columns: readonly string[]): string {
  return columns.map((column) => `${alias}.${column}`).join(', ')
}

/**
 * Runs a write that is atomic by itself (one statement), outside any transaction of the caller's. On
 * PostgreSQL it is a named prepared statement on the pool, committed alone. On SQLite it runs as a
 * transaction of its own, which shares the commit of the transactions queued with it (group commit):
 * a lone statement outside a transaction would pay for a commit by itself.
 */
export async function runWrite<R = Row>(database: Database, st: Statement, parameters: readonly unknown[]): Promise<R[]> {
  if (database.prepared) return database.prepared<R>(st.name, st.sql.postgres, parameters)
  return database.db.transaction().execute((tx) => runStatement<R>(database, st, parameters, tx))
}
