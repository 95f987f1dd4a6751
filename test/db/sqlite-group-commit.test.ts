import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql, type Kysely } from 'kysely'
import { openDatabase, type Database } from '../../src/db/database.ts'

// SQLite's group commit (src/db/dialect/sqlite-group-commit.ts): transactions queued together share one
// commit, yet each succeeds or fails on its own, and nobody is answered before their writes are on disk.

interface Scratch {
  t: { id: number; owner: string }
  parent: { id: number }
  child: { id: number; parent_id: number }
}

describe('SQLite group commit', () => {
  let dir: string
  let database: Database
  let db: Kysely<Scratch>
  /** A second connection, as another process would have: it sees only committed data. */
  let other: DatabaseSync

  const committedRows = (table: string) => (other.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kabao-group-commit-'))
    const file = path.join(dir, 'kabao.db')
    database = openDatabase(`sqlite:${file}`)
    db = database.db as unknown as Kysely<Scratch>
    await sql`create table t (id integer primary key, owner text not null)`.execute(db)
    await sql`create table parent (id integer primary key)`.execute(db)
    // Checked at commit: a way to make a whole group's commit fail.
    await sql`create table child (id integer primary key, parent_id integer not null references parent(id) deferrable initially deferred)`.execute(db)
    other = new DatabaseSync(file)
  })
  after(async () => {
    other.close()
    await database.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('commits each transaction before its caller hears of it, whether alone or in a crowd', async () => {
    await db.transaction().execute((tx) => tx.insertInto('t').values({ id: 1, owner: 'alone' }).execute())
    assert.equal(committedRows('t'), 1)

    const seenByOthers: number[] = []
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        db
          .transaction()
          .execute(async (tx) => {
            await tx.insertInto('t').values({ id: 100 + i, owner: 'crowd' }).execute()
            await tx.selectFrom('t').select('id').where('id', '=', 100 + i).execute()
          })
          .then(() => {
            const row = other.prepare('select id from t where id = ?').get(100 + i)
            seenByOthers.push(row ? 1 : 0)
          }),
      ),
    )
    assert.equal(seenByOthers.length, 50)
    assert.ok(seenByOthers.every((seen) => seen === 1), 'a transaction resolved before its commit')
    assert.equal(committedRows('t'), 51)
  })

  it('rolls back only the failed transaction of a group; the others commit', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction().execute(async (tx) => {
          await tx.insertInto('t').values({ id: 1000 + i, owner: 'mixed' }).execute()
          if (i % 5 === 0) throw new Error(`business refusal ${i}`)
        }),
      ),
    )
    assert.deepEqual(outcomes.map((o) => o.status), Array.from({ length: 20 }, (_, i) => (i % 5 === 0 ? 'rejected' : 'fulfilled')))
    const ids = other.prepare("select id from t where owner = 'mixed' order by id").all().map((row) => (row as { id: number }).id)
    assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => 1000 + i).filter((id) => (id - 1000) % 5 !== 0))
  })

  it('fails every member of a group whose commit fails, and keeps none of their writes', async () => {
    const before = committedRows('t')
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => db.transaction().execute((tx) => tx.insertInto('t').values({ id: 5000 + i, owner: 'doomed' }).execute())),
      // Its deferred foreign key fails the shared commit.
      db.transaction().execute((tx) => tx.insertInto('child').values({ id: 1, parent_id: 42 }).execute()),
      ...Array.from({ length: 10 }, (_, i) => db.selectFrom('t').select('id').where('id', '=', 5000 + i).execute()),
    ])
    assert.ok(outcomes.every((o) => o.status === 'rejected'), JSON.stringify(outcomes.map((o) => o.status)))
    assert.equal(committedRows('t'), before)
    assert.equal(committedRows('child'), 0)

    // The next transaction starts afresh.
    await db.transaction().execute((tx) => tx.insertInto('t').values({ id: 6000, owner: 'after' }).execute())
    assert.equal(committedRows('t'), before + 1)
  })

  it('lets a transaction begun by hand (as the migrator does) start after the group is committed', async () => {
    const grouped = Promise.all(Array.from({ length: 5 }, (_, i) => db.transaction().execute((tx) => tx.insertInto('t').values({ id: 7000 + i, owner: 'grouped' }).execute())))
    const byHand = db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn)
      await sql`insert into t (id, owner) values (7100, 'by hand')`.execute(conn)
      await sql`commit`.execute(conn)
    })
    await Promise.all([grouped, byHand])
    assert.equal((other.prepare("select count(*) as n from t where owner in ('grouped', 'by hand')").get() as { n: number }).n, 6)
  })
})
