/**
 * One run of the reliability harness: server processes on a fresh database, concurrent clients mixing the
 * operations for a while (with a killer SIGKILLing servers if asked), then every checker.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { Engine } from '../../../src/db/database.ts'
import { createSecrets } from '../../../src/ports/secrets.ts'
import { cashCard, TEST_SECRET_KEY, testContext } from '../../helpers/app.ts'
import { createTestDatabase } from '../../helpers/databases.ts'
import { memberCardBody } from '../../helpers/member-api.ts'
import { kabaoEnv, runCli } from '../../helpers/server-process.ts'
import { OPERATIONS, type Operation } from '../operations/index.ts'
import { pointsRequest, post } from '../operations/points.ts'
import { CHECKERS } from './checkers.ts'
import { Client, type Card, type World } from './client.ts'
import { Cluster, type KillerOptions } from './cluster.ts'
import { History } from './history.ts'
import { returnExpiredGifts } from '../../../src/jobs/return-expired-gifts.job.ts'




export interface HarnessOptions {
  engine: Engine
  servers: number
  clients: number
  seconds: number
  killer?: KillerOptions
}

export interface HarnessReport {
  /** Attempts by operation and outcome. */
  summary: Record<string, number>
  kills: number
  /** Violations found, by checker. */
  violations: Record<string, string[]>
}

async function call(world: Pick<World, 'cluster' | 'apiKey'>, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(world.cluster.pick() + path, {
    method,
    headers: { authorization: `Bearer ${world.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const parsed = await res.json()
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed)}`)
  return parsed
}

async function newCard(world: Pick<World, 'cluster' | 'apiKey'>, stock: number, getLimit: number, overrides: Record<string, unknown> = {}): Promise<Card> {
  const card = await call(world, 'POST', '/v1/cards', cashCard({ stock, get_limit: getLimit, ...overrides }))
  return { id: card.id, stock, getLimit }
}

function pickOperation(): Operation {
  const total = OPERATIONS.reduce((n, op) => n + op.weight, 0)
  let r = Math.random() * total
  for (const op of OPERATIONS) {
    r -= op.weight
    if (r < 0) return op
  }
  return OPERATIONS[0]
}

async function runClient(client: Client, until: number): Promise<void> {
  while (performance.now() < until) {
    if (!(await pickOperation().run(client))) await OPERATIONS[0].run(client)
  }
}

export async function runHarness(options: HarnessOptions): Promise<HarnessReport> {
  const database = await createTestDatabase(options.engine, { migrate: false, sqliteFile: true })
  // The clients stand for customers on many addresses, not for one address claiming at full speed.
  const env = kabaoEnv(database.url, { CLAIM_RATE_LIMIT: 'off' })
  let cluster: Cluster | null = null
  try {
    cluster = await Cluster.start(options.servers, env)
    const created = await runCli(['merchant', 'create', '--name', 'Reliability', '--json'], env)
    if (created.code !== 0) throw new Error(created.stderr)
    const base = { cluster, apiKey: JSON.parse(created.stdout).api_key as string }
    const claimCard = await newCard(base, 40, 10_000)
    const link = await call(base, 'POST', `/v1/cards/${claimCard.id}/claim-links`, { max_claims: 30 })
    // Gifts race many times per client: the daily limit per customer is not what they test.
    await call(base, 'PUT', '/v1/merchant/policy', { max_gifts_per_user_day: 1000 })
    const jobCtx = testContext(database.database)
    const world: World = {
      ...base,
      history: new History(),
      scarceCard: await newCard(base, 25, 2),
      plentifulCard: await newCard(base, 1_000_000, 10_000),
      claimLink: { token: link.token, card: claimCard, maxClaims: 30 },
      memberCard: { id: (await call(base, 'POST', '/v1/member-cards', memberCardBody())).id },
      giftCard: await newCard(base, 1_000_000, 10_000, { can_gift: true }),
      returnGifts: (now) => returnExpiredGifts.run(jobCtx, now),
    }
    const clients: Client[] = []
    for (let i = 0; i < options.clients; i++) {
      const { token } = await call(base, 'POST', '/v1/wallet-tokens', { user_id: `w${i}`, ttl_seconds: 3600 })
      const client = new Client(world, i, token)
      client.receiverToken = (await call(base, 'POST', '/v1/wallet-tokens', { user_id: `friend${i}`, ttl_seconds: 3600 })).token
      // Each client's own member, with points to burn: the earning goes through the client, into the history.
      const member = { id: (await call(base, 'POST', `/v1/member-cards/${world.memberCard.id}/members`, { user_id: `w${i}` })).id as string, believed: 0 }
      const seeded = await post(client, member, pointsRequest(client, member, 'earn', 1000, { keyed: true }))
      if (seeded.outcome !== 'ok') throw new Error(`seeding member ${member.id}: ${seeded.status} ${seeded.text}`)
      client.member = member
      clients.push(client)
    }

    if (options.killer) cluster.startKilling(options.killer)
    await Promise.all(clients.map((client) => runClient(client, performance.now() + options.seconds * 1000)))
    await cluster.stopKilling()
    // Let a group commit or a restart in progress settle before reading the database.
    await delay(100)

    const input = { world, attempts: world.history.attempts, db: database.database.db, secrets: createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex')) }
    const violations: Record<string, string[]> = {}
    for (const [name, check] of Object.entries(CHECKERS)) violations[name] = await check(input)
    return { summary: world.history.summary(), kills: cluster.kills, violations }
  } finally {
    await cluster?.stop()
    await database.drop()
  }
}
