import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { startTestApp, type TestApp, testContext } from '../helpers/app.ts'
import { kabaoEnv, runCli, startServers, stopServers, type ServerProcess } from '../helpers/server-process.ts'
import { GIFT_RACES, type GiftTarget } from '../helpers/gift-races.ts'
import { returnExpiredGifts } from '../../src/jobs/return-expired-gifts.job.ts'





// The gift guarantees with real parallel HTTP requests: one server on each engine (SQLite file-backed as in
// production), then two `kabao serve` processes on one PostgreSQL database, the return job running from
// this process against the same database at the same moments.
for (const engine of ENGINES) {
  describe(`gift races over HTTP on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let target: GiftTarget
    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      const base = await t.listen()
      target = { bases: [base], key: (await t.merchant()).apiKey, db: t.db.database.db, returnGifts: (now) => returnExpiredGifts.run(t.ctx, now) }
    })
    after(() => t?.close())

    for (const race of GIFT_RACES) it(race.name, () => race.run(target))
  })
}

describe('gift races across two server processes on one postgres database', await engineOptions('postgres'), () => {
  let database: TestDatabase
  let servers: ServerProcess[] = []
  let target: GiftTarget
  before(async () => {
    database = await createTestDatabase('postgres', { migrate: false })
    const env = kabaoEnv(database.url)
    servers = await startServers(2, env)
    const cli = await runCli(['merchant', 'create', '--name', 'Two Tills', '--json'], env)
    assert.equal(cli.code, 0, cli.stderr)
    const ctx = testContext(database.database)
    target = { bases: servers.map((s) => s.base), key: JSON.parse(cli.stdout).api_key, db: database.database.db, returnGifts: (now) => returnExpiredGifts.run(ctx, now) }
  })
  after(async () => {
    await stopServers(servers)
    await database?.drop()
  })

  for (const race of GIFT_RACES) it(race.name, () => race.run(target))
})
