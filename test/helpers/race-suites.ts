import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from './databases.ts'
import { startTestApp, type TestApp } from './app.ts'
import { kabaoEnv, runCli, startServers, stopServers, type ServerProcess } from './server-process.ts'
import type { Race, Target } from './races.ts'

/**
 * Runs races on each engine twice: against one server (SQLite file-backed as in production), then split
 * across two `kabao serve` processes on one database, with a merchant made by the CLI.
 */
export async function describeRaces(what: string, races: Race[]): Promise<void> {
  for (const engine of ENGINES) {
    describe(`${what} over HTTP on ${engine}`, await engineOptions(engine), () => {
      let t: TestApp
      let target: Target
      before(async () => {
        t = await startTestApp(engine, { sqliteFile: true })
        target = { bases: [await t.listen()], key: (await t.merchant()).apiKey, db: t.db.database.db }
      })
      after(() => t?.close())

      for (const race of races) it(race.name, () => race.run(target))
    })

    describe(`${what} with two server processes on one ${engine} database`, await engineOptions(engine), () => {
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

      for (const race of races) it(race.name, () => race.run(target))
    })
  }
}
