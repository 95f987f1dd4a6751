/**
 * `node bench/risk-counting.ts [--engine sqlite|postgres] [--hits N] [--redis]`: what counting one risk hit
 * costs, without HTTP. Judges N redemptions (default 20,000; 50 at a time, as the load's 50 connections)
 * from 2,000 till keys in turn with the default rules, then the same with every rule off, in this
 * process, and prints CPU per judgement (this process, user + system) and statements per judgement (on
 * SQLite those run and the transactions' own; on PostgreSQL the queries sent, each a round trip). With
 * `--redis` the counters are in Redis at REDIS_URL (default 127.0.0.1:6379). Not part of `npm run bench`'s
 * results: a tool for finding where counting's time goes.
 */
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { DatabaseSync, StatementSync } from 'node:sqlite'
import pg from 'pg'
import { createSecrets } from '../src/ports/secrets.ts'
import { createMerchant } from '../src/features/merchants/merchants.service.ts'


import { changeRiskRules, judgeRisk } from '../src/features/risk/risk.service.ts'
import { createRedisRiskCounters } from '../src/ports/risk-counters.ts'
import { RISK_RULE_NAMES } from '../src/domain/risk.ts'
import type { AppContext } from '../src/app-context.ts'
import { createTestDatabase, postgresAvailable } from '../test/helpers/databases.ts'
import { TEST_SECRET_KEY, testContext } from '../test/helpers/app.ts'

const { values } = parseArgs({ options: { engine: { type: 'string', multiple: true }, hits: { type: 'string', default: '20000' }, redis: { type: 'boolean' } } })
const HITS = Number(values.hits)
const statements = countStatements()
const TILLS = 2_000
const PARALLEL = 50
const secrets = createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex'))

/**
 * Counts what reaches the database: on SQLite every statement run and every `exec` (BEGIN, SAVEPOINT,
 * COMMIT…), on PostgreSQL every query sent (each a round trip).
 */
function countStatements(): () => number {
  let n = 0
  const wrap = (proto: any, names: string[]) => {
    for (const name of names) {
      const original = proto[name]
      proto[name] = function (this: unknown, ...args: unknown[]) {
        n++
        return original.apply(this, args)
      }
    }
  }
  wrap(StatementSync.prototype, ['all', 'run', 'get', 'iterate'])
  wrap(DatabaseSync.prototype, ['exec'])
  wrap(pg.Client.prototype, ['query'])
  return () => n
}

async function run(ctx: AppContext, merchantId: string, statements: () => number, label: string): Promise<void> {
  const judge = (i: number) => judgeRisk(ctx, merchantId, { keyId: `key_till${i % TILLS}`, clerkId: `key_till${i % TILLS}`, address: '127.0.0.1' }, 'redeem', 'ref')
  let next = 0
  const worker = async () => {
    while (next < HITS) await judge(next++)
  }
  // Warm-up.
  for (let i = 0; i < 500; i++) await judge(HITS + i)
  const before = statements()
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  const used = process.cpuUsage(cpu)
  const ms = performance.now() - started
  const perHit = (used.user + used.system) / HITS
  console.log(`${label}: ${perHit.toFixed(1)} µs CPU per judgement, ${((statements() - before) / HITS).toFixed(2)} statements, ${Math.round(HITS / (ms / 1000))} per second`)
}

for (const engine of (values.engine ?? ['sqlite', 'postgres']) as ('sqlite' | 'postgres')[]) {
  if (engine === 'postgres' && !(await postgresAvailable())) continue
  const test = await createTestDatabase(engine, { sqliteFile: true })
  const { database } = test
  const riskCounters = values.redis ? createRedisRiskCounters({ redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: `bench-${randomBytes(4).toString('hex')}` }) : undefined
  await riskCounters?.ready(1000)
  const ctx = testContext(database, { secrets, riskCounters })
  try {
    const { merchant_id: merchantId } = await createMerchant(ctx, { name: 'Bench' })
    const where = values.redis ? 'Redis' : engine
    await run(ctx, merchantId, statements, `${engine} rules on (counting in ${where})`)
    await changeRiskRules(ctx, merchantId, RISK_RULE_NAMES.map((name) => ({ name, enabled: false })))
    await run(ctx, merchantId, statements, `${engine} rules off`)
  } finally {
    await riskCounters?.close()
    await test.drop()
  }
}
