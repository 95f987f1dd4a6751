import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp } from '../helpers/app.ts'
import { useForTests } from '../helpers/hooks.ts'
import { REDIS_URL, UNREACHABLE_REDIS_URL, keysUnder, redisOptions } from '../helpers/redis.ts'
import { expectProblem, expectStatus } from '../helpers/merchant-api.ts'
import { buildApp } from '../../src/app.ts'
import { createRedisRiskCounters, type SharedRiskCounters } from '../../src/ports/risk-counters.ts'
import { DEVICE, claimSetup } from '../helpers/risk.ts'

function useRiskCounters(redisUrl: string, log?: { warn(o: object, m: string): void; info(o: object, m: string): void }) {
  const prefix = `test-${randomBytes(4).toString('hex')}`
  const counters = useForTests(async () => {
    const created = createRedisRiskCounters({ redisUrl, prefix, log })
    await created.ready(1000)
    return created
  }, (c) => c.close())
  return { counters: counters as SharedRiskCounters, prefix }
}

for (const engine of ENGINES) {
  describe(`risk counters in Redis on ${engine}`, { ...(await engineOptions(engine)), ...((await engineOptions(engine)).skip ? {} : await redisOptions()) }, () => {
    const { counters, prefix } = useRiskCounters(REDIS_URL)
    const t = useTestApp(engine, { riskCounters: counters })

    it('two app instances share one count: the limit holds across them, and nothing is counted in the database', async () => {
      // A second app over the same database and the same Redis, as a second process would be.
      const second = await buildApp(t.ctx, { checkResponses: true })
      try {
        const { claim, walletToken, linkToken } = await claimSetup(t)
        const users = Array.from({ length: 8 }, (_, i) => `shared-${i}`)
        for (const user of users) await walletToken(user)
        const claimOnSecond = async (user: string) =>
          second.inject({ method: 'POST', url: `/v1/claim/${linkToken}`, headers: { authorization: `Bearer ${await walletToken(user)}`, 'kabao-device': DEVICE } }).then((res) => ({ status: res.statusCode }))
        const replies = await Promise.all(users.map((user, i) => (i % 2 === 0 ? claim(user) : claimOnSecond(user))))
        assert.deepEqual(replies.map((r) => r.status).sort(), [201, 201, 201, 403, 403, 403, 403, 403])
        assert.ok((await keysUnder(prefix)).some((key) => key.includes(':users_per_device:device:')))
        const inDatabase = await t.ctx.database.db.selectFrom('risk_counter_hits').select('member').execute()
        assert.equal(inDatabase.length, 0)
        assert.equal((await t.ctx.database.db.selectFrom('risk_counts').select('n').execute()).length, 0)
      } finally {
        await second.close()
      }
    })
  })

  describe(`risk counters with Redis unreachable on ${engine}`, await engineOptions(engine), () => {
    const warnings: string[] = []
    const { counters } = useRiskCounters(UNREACHABLE_REDIS_URL, { warn: (_o, m) => warnings.push(m), info: () => {} })
    const t = useTestApp(engine, { riskCounters: counters })

    it('counts in the database instead, keeps the limit, and says so once', async () => {
      const { claim } = await claimSetup(t)
      for (const user of ['r1', 'r2', 'r3']) expectStatus(await claim(user), 201)
      expectProblem(await claim('r4'), 403, 'risk_blocked')
      expectStatus(await claim('r1'), 201)
      const inDatabase = await t.ctx.database.db.selectFrom('risk_counter_hits').select('member').execute()
      assert.ok(inDatabase.length >= 3)
      assert.equal(warnings.length, 1, warnings.join('\n'))
      assert.match(warnings[0], /count in the database/)
    })
  })
}
