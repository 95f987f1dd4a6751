import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from './databases.ts'
import { startTestApp, type TestApp } from './app.ts'
import { kabaoEnv, runCli, startServers, stopServers, type ServerProcess } from './server-process.ts'
import type { Db } from '../../src/db/database.ts'

/** Servers behind the WeChat-compatible facade sharing one database, and an access token for them. */
export interface WxTarget {
  bases: string[]
  token: string
  db: Db
}

export interface WxRace {
  name: string
  run(target: WxTarget): Promise<void>
}

/** A facade call; request number i goes to bases[i % bases.length]. Every answer is HTTP 200. */
export async function wx(target: WxTarget, i: number, path: string, body: unknown): Promise<{ errcode: number; [k: string]: any }> {
  const res = await fetch(`${target.bases[i % target.bases.length]}${path}?access_token=${target.token}`, { method: 'POST', body: JSON.stringify(body) })
  assert.equal(res.status, 200)
  return (await res.json()) as { errcode: number }
}

/** Answers counted by errcode, e.g. { '0': 5, '45031': 11 }. */
export const count = (answers: { errcode: number }[]) => answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a.errcode]: (acc[a.errcode] ?? 0) + 1 }), {})

/**
 * Runs races through the facade against one server on each engine, then on two server processes sharing
 * one PostgreSQL database (merchant and credential made by the CLI, the token fetched from the first
 * process), where `acrossProcesses` runs first.
 */
export async function describeWechatRaces(what: string, races: WxRace[], acrossProcesses: WxRace[] = []): Promise<void> {
  for (const engine of ENGINES) {
    describe(`${what} under parallel requests on ${engine}`, await engineOptions(engine), () => {
      let t: TestApp
      let target: WxTarget
      before(async () => {
        t = await startTestApp(engine, { sqliteFile: true })
        const base = await t.listen()
        const { apiKey } = await t.merchant()
        const app = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
        const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.body.appid}&secret=${app.body.secret}`)).body.access_token
        target = { bases: [base], token, db: t.db.database.db }
      })
      after(() => t?.close())

      for (const race of races) it(race.name, () => race.run(target))
    })
  }

  const postgres = await engineOptions('postgres')
  describe(`${what} on two server processes sharing one PostgreSQL`, postgres, () => {
    let database: TestDatabase
    let servers: ServerProcess[] = []
    let target: WxTarget
    before(async () => {
      if (postgres.skip) return
      database = await createTestDatabase('postgres', { migrate: false })
      const env = kabaoEnv(database.url)
      const merchant = await runCli(['merchant', 'create', '--name', 'Two Tills', '--json'], env)
      assert.equal(merchant.code, 0, merchant.stderr)
      const made = await runCli(['wechat-app', 'create', '--merchant', JSON.parse(merchant.stdout).merchant_id, '--json'], env)
      assert.equal(made.code, 0, made.stderr)
      const { appid, secret } = JSON.parse(made.stdout)
      servers = await startServers(2, env)
      const token = ((await (await fetch(`${servers[0].base}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).json()) as { access_token: string }).access_token
      target = { bases: servers.map((s) => s.base), token, db: database.database.db }
    })
    after(async () => {
      await stopServers(servers)
      await database?.drop()
    })

    for (const race of [...acrossProcesses, ...races]) it(race.name, () => race.run(target))
  })
}
