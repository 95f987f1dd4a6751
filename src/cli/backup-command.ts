import { parseArgs } from 'node:util'
import { DatabaseSync } from 'node:sqlite'
import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../config.ts'
import { createPrivateFile } from '../db/private-files.ts'
import { sqliteFileOf, userTables } from './sqlite-files.ts'
import { USAGE } from './usage.ts'

export async function runBackupCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } } })
  if (!values.to) {
    console.error(`kabao backup: --to is required\n\n${USAGE.backup}`)
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
