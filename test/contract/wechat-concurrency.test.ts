import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { kabaoEnv, runCli, startServers, stopServers, type ServerProcess } from '../helpers/server-process.ts'
import type { Db } from '../../src/db/database.ts'

// WX-7: the contract's concurrency guarantees hold through the WeChat-compatible facade, with real
// parallel HTTP requests to one server, and on PostgreSQL to two server processes sharing the database.

interface WxTarget {
  bases: string[]
  token: string
  db: Db
}

async function wx(target: WxTarget, i: number, path: string, body: unknown): Promise<{ errcode: number; [k: string]: any }> {
  const res = await fetch(`${target.bases[i % target.bases.length]}${path}?access_token=${target.token}`, { method: 'POST', body: JSON.stringify(body) })
  assert.equal(res.status, 200)
  return (await res.json()) as { errcode: number }
}

const count = (answers: { errcode: number }[]) => answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a.errcode]: (acc[a.errcode] ?? 0) + 1 }), {})

const card = (stock: number) => ({
  card: { card_type: 'CASH', cash: { base_info: { title: '立减20元', notice: 'Show the code', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7 }, sku: { quantity: stock } }, reduce_cost: 2000, least_cost: 10000 } },
})

const RACES: { name: string; run(target: WxTarget): Promise<void> }[] = [
  {
    name: 'N parallel kabao/card/issue on stock K: exactly K errcode 0, the rest 45031, stock 0',
    async run(target) {
      const K = 5
      const N = 16
      const created = await wx(target, 0, '/card/create', card(K))
      assert.equal(created.errcode, 0, JSON.stringify(created))
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/kabao/card/issue', { card_id: created.card_id, openid: `user-${i}` })))
      assert.deepEqual(count(answers), { 0: K, 45031: N - K })
      assert.equal(new Set(answers.filter((a) => a.errcode === 0).map((a) => a.code)).size, K)
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from coupons where card_id = ${created.card_id}`.execute(target.db)
      assert.equal(Number(rows[0].n), K)
      const got = await wx(target, 1, '/card/get', { card_id: created.card_id })
      assert.deepEqual(got.card.cash.base_info.sku, { quantity: 0, total_quantity: K })
    },
  },
  {
    name: 'parallel code/consume of one code: exactly one errcode 0, the rest 40099, one redemption',
    async run(target) {
      const N = 12
      const created = await wx(target, 0, '/card/create', card(10))
      const issued = await wx(target, 1, '/kabao/card/issue', { card_id: created.card_id, openid: 'alice' })
      assert.equal(issued.errcode, 0, JSON.stringify(issued))
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/code/consume', { code: issued.code })))
      assert.deepEqual(count(answers), { 0: 1, 40099: N - 1 })
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from redemptions r join coupons c on c.id = r.coupon_id where c.card_id = ${created.card_id}`.execute(target.db)
      assert.equal(Number(rows[0].n), 1)
    },
  },
  {
    name: 'parallel card/landingpage/create: every page gets its own page_id, 1 to N',
    async run(target) {
      const N = 16
      const created = await wx(target, 0, '/card/create', card(10))
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/landingpage/create', { page_title: `Page ${i}`, card_list: [{ card_id: created.card_id }] })))
      assert.deepEqual(count(answers), { 0: N })
      assert.deepEqual(answers.map((a) => a.page_id).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i + 1))
    },
  },
]

for (const engine of ENGINES) {
  describe(`WeChat-compatible API under parallel requests on ${engine}`, await engineOptions(engine), () => {
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

    for (const race of RACES) it(race.name, () => race.run(target))
  })
}

const postgres = await engineOptions('postgres')
describe('WeChat-compatible API on two server processes sharing one PostgreSQL', postgres, () => {
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
    // The token comes from the first process; every race sends to both.
    const token = ((await (await fetch(`${servers[0].base}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).json()) as { access_token: string }).access_token
    target = { bases: servers.map((s) => s.base), token, db: database.database.db }
  })
  after(async () => {
    await stopServers(servers)
    await database?.drop()
  })

  it('a token fetched from one process works on the other', async () => {
    const answer = await wx({ ...target, bases: [servers[1].base] }, 0, '/card/batchget', { offset: 0, count: 10 })
    assert.equal(answer.errcode, 0, JSON.stringify(answer))
    assert.equal((await wx({ ...target, bases: [servers[1].base], token: 'garbage' }, 0, '/card/batchget', {})).errcode, 40001)
  })

  for (const race of RACES) it(race.name, () => race.run(target))
})
