import { describe, it, before, after } from 'node:test'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { RACES, type Target } from '../helpers/races.ts'

// One server listening on a real port, hit by parallel HTTP requests; SQLite is file-backed as in production.
for (const engine of ENGINES) {
  describe(`concurrency guarantees over HTTP on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let target: Target
    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      const base = await t.listen()
      target = { bases: [base], key: (await t.merchant()).apiKey, db: t.db.database.db }
    })
    after(() => t?.close())

    for (const race of RACES) it(race.name, () => race.run(target))
  })
}
