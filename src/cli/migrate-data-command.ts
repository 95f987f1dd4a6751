import { parseArgs } from 'node:util'
import { DatabaseSync } from 'node:sqlite'
import { createHash } from 'node:crypto'
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { loadConfig } from '../config.ts'
import { openDatabase } from '../db/database.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { openConfiguredDatabase } from '../main.ts'
import { sqliteFileOf, userTables } from './sqlite-files.ts'
import { USAGE } from './usage.ts'

/** Values bound per INSERT, under PostgreSQL's limit of 65,535 parameters. */
const MAX_PARAMETERS = 60_000
const MAX_BATCH_ROWS = 2_000

type Row = Record<string, unknown>

class Refusal extends Error {}

interface TableCopy {
  table: string
  rows: number
  checksum: string
}

/** The primary-key columns of an SQLite table, in key order. */
function primaryKey(db: DatabaseSync, table: string): string[] {
  const columns = db.prepare(`pragma table_info("${table}")`).all() as { name: string; pk: number }[]
  const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
  if (key.length === 0) throw new Refusal(`table ${table} has no primary key to copy it in order by`)
  return key
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Row)[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * An order-independent checksum of a table's rows: the sum, modulo 2^64, of a hash of each row in a form both
 * engines agree on (JSON compared as parsed values, since jsonb stores its own spelling of a document).
 */
class Checksum {
  readonly #columns: string[]
  readonly #json: Set<string>
  #sum = 0n
  rows = 0
  constructor(columns: string[], jsonColumns: Set<string>) {
    this.#columns = [...columns].sort()
    this.#json = jsonColumns
  }
  add(row: Row): void {
    const canonical = this.#columns.map((column) => {
      const value = row[column] ?? null
      if (value === null) return null
      if (this.#json.has(column)) return canonicalJson(typeof value === 'string' ? JSON.parse(value) : value)
      return typeof value === 'bigint' ? value.toString() : value
    })
    const digest = createHash('sha256').update(JSON.stringify(canonical)).digest()
    this.#sum = (this.#sum + digest.readBigUInt64BE(0)) & 0xffff_ffff_ffff_ffffn
    this.rows++
  }
  get value(): string {
    return this.#sum.toString(16).padStart(16, '0')
  }
}

async function targetColumns(db: Kysely<any>, table: string): Promise<{ columns: string[]; json: Set<string> }> {
  const { rows } = await sql<{ column_name: string; data_type: string }>`
    select column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name = ${table}`.execute(db)
  return { columns: rows.map((r) => r.column_name), json: new Set(rows.filter((r) => r.data_type === 'jsonb').map((r) => r.column_name)) }
}

async function refuseNonEmpty(db: Kysely<any>, tables: string[]): Promise<void> {
  const holding: string[] = []
  for (const table of tables) {
    const { rows } = await sql<{ any: boolean }>`select exists (select 1 from ${sql.table(table)}) as any`.execute(db)
    if (rows[0].any) holding.push(table)
  }
  if (holding.length > 0) throw new Refusal(`the target is not empty (${holding.join(', ')} hold rows); migrate into an empty database`)
}

/** Reads the copied table back from the target, in key-ordered pages, into a checksum. */
async function checksumOfTarget(tx: Transaction<any>, table: string, key: string[], columns: string[], json: Set<string>, batch: number): Promise<Checksum> {
  const checksum = new Checksum(columns, json)
  let after: unknown[] | null = null
  for (;;) {
    const keyTuple = sql.join(key.map((c) => sql.ref(c)))
    const where: RawBuilder<unknown> = after === null ? sql`true` : sql`(${keyTuple}) > (${sql.join(after.map((v) => sql.val(v)))})`
    const { rows }: { rows: Row[] } = await sql<Row>`select * from ${sql.table(table)} where ${where} order by ${keyTuple} limit ${batch}`.execute(tx)
    for (const row of rows) checksum.add(row)
    if (rows.length < batch) return checksum
    const last: Row = rows[rows.length - 1]
    after = key.map((c) => last[c])
  }
}

async function copyTable(source: DatabaseSync, tx: Transaction<any>, table: string): Promise<TableCopy> {
  const key = primaryKey(source, table)
  const sourceColumns = (source.prepare(`pragma table_info("${table}")`).all() as { name: string }[]).map((c) => c.name)
  const { columns, json } = await targetColumns(tx, table)
  const missing = sourceColumns.filter((c) => !columns.includes(c))
  if (columns.length === 0 || missing.length > 0 || columns.length !== sourceColumns.length) {
    throw new Refusal(`table ${table} differs between the databases (source columns ${sourceColumns.join(', ')}; target ${columns.join(', ') || 'none'})`)
  }
  const batch = Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / columns.length))
  const copied = new Checksum(columns, json)
  let rows: Row[] = []
  const flush = async () => {
    if (rows.length > 0) await tx.insertInto(table).values(rows).execute()
    rows = []
  }
  const ordered = source.prepare(`select * from "${table}" order by ${key.map((c) => `"${c}"`).join(', ')}`)
  for (const row of ordered.iterate() as Iterable<Row>) {
    copied.add(row)
    rows.push(row)
    if (rows.length === batch) await flush()
  }
  await flush()
  const landed = await checksumOfTarget(tx, table, key, columns, json, batch)
  if (landed.rows !== copied.rows || landed.value !== copied.value) {
    throw new Error(`table ${table} did not arrive whole: ${copied.rows} rows (checksum ${copied.value}) read, ${landed.rows} (checksum ${landed.value}) in the target`)
  }
  return { table, rows: copied.rows, checksum: copied.value }
}

export async function runMigrateDataCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' }, json: { type: 'boolean' } } })
  if (!values.to || !/^postgres(ql)?:\/\//.test(values.to)) {
    console.error(`kabao migrate-data: --to must be a postgres:// URL\n\n${USAGE['migrate-data']}`)
    return 2
  }
  const config = loadConfig()
  const file = sqliteFileOf(config.databaseUrl)
  if (file === null) {
    console.error('kabao migrate-data: DATABASE_URL must be the SQLite file to copy from')
    return 2
  }
  const started = performance.now()
  // Both schemas up to date, so that they have the same tables and columns.
  const sourceDb = openConfiguredDatabase(config)
  try {
    await migrateToLatest(sourceDb)
  } finally {
    await sourceDb.close()
  }
  const target = openDatabase(values.to, { poolSize: 2 })
  const source = new DatabaseSync(file, { readOnly: true, timeout: 5000 })
  try {
    await migrateToLatest(target)
    const tables = userTables(source)
    await refuseNonEmpty(target.db, tables)
    // One read transaction: every table is read as of the same moment.
    source.exec('begin')
    const copies = await target.db.transaction().execute(async (tx) => {
      const done: TableCopy[] = []
      for (const table of tables) {
        const copy = await copyTable(source, tx as Transaction<any>, table)
        if (!values.json) console.error(`kabao migrate-data: ${table}: ${copy.rows.toLocaleString('en-US')} rows, checksum ${copy.checksum}`)
        done.push(copy)
      }
      return done
    })
    const seconds = Math.round((performance.now() - started) / 100) / 10
    if (values.json) process.stdout.write(JSON.stringify({ tables: copies, seconds }) + '\n')
    else console.log(`copied ${copies.reduce((n, c) => n + c.rows, 0).toLocaleString('en-US')} rows in ${copies.length} tables in ${seconds} s; every table's count and checksum match`)
    return 0
  } catch (error) {
    console.error(`kabao migrate-data: ${error instanceof Refusal ? '' : 'failed, nothing was kept in the target: '}${(error as Error).message}`)
    return 1
  } finally {
    if (source.isTransaction) source.exec('rollback')
    source.close()
    await target.close()
  }
}
