import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { CompiledQuery, SelectQueryNode, type DatabaseConnection, type Driver, type QueryResult } from 'kysely'

const STATEMENT_CACHE_SIZE = 500
/** Transactions one commit may carry: bounds how long a busy process holds SQLite's write lock at a time. */
const MAX_GROUP = 64
const MEMBER = 'kabao_member'

interface Prepared {
  statement: StatementSync
  /** Whether it returns rows, asked once rather than on every execution. */
  reader: boolean
}

/** A FIFO lock that knows whether anyone is waiting for it. */
class Mutex {
  #locked = false
  readonly #waiting: (() => void)[] = []
  get waiting(): number {
    return this.#waiting.length
  }
  get locked(): boolean {
    return this.#locked
  }
  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }
  /** Hands the lock to the next waiter, or frees it. */
  unlock(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#locked = false
  }
}

interface Member {
  resolve(): void
  reject(error: unknown): void
}

/**
 * Kysely driver for node:sqlite with group commit. SQLite has one writer at a time and, in a single process,
 * one connection that every request takes turns on; the commit (writing the WAL frames) is the largest
 * single cost of a short write transaction. So a transaction does not commit on its own while others are
 * queued for the connection: it ends as a savepoint released inside a shared write transaction, and the
 * next queued one carries on in it. The last in the queue (or the MAX_GROUP-th) commits for all.
 *
 * Nobody is answered before their writes are committed: every use of the connection while a group is open,
 * a failed transaction or a plain read included (it may have seen the group's uncommitted writes), waits
 * for the group's commit in `releaseConnection`, and if the group fails, every member fails with it. With
 * nothing queued a transaction commits at once, as before. Write transactions take the write lock up front
 * (BEGIN IMMEDIATE): a deferred one that reads first and writes later can fail with SQLITE_BUSY when
 * another process wrote in between.
 */
export class GroupCommitSqliteDriver implements Driver {
  readonly #raw: DatabaseSync
  readonly #mutex = new Mutex()
  readonly #statements = new Map<string, Prepared>()
  readonly #connection: DatabaseConnection
  /** Whether a shared write transaction is open; its members wait for its commit. */
  #groupOpen = false
  #members: Member[] = []
  #commitScheduled = false

  constructor(raw: DatabaseSync) {
    this.#raw = raw
    this.#connection = {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => this.#execute<R>(query),
      streamQuery: <R>(query: CompiledQuery) => this.#stream<R>(query),
    }
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock()
    return this.#connection
  }

  async beginTransaction(): Promise<void> {
    if (!this.#groupOpen) {
      this.#raw.exec('BEGIN IMMEDIATE')
      this.#groupOpen = true
    }
    this.#raw.exec(`SAVEPOINT ${MEMBER}`)
  }

  async commitTransaction(): Promise<void> {
    // Durable only when the group commits, which releaseConnection waits for.
    this.#raw.exec(`RELEASE ${MEMBER}`)
  }

  async rollbackTransaction(): Promise<void> {
    if (this.#raw.isTransaction) {
      this.#raw.exec(`ROLLBACK TO ${MEMBER}`)
      this.#raw.exec(`RELEASE ${MEMBER}`)
    } else {
      // SQLite rolled the whole shared transaction back (a full disk, an I/O error): everyone in it failed.
      this.#failGroup(new Error('the write transaction was rolled back by SQLite'))
    }
  }

  async savepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    this.#raw.exec(`SAVEPOINT ${quoteName(name)}`)
  }

  async rollbackToSavepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    this.#raw.exec(`ROLLBACK TO ${quoteName(name)}`)
  }

  async releaseSavepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    this.#raw.exec(`RELEASE ${quoteName(name)}`)
  }

  async releaseConnection(): Promise<void> {
    if (!this.#groupOpen) {
      this.#mutex.unlock()
      return
    }
    const committed = new Promise<void>((resolve, reject) => this.#members.push({ resolve, reject }))
    if (this.#members.length >= MAX_GROUP) this.#commitGroup()
    else if (this.#mutex.waiting === 0) this.#scheduleCommit()
    this.#mutex.unlock()
    await committed
  }

  /**
   * Commits after the requests whose bytes have already arrived have had their turn (setImmediate runs
   * once the event loop has handled the pending I/O), so that they join this commit rather than each
   * paying for one. If someone holds the connection by then, their release schedules it again.
   */
  #scheduleCommit(): void {
    if (this.#commitScheduled) return
    this.#commitScheduled = true
    setImmediate(() => {
      this.#commitScheduled = false
      if (!this.#groupOpen || this.#mutex.locked) return
      this.#commitGroup()
    })
  }

  async destroy(): Promise<void> {
    // Members already released are waiting for this commit; one still holding the connection is cut short.
    if (this.#groupOpen && !this.#mutex.locked) this.#commitGroup()
    this.#statements.clear()
    this.#raw.close()
  }

  #commitGroup(): void {
    const members = this.#members
    this.#members = []
    this.#groupOpen = false
    try {
      this.#raw.exec('COMMIT')
    } catch (error) {
      if (this.#raw.isTransaction) this.#raw.exec('ROLLBACK')
      for (const member of members) member.reject(error)
      return
    }
    for (const member of members) member.resolve()
  }

  #failGroup(error: unknown): void {
    const members = this.#members
    this.#members = []
    this.#groupOpen = false
    for (const member of members) member.reject(error)
  }

  #prepare(sql: string): Prepared {
    let prepared = this.#statements.get(sql)
    if (prepared === undefined) {
      const statement = this.#raw.prepare(sql)
      prepared = { statement, reader: statement.columns().length > 0 }
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value as string)
      this.#statements.set(sql, prepared)
    }
    return prepared
  }

  #execute<R>({ sql, parameters }: CompiledQuery): QueryResult<R> {
    // A transaction begun by hand (the migrator's) starts after the group's work is committed.
    if (this.#groupOpen && /^\s*begin\b/i.test(sql)) this.#commitGroup()
    const { statement, reader } = this.#prepare(sql)
    try {
      if (reader) return { rows: statement.all(...(parameters as never[])) as R[] }
      const { changes, lastInsertRowid } = statement.run(...(parameters as never[]))
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
    } catch (error) {
      if (this.#groupOpen && !this.#raw.isTransaction) this.#failGroup(error)
      throw error
    }
  }

  async *#stream<R>({ sql, parameters, query }: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query)) throw new Error('SQLite streams select queries only')
    for (const row of this.#prepare(sql).statement.iterate(...(parameters as never[]))) yield { rows: [row as R] }
  }
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
