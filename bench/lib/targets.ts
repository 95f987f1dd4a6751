/**
 * The targets of the benchmark, judged from one run's figures. Ratios to the no-op baseline measured in
 * the same run are what count on a shared machine; absolute rates only describe this run.
 */
import type { LoadFigures } from './load.ts'

export type EngineName = 'sqlite' | 'postgres'

export interface LoadScenario {
  kind: 'load'
  name: string
  description: string
  /** The no-op authenticated route, measured on the same server right before the scenario. */
  baseline: LoadFigures
  result: LoadFigures
  /** result.throughput / baseline.throughput */
  ratio: number
  rss_max_mb: number | null
  /** Scenario-specific facts (coupons issued by the burst, coupons in the database…). */
  facts?: Record<string, number>
}

export interface TimedScenario {
  kind: 'timed'
  name: string
  description: string
  rows: number
  seconds: number
  rows_per_second: number
  rss_max_mb: number | null
  facts?: Record<string, number>
}

export type Scenario = LoadScenario | TimedScenario

export interface Verdict {
  target: string
  met: boolean
  /** The figure the verdict rests on, in words. */
  figure: string
}

export interface EngineResults {
  engine: EngineName
  scenarios: Scenario[]
  rss_max_mb: number | null
  verdicts: Verdict[]
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const pct = (ratio: number) => `${fmt(ratio * 100, 1)}%`

function find<T extends Scenario['kind']>(scenarios: Scenario[], name: string, kind: T): Extract<Scenario, { kind: T }> | undefined {
  return scenarios.find((s) => s.name === name && s.kind === kind) as Extract<Scenario, { kind: T }> | undefined
}

/** Redeem on an empty database: a share of the baseline, a p99 bound and (SQLite) server CPU per request, by engine. */
const REDEEM_TARGET: Record<EngineName, { ratio: number; p99: number; cpuUs: number | null }> = {
  sqlite: { ratio: 0.35, p99: 10, cpuUs: 70 },
  postgres: { ratio: 0.15, p99: 25, cpuUs: null },
}
/** The wallet list, a share of the baseline on both engines. */
const WALLET_RATIO = 0.2
const BURST_P99_MS: Record<EngineName, number> = { sqlite: 100, postgres: 50 }
const LARGE_DB_KEEPS = 0.8
const BULK_SECONDS = 5
const BULK_ROWS = 100_000
const RSS_MB = 300
/** Counting redemptions for the risk rules may add at most this share to a redemption's cost. */
const RISK_OVERHEAD = 0.1

export function judge(engine: EngineName, scenarios: Scenario[], rssMaxMb: number | null): Verdict[] {
  const verdicts: Verdict[] = []
  const redeem = find(scenarios, 'redeem', 'load')
  if (redeem) {
    const t = REDEEM_TARGET[engine]
    const cpu = redeem.result.server_cpu_us
    verdicts.push({
      target: `redeem ≥ ${pct(t.ratio)} of the no-op baseline, p99 < ${t.p99} ms${t.cpuUs === null ? '' : `, ≤ ${t.cpuUs} µs server CPU per request`}`,
      met: redeem.ratio >= t.ratio && redeem.result.latency_ms.p99 < t.p99 && redeem.result.errors === 0 && (t.cpuUs === null || (cpu !== null && cpu <= t.cpuUs)),
      figure: `${pct(redeem.ratio)} of baseline, p99 ${redeem.result.latency_ms.p99} ms${t.cpuUs === null ? '' : `, ${cpu ?? '?'} µs`}, ${redeem.result.errors} errors`,
    })
  }
  const wallet = find(scenarios, 'wallet', 'load')
  if (wallet) {
    verdicts.push({
      target: `wallet list ≥ ${pct(WALLET_RATIO)} of the no-op baseline`,
      met: wallet.ratio >= WALLET_RATIO && wallet.result.errors === 0,
      figure: `${pct(wallet.ratio)} of baseline, p99 ${wallet.result.latency_ms.p99} ms, ${wallet.result.server_cpu_us ?? '?'} µs, ${wallet.result.errors} errors`,
    })
  }
  const burst = find(scenarios, 'issue-burst', 'load')
  if (burst?.facts) {
    const { stock, issued, out_of_stock } = burst.facts
    verdicts.push({
      target: `issue burst gives out exactly the stock, p99 < ${BURST_P99_MS[engine]} ms`,
      met: issued === stock && burst.result.errors === 0 && burst.result.latency_ms.p99 < BURST_P99_MS[engine],
      figure: `${fmt(issued)} issued of ${fmt(stock)} in stock, ${fmt(out_of_stock)} out_of_stock, p99 ${burst.result.latency_ms.p99} ms, ${burst.result.errors} errors`,
    })
  }
  const large = find(scenarios, 'redeem-large-db', 'load')
  if (redeem && large) {
    const kept = large.result.throughput / redeem.result.throughput
    const cpu = (s: LoadScenario) => (s.result.server_cpu_us === null ? '?' : `${s.result.server_cpu_us} µs`)
    verdicts.push({
      target: `redeem with ${fmt(large.facts?.coupons_in_database ?? 0)} coupons in the database keeps ≥ ${pct(LARGE_DB_KEEPS)} of its empty-database rate`,
      met: kept >= LARGE_DB_KEEPS && large.result.errors === 0,
      figure: `${pct(kept)}: ${fmt(large.result.throughput)} vs ${fmt(redeem.result.throughput)} req/s; server CPU per redemption ${cpu(large)} vs ${cpu(redeem)}`,
    })
  }
  const tillOff = find(scenarios, 'redeem-till-rules-off', 'load')
  const tillOn = find(scenarios, 'redeem-till-rules-on', 'load')
  if (tillOff && tillOn && tillOff.result.server_cpu_us !== null && tillOn.result.server_cpu_us !== null) {
    // CPU per redemption: what counting adds, which a shared machine moves much less than rates.
    const added = tillOn.result.server_cpu_us / tillOff.result.server_cpu_us - 1
    verdicts.push({
      target: `risk rules on cost ≤ ${pct(RISK_OVERHEAD)} more server CPU per redemption than off`,
      met: added <= RISK_OVERHEAD && tillOn.result.errors === 0 && tillOff.result.errors === 0,
      figure: `${tillOn.result.server_cpu_us} µs vs ${tillOff.result.server_cpu_us} µs (${added >= 0 ? '+' : ''}${pct(added)}); ${fmt(tillOn.result.throughput)} vs ${fmt(tillOff.result.throughput)} req/s`,
    })
  }
  const bulk = find(scenarios, 'bulk-issue', 'timed')
  if (bulk) {
    const projected = bulk.rows === BULK_ROWS ? bulk.seconds : (BULK_ROWS / bulk.rows_per_second)
    verdicts.push({
      target: `bulk issue of ${fmt(BULK_ROWS)} coupons < ${BULK_SECONDS} s`,
      met: projected < BULK_SECONDS && bulk.facts?.failed === 0,
      figure: bulk.rows === BULK_ROWS ? `${fmt(bulk.seconds, 1)} s` : `${fmt(projected, 1)} s projected from ${fmt(bulk.rows)} rows in ${fmt(bulk.seconds, 1)} s`,
    })
  }
  if (rssMaxMb !== null) {
    verdicts.push({ target: `server RSS < ${RSS_MB} MB throughout`, met: rssMaxMb < RSS_MB, figure: `${rssMaxMb} MB at most` })
  }
  return verdicts
}
