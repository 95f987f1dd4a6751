import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { engineOf, runStatement, runStatementIn, statement } from '../../src/db/statements.ts'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'

// Hand-written statements (src/db/statements.ts) for the hottest paths: one text for both engines, run
// on the pool (PostgreSQL: prepared once per connection) or inside a transaction.

describe('statement()', () => {
  it('numbers the placeholders for PostgreSQL and names the statement after its text', () => {
    const st = statement(`select a from t
      where b = ? and c = ?::bigint`)
    assert.equal(st.sql.sqlite, 'select a from t where b = ? and c = ?::bigint')
    assert.equal(st.sql.postgres, 'select a from t where b = $1 and c = $2::bigint')
    assert.match(st.name, /^kabao_[0-9a-f]{20}$/)
    assert.equal(statement('select a from t where b = ? and c = ?::bigint').name, st.name)
    assert.notEqual(statement('select a from t where b = ?').name, st.name)
  })
})

for (const engine of ENGINES) {
  describe(`runStatement on ${engine}`, async () => {
    let target: TestDatabase
    before(async () => {
      target = await createTestDatabase(engine, { migrate: false })
      await sql`create table things (id text primary key, n bigint not null)`.execute(target.database.db)
    })
    after(() => target?.drop())

    const insert = statement('insert into things (id, n) values (?, ?)')
    const byId = statement('select id, n from things where id = ?')
    // node:sqlite rows have no prototype; compare plain copies.
    const find = async (id: string, tx?: Parameters<typeof runStatement>[3]) => (await runStatement(target.database, byId, [id], tx)).map((row) => ({ ...row }))

    it('runs on the pool and returns rows with numbers as numbers', await engineOptions(engine), async () => {
      await runStatement(target.database, insert, ['a', 41])
      assert.deepEqual(await find('a'), [{ id: 'a', n: 41 }])
      assert.deepEqual(await find('nobody'), [])
    })

    it('runs inside a transaction, and a rolled back transaction leaves nothing', await engineOptions(engine), async () => {
      await assert.rejects(
        target.database.db.transaction().execute(async (tx) => {
          await runStatement(target.database, insert, ['b', 1], tx)
          assert.equal((await runStatement(target.database, byId, ['b'], tx)).length, 1)
          throw new Error('changed my mind')
        }),
        /changed my mind/,
      )
      assert.deepEqual(await find('b'), [])
    })

    it('keeps working after a migration adds a column to a table it reads', await engineOptions(engine), async () => {
      // Run it on every pooled connection first, so that each has it prepared.
      await Promise.all(Array.from({ length: 25 }, () => runStatement(target.database, byId, ['a'])))
      await sql`alter table things add column note text`.execute(target.database.db)
      const after = await Promise.all(Array.from({ length: 25 }, () => find('a')))
      for (const rows of after) assert.deepEqual(rows, [{ id: 'a', n: 41 }])
    })

    it('runs with only a Kysely handle, the engine told by the handle, in a transaction or not', await engineOptions(engine), async () => {
      const { db } = target.database
      assert.equal(engineOf(db), engine)
      await db.transaction().execute(async (tx) => {
        assert.equal(engineOf(tx), engine)
        await runStatementIn(tx, insert, ['c', 7])
        assert.deepEqual((await runStatementIn(tx, byId, ['c'])).map((row) => ({ ...row })), [{ id: 'c', n: 7 }])
      })
      assert.deepEqual((await runStatementIn(db, byId, ['c'])).map((row) => ({ ...row })), [{ id: 'c', n: 7 }])
    })
  })
}
