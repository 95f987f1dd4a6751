/**
 * Loads a server over HTTP with autocannon from this process (the server runs in its own), and samples
 * the server's resident memory while it does.
 */
import { readFileSync } from 'node:fs'
import autocannon, { type RawRequest, type Result } from 'autocannon'

export interface LoadSpec {
  base: string
  connections: number
  /** Seconds; or a fixed number of requests with `amount`. */
  duration?: number
  amount?: number
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: unknown
  /** Builds request n (0, 1, 2, …) when each request differs: a code to redeem, a user to issue to. */
  vary?: (n: number) => { path?: string; body?: unknown; headers?: Record<string, string> }
  /** Statuses that are the scenario working as intended; any other is counted as an error. */
  expected: number[]
  /** The server's process, whose CPU time per request is measured. */
  serverPid: number
}

export interface LoadFigures {
  requests: number
  seconds: number
  /** Responses per second over the run. */
  throughput: number
  latency_ms: { p50: number; p99: number; max: number }
  /** Responses with an unexpected status, plus connection errors and timeouts. */
  errors: number
  statuses: Record<string, number>
  /**
   * The server's CPU time (user + system) per response, in µs: what a request costs the server, which the
   * other work on a shared machine changes much less than it changes rates and latencies.
   */
  server_cpu_us: number | null
}

function figuresOf(result: Result, expected: number[], serverCpuMs: number | null): LoadFigures {
  const statuses: Record<string, number> = {}
  let answered = 0
  let unexpected = 0
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
    statuses[status] = Number(count)
    answered += Number(count)
    if (!expected.includes(Number(status))) unexpected += Number(count)
  }
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000
  return {
    requests: answered,
    seconds: round(seconds, 2),
    throughput: Math.round(answered / seconds),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: unexpected + result.errors,
    statuses,
    server_cpu_us: serverCpuMs === null || answered === 0 ? null : Math.round((serverCpuMs * 1000) / answered),
  }
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  const headers: Record<string, string> = { ...(spec.body !== undefined || spec.vary ? { 'content-type': 'application/json' } : {}), ...spec.headers }
  let n = 0
  const vary = spec.vary
  const request = {
    method: spec.method,
    path: spec.path,
    headers,
    ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
    ...(vary
      ? {
          setupRequest: (req: RawRequest): RawRequest => {
            const next = vary(n++)
            return {
              ...req,
              ...(next.path !== undefined ? { path: next.path } : {}),
              ...(next.body !== undefined ? { body: JSON.stringify(next.body) } : {}),
              ...(next.headers !== undefined ? { headers: { ...headers, ...next.headers } } : {}),
            }
          },
        }
      : {}),
  }
  const cpuBefore = cpuMs(spec.serverPid)
  const result = await autocannon({
    url: spec.base,
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration ?? 10 }),
    timeout: 30,
    requests: [request],
  })
  const cpuAfter = cpuMs(spec.serverPid)
  return figuresOf(result, spec.expected, cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore)
}

/** USER_HZ: what /proc counts CPU time in, 100 on every Linux Node.js runs on. */
const CLOCK_TICKS_PER_SECOND = 100

/** Resident set size of a process in MB, from /proc (Linux); null elsewhere or once it has gone. */
export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Math.round(Number(match[1]) / 1024) : null
  } catch {
    return null
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); null elsewhere. */
export function cpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return null
  }
}

/** Samples a process's RSS every 100 ms until stopped; `stop()` returns the highest sample. */
export function sampleRss(pid: number): { stop(): number | null } {
  let max: number | null = rssMb(pid)
  const timer = setInterval(() => {
    const now = rssMb(pid)
    if (now !== null && (max === null || now > max)) max = now
  }, 100)
  return {
    stop() {
      clearInterval(timer)
      const last = rssMb(pid)
      if (last !== null && (max === null || last > max)) max = last
      return max
    },
  }
}
