import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { statSync } from 'node:fs'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { cashCard } from '../helpers/app.ts'
import { kabaoEnv, runCli, startServer, type ServerProcess } from '../helpers/server-process.ts'

// `kabao backup --to FILE` copies a live SQLite database, consistent while a server keeps writing to it,
// and the copy restores: a server started on it serves the same data.

type Counts = Record<string, number>

function countRows(file: string): Counts {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite%' order by name").all().map((r) => (r as { name: string }).name)
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`select count(*) as n from "${t}"`).get() as { n: number }).n]))
  } finally {
    db.close()
  }
}

describe('kabao backup of a live SQLite database', () => {
  let database: TestDatabase
  let server: ServerProcess
  let dir: string
  let key: string
  let cardId: string
  const env = () => kabaoEnv(database.url)
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(server.base + url, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as any }
  }

  before(async () => {
    database = await createTestDatabase('sqlite', { sqliteFile: true })
    dir = await mkdtemp(path.join(tmpdir(), 'kabao-backup-'))
    server = await startServer(env())
    const created = await runCli(['merchant', 'create', '--name', 'Backed Up', '--json'], env())
    assert.equal(created.code, 0, created.stderr)
    key = JSON.parse(created.stdout).api_key
    const card = await api('POST', '/v1/cards', cashCard({ stock: 100_000 }))
    assert.equal(card.status, 201)
    cardId = card.body.id
  })
  after(async () => {
    await server?.stop()
    await database.drop()
    await rm(dir, { recursive: true, force: true })
  })

  it('takes a consistent copy while coupons are being issued', async () => {
    let issuing = true
    let issued = 0
    const load = (async () => {
      for (let i = 0; issuing; i++) {
        const res = await api('POST', `/v1/cards/${cardId}/issue`, { user_id: `live-${i}` })
        assert.equal(res.status, 201, JSON.stringify(res.body))
        issued++
      }
    })()
    while (issued < 20) await new Promise((resolve) => setTimeout(resolve, 10))
    const file = path.join(dir, 'during.db')
    const run = await runCli(['backup', '--to', file, '--json'], env())
    issuing = false
    await load
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout)
    assert.equal(report.file, file)

    const copy = new DatabaseSync(file, { readOnly: true })
    try {
      assert.equal((copy.prepare('pragma integrity_check').get() as { integrity_check: string }).integrity_check, 'ok')
      // Every issue is one transaction: the copy holds each whole or not at all.
      const card = copy.prepare('select issued_count, stock_remaining from cards where id = ?').get(cardId) as { issued_count: number; stock_remaining: number }
      const coupons = (copy.prepare('select count(*) as n from coupons where card_id = ?').get(cardId) as { n: number }).n
      const events = (copy.prepare("select count(*) as n from events where type = 'coupon.issued'").get() as { n: number }).n
      assert.ok(coupons >= 20, `only ${coupons} coupons in the copy`)
      assert.equal(card.issued_count, coupons)
      assert.equal(card.stock_remaining, 100_000 - coupons)
      assert.equal(events, coupons)
      assert.equal(report.tables.coupons, coupons)
    } finally {
      copy.close()
    }
  })

  it('restores: a server on the copy serves every row the original had', async () => {
    const file = path.join(dir, 'quiet.db')
    const run = await runCli(['backup', '--to', file], env())
    assert.equal(run.code, 0, run.stderr)
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the copy holds personal data: readable by its owner only')
    assert.match(run.stdout, /coupons\s+\d+ rows/)
    assert.deepEqual(countRows(file), countRows(database.url.slice('sqlite:'.length)))

    // Restoring is putting the file where DATABASE_URL points.
    const restoredDir = await mkdtemp(path.join(tmpdir(), 'kabao-restored-'))
    const restored = path.join(restoredDir, 'kabao.db')
    await copyFile(file, restored)
    const other = await startServer(kabaoEnv(`sqlite:${restored}`))
    try {
      const original = await api('GET', `/v1/cards/${cardId}`)
      const res = await fetch(`${other.base}/v1/cards/${cardId}`, { headers: { authorization: `Bearer ${key}` } })
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), original.body)
    } finally {
      await other.stop()
      await rm(restoredDir, { recursive: true, force: true })
    }
  })

  it('does not overwrite a file without --force, nor copy the database onto itself', async () => {
    const file = path.join(dir, 'exists.db')
    await writeFile(file, 'precious')
    const refused = await runCli(['backup', '--to', file], env())
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /--force/)
    const forced = await runCli(['backup', '--to', file, '--force'], env())
    assert.equal(forced.code, 0, forced.stderr)
    assert.ok(countRows(file).coupons > 0)
    const onto = await runCli(['backup', '--to', database.url.slice('sqlite:'.length)], env())
    assert.equal(onto.code, 2)
  })
})

describe('kabao backup on PostgreSQL', await engineOptions('postgres'), () => {
  it('points to pg_dump instead', async () => {
    const database = await createTestDatabase('postgres')
    try {
      const run = await runCli(['backup', '--to', '/tmp/never.db'], kabaoEnv(database.url))
      assert.equal(run.code, 2)
      assert.match(run.stderr, /pg_dump/)
    } finally {
      await database.drop()
    }
  })
})
