import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { kabaoEnv, runCli, startServers, stopServers, type ServerProcess } from '../helpers/server-process.ts'
import { GROUP_RACES } from '../helpers/group-races.ts'
import type { Target } from '../helpers/races.ts'

// Parallel group joins and openings, and parallel referral joins, over real HTTP: first one server (SQLite
// file-backed as in production), then two `kabao serve` processes on one database.
for (const engine of ENGINES) {
  describe(`group and referral guarantees over HTTP on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let target: Target
    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      target = { bases: [await t.listen()], key: (await t.merchant()).apiKey, db: t.db.database.db }
    })
    after(() => t?.close())

    for (const race of GROUP_RACES) it(race.name, () => race.run(target))
  })

  describe(`group and referral guarantees with two server processes on one ${engine} database`, await engineOptions(engine), () => {
    let database: TestDatabase
    let servers: ServerProcess[] = []
    let target: Target
    before(async () => {
      database = await createTestDatabase(engine, { sqliteFile: true })
      const env = kabaoEnv(database.url)
      servers = await startServers(2, env)
      const cli = await runCli(['merchant', 'create', '--name', 'Two Tills', '--json'], env)
      assert.equal(cli.code, 0, cli.stderr)
      target = { bases: servers.map((s) => s.base), key: JSON.parse(cli.stdout).api_key, db: database.database.db }
    })
    after(async () => {
      await stopServers(servers)
      await database?.drop()
    })

    for (const race of GROUP_RACES) it(race.name, () => race.run(target))
  })
}
