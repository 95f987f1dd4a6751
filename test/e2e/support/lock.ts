import { mkdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

/** A lock older than this was left by a process that died holding it. */
const STALE_MS = 15 * 60 * 1000

/**
 * Runs `work` while holding a machine-wide lock (a directory in the temp dir), so test files running in
 * parallel processes install or build something once; the others wait and then find it done.
 */
export async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const dir = path.join(os.tmpdir(), `kabao-${name}.lock`)
  for (;;) {
    try {
      mkdirSync(dir)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      try {
        if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true })
      } catch {
        // Removed by its holder meanwhile.
      }
      await delay(200)
    }
  }
  try {
    return await work()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
