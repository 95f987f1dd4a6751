import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions, createTestDatabase, type TestDatabase } from '../helpers/databases.ts'
import { kabaoEnv, runCli, startServer, stopServers, type ServerProcess } from '../helpers/server-process.ts'
import { cashCard } from '../helpers/app.ts'

for (const engine of ENGINES) {
  describe(`kabao merchant on ${engine}`, await engineOptions(engine), () => {
    const cleanup: (() => Promise<void>)[] = []
    after(async () => {
      for (const step of cleanup.reverse()) await step()
    })

    it('creates a merchant with every capability, and the operator can restrict it later', async () => {
      const db: TestDatabase = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      cleanup.push(() => db.drop())
      const env = kabaoEnv(db.url)

      const created = await runCli(['merchant', 'create', '--name', 'Tea House', '--json'], env)
      assert.equal(created.code, 0, created.stderr)
      const { merchant_id, api_key } = JSON.parse(created.stdout.trim())
      assert.match(merchant_id, /^mch_/)

      const restricted = await runCli(['merchant', 'set-capabilities', '--id', merchant_id, '--card-types', 'cash', '--store-limited-cards', 'false'], env)
      assert.equal(restricted.code, 0, restricted.stderr)
      assert.deepEqual(JSON.parse(restricted.stdout).capabilities, { card_types: ['cash'], store_limited_cards: false })

      const server: ServerProcess = await startServer(env)
      cleanup.push(() => stopServers([server]))
      const post = (body: unknown) =>
        fetch(`${server.base}/v1/cards`, { method: 'POST', headers: { authorization: `Bearer ${api_key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })

      assert.equal((await post(cashCard())).status, 201)
      const discount = await post({ ...cashCard({ type: 'discount', percent_off: 10 }), reduce_cost: undefined, least_cost: undefined })
      assert.equal(discount.status, 403)
      assert.equal(((await discount.json()) as { code: string }).code, 'capability_not_allowed')
    })

    it('refuses unknown card types and missing flags with a usage error', async () => {
      const db = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      cleanup.push(() => db.drop())
      const env = kabaoEnv(db.url)
      const created = JSON.parse((await runCli(['merchant', 'create', '--name', 'X', '--json'], env)).stdout)
      const bad = await runCli(['merchant', 'set-capabilities', '--id', created.merchant_id, '--card-types', 'cash,vip'], env)
      assert.equal(bad.code, 1)
      assert.match(bad.stderr, /unknown card types: vip/)
      assert.equal((await runCli(['merchant', 'set-capabilities'], env)).code, 2)
      assert.equal((await runCli(['merchant', 'frobnicate'], env)).code, 2)
    })
  })
}
