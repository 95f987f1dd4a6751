import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import path from 'node:path'

/**
 * The embedded database holds customers' personal data and hashed secrets: a folder Kabao creates for it
 * is readable by its own user only (0700), and so is each file it creates there (0600). SQLite gives its
 * -wal and -shm files the database file's permissions. Existing folders and files keep theirs.
 */
export function createPrivateFile(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 })
  if (existsSync(file)) return
  try {
    closeSync(openSync(file, 'wx', 0o600))
  } catch (error) {
    // Another process created it at the same moment.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}
