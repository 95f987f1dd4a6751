/**
 * `npm run bench [-- --quick] [-- --engine sqlite|postgres] [-- --pairs N] [-- --scenario NAME [--profile DIR]]`: starts real `kabao serve` processes, loads them
 * over HTTP from this process with autocannon, and writes bench/results.json and the tables of
 * bench/README.md. Every load figure stands next to a baseline measured on the same server right before
 * it: the no-op authenticated route GET /v1/ping.
 */
import { parseArgs } from 'node:util'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSecrets } from '../src/ports/secrets.ts'
import { createMerchant } from '../src/features/merchants/merchants.service.ts'
import { systemClock } from '../src/ports/clock.ts'
import { POSTGRES_URL, createTestDatabase, postgresAvailable, type TestDatabase } from '../test/helpers/databases.ts'
import { TEST_SECRET_KEY } from '../test/helpers/app.ts'
import { kabaoEnv, startServer, type ServerProcess } from '../test/helpers/server-process.ts'
import { runLoad, round, sampleRss, type LoadSpec } from './lib/load.ts'
import { seedCoupons, type CardRef } from './lib/seed.ts'
import { describeMachine } from './lib/machine.ts'
import { judge, type EngineName, type EngineResults, type LoadScenario, type Scenario, type TimedScenario } from './lib/targets.ts'
import { readResults, writeResults, type Run } from './lib/report.ts'

const HERE = path.dirname(fileURLToPath(import.meta.url))

interface Mode {
  name: 'quick' | 'full'
  /** Seconds of each measured load and of its baseline. */
  seconds: number
  /** Seconds of unmeasured load first, so the server's code is compiled hot. */
  warmup: number
  connections: number
  /** Codes seeded for each redeem scenario: more than the fastest run can use. */
  redeemPool: number
  checkPool: number
  walletUsers: number
  couponsPerWallet: number
  burstRequests: number
  burstStock: number
  bulkRows: number
  /** Coupons in the database for the large-database redeem. */
  largeDb: number
  /** Till keys the risk-rules scenario spreads its redemptions over, so that none reaches its clerk limit. */
  tills: number
}

const MODES: Record<'quick' | 'full', Mode> = {
  full: {
    name: 'full', seconds: 10, warmup: 2, connections: 50, redeemPool: 150_000, checkPool: 10_000, walletUsers: 1_000, couponsPerWallet: 10,
    burstRequests: 10_000, burstStock: 1_000, bulkRows: 100_000, largeDb: 1_000_000, tills: 2_000,
  },
  quick: {
    name: 'quick', seconds: 2.5, warmup: 1, connections: 50, redeemPool: 40_000, checkPool: 5_000, walletUsers: 500, couponsPerWallet: 10,
    burstRequests: 10_000, burstStock: 1_000, bulkRows: 20_000, largeDb: 150_000, tills: 600,
  },
}

const secrets = createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex'))
/** `--profile DIR`: the server writes a CPU profile of one scenario there, with no baseline load mixed in. */
let profileDir: string | null = null
const log = (message: string) => process.stderr.write(`bench: ${message}\n`)

/** One benchmarked server and the data seeded for it. */
interface Rig {
  engine: EngineName
  database: TestDatabase
  server: ServerProcess
  key: string
  storeId: string
  card: CardRef
}

async function api(rig: Pick<Rig, 'server' | 'key'>, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(rig.server.base + url, {
    method,
    headers: { authorization: `Bearer ${rig.key}`, ...(typeof body === 'string' ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`)
  return JSON.parse(text)
}

const CASH_CARD = { type: 'cash', title: '满100减20', notice: 'Show the code at the till', reduce_cost: 2000, least_cost: 10000, validity: { type: 'fixed_term', days: 30 } }

async function newCard(rig: Pick<Rig, 'server' | 'key'>, stock: number): Promise<string> {
  return (await api(rig, 'POST', '/v1/cards', { ...CASH_CARD, stock })).id
}

async function startRig(engine: EngineName): Promise<Rig> {
  const database = await createTestDatabase(engine, { sqliteFile: true })
  const merchant = await createMerchant({ database: database.database, clock: systemClock, secrets }, { name: 'Bench Coffee' })
  // Request logging off, as a load balancer in front would log instead; jobs run as in production.
  const nodeOptions = [process.env.BENCH_NODE_OPTIONS ?? '', profileDir ? `--cpu-prof --cpu-prof-dir=${profileDir} --cpu-prof-name=${engine}.cpuprofile` : ''].join(' ').trim()
  const server = await startServer(kabaoEnv(database.url, { LOG_LEVEL: 'warn', KABAO_JOBS: 'true', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) }))
  const partial = { server, key: merchant.api_key }
  const storeId = (await api(partial, 'POST', '/v1/stores', { name: 'Bench Street 1' })).id
  const cardId = await newCard(partial, 1_000_000)
  return { engine, database, server, key: merchant.api_key, storeId, card: { merchantId: merchant.merchant_id, cardId } }
}

async function countCoupons(rig: Rig): Promise<number> {
  const row = await rig.database.database.db.selectFrom('coupons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

function baselineSpec(rig: Rig, mode: Mode): LoadSpec {
  return { base: rig.server.base, serverPid: rig.server.pid, connections: mode.connections, duration: mode.seconds, method: 'GET', path: '/v1/ping', headers: { authorization: `Bearer ${rig.key}` }, expected: [200] }
}

/** Warm-up, then the baseline, then the scenario, with the server's RSS sampled throughout. */
async function measure(rig: Rig, mode: Mode, name: string, description: string, spec: LoadSpec, options: { warm?: boolean } = {}): Promise<LoadScenario> {
  const rss = sampleRss(rig.server.pid)
  if (options.warm !== false) await runLoad({ ...spec, duration: mode.warmup, amount: undefined })
  // A profile shows the scenario alone: its baseline would fill half of it with /v1/ping.
  const baseline = await runLoad(profileDir ? { ...baselineSpec(rig, mode), duration: 0.2 } : baselineSpec(rig, mode))
  const result = await runLoad(spec)
  const scenario: LoadScenario = { kind: 'load', name, description, baseline, result, ratio: round(result.throughput / baseline.throughput, 4), rss_max_mb: rss.stop() }
  log(`${rig.engine} ${name}: ${result.throughput} req/s (baseline ${baseline.throughput}, ratio ${scenario.ratio}), p99 ${result.latency_ms.p99} ms, errors ${result.errors}, server CPU ${result.server_cpu_us} µs/req (baseline ${baseline.server_cpu_us})`)
  return scenario
}

/** Hands out the codes of a pool in order; past its end it repeats them (and the repeats count as errors). */
function codeFeed(codes: string[]): () => string {
  let i = 0
  return () => codes[i++ % codes.length]
}

async function redeemScenario(rig: Rig, mode: Mode, name: string, description: string, codes: string[]): Promise<LoadScenario> {
  const next = codeFeed(codes)
  return measure(rig, mode, name, description, {
    base: rig.server.base,
    serverPid: rig.server.pid,
    connections: mode.connections,
    duration: mode.seconds,
    method: 'POST',
    path: '/v1/redemptions',
    headers: { authorization: `Bearer ${rig.key}` },
    vary: () => ({ body: { code: next(), store_id: rig.storeId, order_amount: 12000 } }),
    expected: [201],
  })
}

/** The scenarios a run measures; `--scenario` narrows it (such a run is printed, not written to the results). */
const SCENARIOS = ['redeem', 'check', 'wallet', 'issue-burst', 'bulk-issue', 'redeem-till', 'redeem-large-db'] as const
type ScenarioName = (typeof SCENARIOS)[number]

async function runEngine(engine: EngineName, mode: Mode, wanted: ReadonlySet<ScenarioName>, pairs: number): Promise<EngineResults> {
  log(`${engine}: starting a server and seeding`)
  const rig = await startRig(engine)
  const scenarios: Scenario[] = []
  const rssAll = sampleRss(rig.server.pid)
  const want = (name: ScenarioName) => wanted.has(name)
  const seed = (name: ScenarioName, count: number, prefix: string) =>
    want(name) ? seedCoupons(rig.database.database, secrets, rig.card, { count, userOf: (i) => `${prefix}${i}`, keepCodes: true }) : Promise.resolve([] as string[])
  try {
    const redeemCodes = await seed('redeem', mode.redeemPool, 'r')
    const largeCodes = await seed('redeem-large-db', mode.redeemPool, 'l')
    const checkCodes = await seed('check', mode.checkPool, 'c')
    // Each side of a pair uses up to the pool; more pairs share a larger one.
    const tillPool = mode.redeemPool * Math.ceil(pairs / 2)
    const tillOffCodes = await seed('redeem-till', tillPool, 'toff')
    const tillOnCodes = await seed('redeem-till', tillPool, 'ton')
    const tokens: string[] = []
    if (want('wallet')) {
      await seedCoupons(rig.database.database, secrets, rig.card, { count: mode.walletUsers * mode.couponsPerWallet, userOf: (i) => `w${i % mode.walletUsers}`, keepCodes: false })
      for (let u = 0; u < Math.min(mode.walletUsers, 200); u++) tokens.push((await api(rig, 'POST', '/v1/wallet-tokens', { user_id: `w${u}`, ttl_seconds: 86_400 })).token)
    }
    const emptyCount = await countCoupons(rig)
    // The no-op route compiled hot before its first measurement.
    await runLoad({ ...baselineSpec(rig, mode), duration: mode.warmup })

    if (want('redeem')) {
      const redeem = await redeemScenario(rig, mode, 'redeem', 'POST /v1/redemptions, a different code each request (till with store_id and order amount)', redeemCodes)
      redeem.facts = { coupons_in_database: emptyCount }
      scenarios.push(redeem)
    }

    const nextCheck = codeFeed(checkCodes)
    if (want('check')) scenarios.push(
      await measure(rig, mode, 'check', 'POST /v1/redemptions/check: what a code would take off an order', {
        base: rig.server.base, serverPid: rig.server.pid, connections: mode.connections, duration: mode.seconds, method: 'POST', path: '/v1/redemptions/check',
        headers: { authorization: `Bearer ${rig.key}` }, vary: () => ({ body: { code: nextCheck(), store_id: rig.storeId, order_amount: 12000 } }), expected: [200],
      }),
    )

    let t = 0
    if (want('wallet')) scenarios.push(
      await measure(rig, mode, 'wallet', `GET /v1/wallet/coupons: a customer's wallet of ${mode.couponsPerWallet} coupons, ${tokens.length} customers`, {
        base: rig.server.base, serverPid: rig.server.pid, connections: mode.connections, duration: mode.seconds, method: 'GET', path: '/v1/wallet/coupons',
        vary: () => ({ headers: { authorization: `Bearer ${tokens[t++ % tokens.length]}` } }), expected: [200],
      }),
    )

    if (want('issue-burst')) scenarios.push(await burstScenario(rig, mode))
    if (want('bulk-issue')) scenarios.push(await bulkScenario(rig, mode))
    if (want('redeem-till')) scenarios.push(...(await tillScenarios(rig, mode, tillOffCodes, tillOnCodes, pairs)))
    if (want('redeem-large-db')) scenarios.push(await largeDbScenario(rig, mode, largeCodes))
  } finally {
    await rig.server.stop()
    await rig.database.drop()
  }
  const rssMax = rssAll.stop()
  return { engine, scenarios, rss_max_mb: rssMax, verdicts: judge(engine, scenarios, rssMax) }
}

async function burstScenario(rig: Rig, mode: Mode): Promise<LoadScenario> {
    const burstCard = await newCard(rig, mode.burstStock)
    const burst = await measure(
      rig, mode, 'issue-burst', `POST /v1/cards/{id}/issue: ${mode.burstRequests.toLocaleString('en-US')} requests at once for ${mode.burstStock.toLocaleString('en-US')} in stock, a different user each`,
      {
        base: rig.server.base, serverPid: rig.server.pid, connections: mode.connections, amount: mode.burstRequests, method: 'POST', path: `/v1/cards/${burstCard}/issue`,
        headers: { authorization: `Bearer ${rig.key}` }, vary: (n) => ({ body: { user_id: `burst-${n}` } }), expected: [201, 409],
      },
      { warm: false },
    )
    const card = await api(rig, 'GET', `/v1/cards/${burstCard}`)
    burst.facts = { stock: mode.burstStock, issued: burst.result.statuses['201'] ?? 0, out_of_stock: burst.result.statuses['409'] ?? 0, stock_remaining: card.stock_remaining, issued_count: card.issued_count }
    log(`${rig.engine} issue-burst: ${burst.facts.issued} issued of ${mode.burstStock} in stock, ${burst.facts.out_of_stock} refused; the card says ${card.issued_count} issued, ${card.stock_remaining} left`)
    return burst
}

/**
 * Redemptions from a store's tills, which the risk rules count as clerks (`redemptions_per_clerk`, 60 per
 * 10 minutes each): once with the merchant's rules switched off, once with its default rules on, to show
 * what counting costs. The load is spread over enough till keys that no till reaches its limit, as at a
 * real store, where a clerk redeems a few codes a minute. With `--pairs N` the two run side by side N times
 * (off, on, off, on…) and each side keeps its median run by server CPU per redemption: on a busy machine a
 * single pair says little. With REDIS_URL set the server counts in Redis.
 */
async function tillScenarios(rig: Rig, mode: Mode, offCodes: string[], onCodes: string[], pairs: number): Promise<LoadScenario[]> {
  const tills: string[] = []
  for (let i = 0; i < mode.tills; i++) tills.push((await api(rig, 'POST', '/v1/api-keys', { name: `Bench till ${i + 1}`, scope: 'redeem', store_id: rig.storeId })).api_key)
  const defaults = (await api(rig, 'GET', '/v1/risk/rules')).rules as { name: string; enabled: boolean }[]
  const feeds = { off: codeFeed(offCodes), on: codeFeed(onCodes) }
  const run = (name: string, description: string, next: () => string) =>
    measure(rig, mode, name, description, {
      base: rig.server.base, serverPid: rig.server.pid, connections: mode.connections, duration: mode.seconds, method: 'POST', path: '/v1/redemptions',
      vary: (n) => ({ headers: { authorization: `Bearer ${tills[n % tills.length]}` }, body: { code: next(), store_id: rig.storeId, order_amount: 12000 } }),
      expected: [201],
    })
  const where = process.env.REDIS_URL ? 'in Redis (REDIS_URL)' : 'in the database; no Redis'
  const offRuns: LoadScenario[] = []
  const onRuns: LoadScenario[] = []
  for (let pair = 0; pair < pairs; pair++) {
    await api(rig, 'PUT', '/v1/risk/rules', { rules: defaults.map(({ name }) => ({ name, enabled: false })) })
    offRuns.push(await run('redeem-till-rules-off', `POST /v1/redemptions from ${mode.tills.toLocaleString('en-US')} till keys of a store in turn, every risk rule off`, feeds.off))
    await api(rig, 'PUT', '/v1/risk/rules', { rules: defaults.map(({ name, enabled }) => ({ name, enabled })) })
    onRuns.push(await run('redeem-till-rules-on', `the same with the default risk rules on: each redemption counted for its till (${where})`, feeds.on))
  }
  if (pairs === 1) return [offRuns[0], onRuns[0]]
  const cpu = (s: LoadScenario) => s.result.server_cpu_us ?? 0
  const pairFigures = offRuns.map((off, i) => `${cpu(off)}/${cpu(onRuns[i])}`).join(', ')
  const ratios = offRuns.map((off, i) => cpu(onRuns[i]) / Math.max(1, cpu(off))).sort((a, b) => a - b)
  const ratio = ratios[Math.floor((ratios.length - 1) / 2)]
  log(`${rig.engine} redeem-till pairs (server CPU µs per redemption, off/on): ${pairFigures}; median of the pairs' on/off: ${ratio >= 1 ? '+' : ''}${round((ratio - 1) * 100, 1)}%`)
  const median = (runs: LoadScenario[]) => {
    const sorted = [...runs].sort((a, b) => cpu(a) - cpu(b))
    const chosen = sorted[Math.floor((sorted.length - 1) / 2)]
    return { ...chosen, description: `${chosen.description}; median of ${runs.length} runs by server CPU`, facts: { ...chosen.facts, runs: runs.length } }
  }
  return [median(offRuns), median(onRuns)]
}

async function largeDbScenario(rig: Rig, mode: Mode, largeCodes: string[]): Promise<LoadScenario> {
    const engine = rig.engine
    log(`${engine}: filling the database up to ${mode.largeDb.toLocaleString('en-US')} coupons`)
    const filler = Math.max(0, mode.largeDb - (await countCoupons(rig)))
    const fillStarted = performance.now()
    await seedCoupons(rig.database.database, secrets, rig.card, { count: filler, userOf: (i) => `f${i}`, keepCodes: false })
    log(`${engine}: seeded ${filler} coupons in ${round((performance.now() - fillStarted) / 1000, 1)} s`)
    const large = await redeemScenario(rig, mode, 'redeem-large-db', 'redeem again, now with the database full of coupons', largeCodes)
    large.facts = { coupons_in_database: await countCoupons(rig) }
    return large
}

async function bulkScenario(rig: Rig, mode: Mode): Promise<TimedScenario> {
  const cardId = await newCard(rig, mode.bulkRows)
  const csv = 'user_id\n' + Array.from({ length: mode.bulkRows }, (_, i) => `bulk-${i}`).join('\n') + '\n'
  const rss = sampleRss(rig.server.pid)
  const started = performance.now()
  const report = await api(rig, 'POST', `/v1/cards/${cardId}/bulk-issue`, csv, { 'content-type': 'text/csv' })
  const seconds = (performance.now() - started) / 1000
  log(`${rig.engine} bulk-issue: ${report.issued} issued in ${round(seconds, 1)} s`)
  return {
    kind: 'timed',
    name: 'bulk-issue',
    description: `POST /v1/cards/{id}/bulk-issue: a CSV of ${mode.bulkRows.toLocaleString('en-US')} users in one request`,
    rows: mode.bulkRows,
    seconds: round(seconds, 2),
    rows_per_second: Math.round(mode.bulkRows / seconds),
    rss_max_mb: rss.stop(),
    facts: { issued: report.issued, failed: report.failed },
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, engine: { type: 'string', multiple: true }, scenario: { type: 'string', multiple: true }, pairs: { type: 'string' }, profile: { type: 'string' }, rejudge: { type: 'boolean' } } })
  if (values.rejudge) return rejudge()
  const pairs = Math.max(1, Number(values.pairs ?? 1) || 1)
  if (values.profile !== undefined && values.scenario?.length !== 1) throw new Error('--profile takes exactly one --scenario')
  profileDir = values.profile === undefined ? null : path.resolve(values.profile)
  const unknown = (values.scenario ?? []).filter((name) => !(SCENARIOS as readonly string[]).includes(name))
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}: one of ${SCENARIOS.join(', ')}`)
  const wanted = new Set<ScenarioName>((values.scenario as ScenarioName[] | undefined) ?? SCENARIOS)
  const mode = MODES[values.quick ? 'quick' : 'full']
  const engines = (values.engine ?? ['sqlite', 'postgres']) as EngineName[]
  const withPostgres = engines.includes('postgres') && (await postgresAvailable())
  if (engines.includes('postgres') && !withPostgres) log(`PostgreSQL at ${POSTGRES_URL} does not answer: SQLite only`)
  const started = new Date()
  const machine = await describeMachine(withPostgres ? POSTGRES_URL : null)
  const results: EngineResults[] = []
  for (const engine of engines) {
    if (engine === 'postgres' && !withPostgres) continue
    results.push(await runEngine(engine, mode, wanted, pairs))
  }
  const run: Run = {
    mode: mode.name,
    started_at: started.toISOString(),
    minutes: round((Date.now() - started.getTime()) / 60_000, 1),
    machine,
    parameters: {
      connections: mode.connections, 'seconds per load': mode.seconds, 'warm-up seconds': mode.warmup, 'burst requests': mode.burstRequests, 'burst stock': mode.burstStock,
      'bulk rows': mode.bulkRows, 'large database coupons': mode.largeDb, 'server log level': 'warn',
    },
    engines: results,
  }
  for (const engine of results) for (const v of engine.verdicts) log(`${engine.engine}: ${v.met ? 'met   ' : 'MISSED'} ${v.target}: ${v.figure}`)
  if (values.scenario) {
    log(`done in ${run.minutes} min; a run of some scenarios is not written to bench/results.json`)
    if (profileDir) log(`CPU profiles in ${profileDir}: node bench/profile-summary.ts ${profileDir}/${engines[0]}.cpuprofile`)
    return
  }
  const file = path.join(HERE, 'results.json')
  const stored = readResults(file)
  stored[mode.name] = run
  writeResults(file, path.join(HERE, 'README.md'), stored)
  log(`done in ${run.minutes} min: bench/results.json, bench/README.md`)
}

/** `--rejudge`: the stored runs judged again by the targets as they now are, and the tables rewritten (nothing is measured). */
function rejudge(): void {
  const file = path.join(HERE, 'results.json')
  const stored = readResults(file)
  for (const run of Object.values(stored)) {
    if (!run) continue
    for (const engine of run.engines) engine.verdicts = judge(engine.engine, engine.scenarios, engine.rss_max_mb)
  }
  writeResults(file, path.join(HERE, 'README.md'), stored)
  log('judged again: bench/results.json, bench/README.md')
}

await main()
