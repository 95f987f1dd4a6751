import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { kabaoEnv, runCli, startServers, stopServers, type CliResult, type ServerProcess } from '../helpers/server-process.ts'
import { call, RACES, type Target } from '../helpers/races.ts'

// Two `kabao serve` processes on one database, started together on an empty schema so that they race
// their own migrations (with a CLI process creating the merchant at the same time), then every
// concurrency guarantee with the parallel requests split across both.
for (const engine of ENGINES) {
  describe(`two server processes on one ${engine} database`, await engineOptions(engine), () => {
    let database: TestDatabase
    let servers: ServerProcess[] = []
    let cli: CliResult
    let target: Target
    before(async () => {
      database = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      const env = kabaoEnv(database.url)
      ;[servers, cli] = await Promise.all([startServers(2, env), runCli(['merchant', 'create', '--name', 'Two Tills', '--json'], env)])
      assert.equal(cli.code, 0, cli.stderr)
      const { api_key } = JSON.parse(cli.stdout)
      target = { bases: servers.map((s) => s.base), key: api_key, db: database.database.db }
    })
    after(async () => {
      await stopServers(servers)
      await database?.drop()
    })

    it('both processes came up, and each migration ran once', async () => {
      assert.equal(servers.length, 2)
      const { rows } = await sql<{ name: string }>`select name from kabao_migrations order by name`.execute(database.database.db)
      const names = rows.map((row) => row.name)
      assert.ok(names.includes('0001-core'), names.join(', '))
      assert.equal(new Set(names).size, names.length, `a migration was recorded twice: ${names.join(', ')}`)
    })

    it('`kabao merchant create --json` prints one JSON object whose key works on both processes', async () => {
      assert.equal(cli.stdout.trim().split('\n').length, 1, cli.stdout)
      const created = JSON.parse(cli.stdout)
      assert.deepEqual(Object.keys(created).sort(), ['api_key', 'merchant_id'])
      assert.match(created.merchant_id, /^mch_/)
      for (const [i, server] of servers.entries()) {
        const events = await call(target, i, 'GET', '/v1/events')
        assert.equal(events.status, 200, `${server.base}: ${JSON.stringify(events.body)}`)
      }
    })

    for (const race of RACES) it(race.name, () => race.run(target))
  })
}
