import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import pg from 'pg'
import { openDatabase, type Database, type Engine } from '../../src/db/database.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'

export const ENGINES: Engine[] = ['sqlite', 'postgres']

export const POSTGRES_URL = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/test'

let postgresReachable: Promise<boolean> | undefined

/** Whether PostgreSQL answers. In CI (CI=true) a missing PostgreSQL fails the run instead of skipping. */
export function postgresAvailable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    // A busy machine (the suite runs files in parallel) may be slow to accept a connection: try a few times.
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 10_000 })
      try {
        await client.connect()
        await client.query('select 1')
        return true
      } catch (error) {
        lastError = error
      } finally {
        await client.end().catch(() => {})
      }
    }
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI but ${POSTGRES_URL} does not answer: ${(lastError as Error).message}`)
    return false
  })()
  return postgresReachable
}

/** `{ skip }` options for node:test: PostgreSQL suites skip only outside CI when it is missing. */
export async function engineOptions(engine: Engine): Promise<{ skip: string | false }> {
  if (engine === 'sqlite') return { skip: false }
  return { skip: (await postgresAvailable()) ? false : 'PostgreSQL is not reachable (set DATABASE_URL)' }
}

export interface TestDatabase {
  engine: Engine
  /** A DATABASE_URL that other processes can open: same data. */
  url: string
  database: Database
  /** Closes and removes everything this database held. */
  drop(): Promise<void>
}

function withSearchPath(base: string, schema: string): string {
  const url = new URL(base)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/**
 * A fresh, migrated database for one test file: an SQLite file in a temp dir (a file, so other
 * processes can share it) or its own schema on PostgreSQL.
 */
export async function createTestDatabase(engine: Engine, options: { migrate?: boolean; sqliteFile?: boolean } = {}): Promise<TestDatabase> {
  const { url, removeData } = engine === 'sqlite' ? sqliteTestUrl(options.sqliteFile ?? false) : await postgresTestSchema()
  const database = openDatabase(url, engine === 'postgres' ? { poolSize: 20 } : undefined)
  if (options.migrate ?? true) await migrateToLatest(database)
  return {
    engine,
    url,
    database,
    async drop() {
      await database.close()
      await removeData()
    },
  }
}

/** An in-memory database, or a file in a folder of its own that dropping removes. */
function sqliteTestUrl(file: boolean): { url: string; removeData: () => Promise<void> } {
  if (!file) return { url: 'sqlite::memory:', removeData: async () => undefined }
  const folder = `/tmp/kabao-test-${randomBytes(6).toString('hex')}`
  return { url: `sqlite:${folder}/kabao.db`, removeData: () => rm(folder, { recursive: true, force: true }) }
}

/** A schema of its own in the test PostgreSQL, dropped with everything in it. */
async function postgresTestSchema(): Promise<{ url: string; removeData: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await run(`create schema ${schema}`)
  return { url: withSearchPath(POSTGRES_URL, schema), removeData: () => run(`drop schema if exists ${schema} cascade`) }
}
