import { parseArgs } from 'node:util'
import { DatabaseSync } from 'node:sqlite'
import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../config.ts'
import { createPrivateFile } from '../db/private-files.ts'
import { sqliteFileOf, userTables } from './sqlite-files.ts'

const USAGE = `usage: kabao backup --to FILE [--force] [--json]

Copies the SQLite database of DATABASE_URL into FILE while the server keeps running: the copy is one
consistent snapshot (SQLite's VACUUM INTO, in a read transaction that does not hold writers up), written
next to FILE and renamed into place when complete. To restore, stop the server, put the copy where
DATABASE_URL points (removing any -wal and -shm files beside it) and start again.

On PostgreSQL use pg_dump and pg_restore (see docs/operations.md).

  --force   replace FILE if it exists
  --json    print {"file", "bytes", "tables": {name: rows}} on stdout

Exit status: 0 backed up, 1 the copy failed, 2 usage error.`

export async function runBackupCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (!values.to) {
    console.error(`kabao backup: --to is required\n\n${USAGE}`)
    return 2
  }
  const { databaseUrl } = loadConfig()
  const source = sqliteFileOf(databaseUrl)
  if (source === null) {
    console.error('kabao backup: DATABASE_URL is not an SQLite file; back PostgreSQL up with pg_dump (see docs/operations.md)')
    return 2
  }
  if (!existsSync(source)) {
    console.error(`kabao backup: there is no database at ${source}`)
    return 2
  }
  const target = path.resolve(values.to)
  if (target === path.resolve(source)) {
    console.error('kabao backup: --to must not be the database itself')
    return 2
  }
  if (existsSync(target) && !values.force) {
    console.error(`kabao backup: ${target} exists; pass --force to replace it`)
    return 2
  }

  const partial = `${target}.partial`
  rmSync(partial, { force: true })
  // VACUUM INTO fills an empty file and keeps its permissions: the copy is as private as the database.
  createPrivateFile(partial)
  const db = new DatabaseSync(source, { timeout: 5000 })
  try {
    db.prepare('VACUUM INTO ?').run(partial)
  } catch (error) {
    rmSync(partial, { force: true })
    console.error(`kabao backup: the copy failed: ${(error as Error).message}`)
    return 1
  } finally {
    db.close()
  }

  const copy = new DatabaseSync(partial, { readOnly: true })
  let tables: Record<string, number>
  try {
    const check = (copy.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check
    if (check !== 'ok') {
      console.error(`kabao backup: the copy does not pass SQLite's check: ${check}`)
      return 1
    }
    tables = Object.fromEntries(userTables(copy).map((table) => [table, (copy.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n]))
  } finally {
    copy.close()
  }
  renameSync(partial, target)
  const bytes = statSync(target).size
  if (values.json) {
    process.stdout.write(JSON.stringify({ file: target, bytes, tables }) + '\n')
  } else {
    console.log(`backed up ${source} to ${target} (${(bytes / 1024 / 1024).toFixed(1)} MB)`)
    for (const [table, rows] of Object.entries(tables)) console.log(`  ${table.padEnd(24)} ${rows.toLocaleString('en-US')} rows`)
  }
  return 0
}
