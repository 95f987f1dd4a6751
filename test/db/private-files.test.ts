import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openDatabase } from '../../src/db/database.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'

const modeOf = (file: string) => statSync(file).mode & 0o777

describe('the embedded database on disk', () => {
  it('creates its folder for its user only and its files readable by that user only, WAL files included', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kabao-files-'))
    try {
      const file = path.join(root, 'data', 'nested', 'kabao.db')
      const database = openDatabase(`sqlite:${file}`)
      try {
        await migrateToLatest(database)
        assert.equal(modeOf(path.join(root, 'data')), 0o700)
        assert.equal(modeOf(path.dirname(file)), 0o700)
        // While open, the write-ahead log and its index sit next to the database.
        for (const created of [file, `${file}-wal`, `${file}-shm`]) assert.equal(modeOf(created), 0o600, created)
      } finally {
        await database.close()
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('keeps the permissions of a folder and file that already exist', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kabao-files-'))
    try {
      chmodSync(root, 0o755)
      const file = path.join(root, 'kabao.db')
      writeFileSync(file, '')
      chmodSync(file, 0o640)
      const database = openDatabase(`sqlite:${file}`)
      await database.close()
      assert.equal(modeOf(root), 0o755)
      assert.equal(modeOf(file), 0o640)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
