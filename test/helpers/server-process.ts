/**
 * Real Kabao processes for tests: `kabao serve` on its own port and one-shot CLI commands, configured
 * through the environment exactly as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { randomBytes } from 'node:crypto'
import { TEST_SECRET_KEY } from './app.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
/** As an operator runs it: bin/kabao starts the pinned Node.js with the server's memory settings. */
const KABAO = path.join(ROOT, 'bin/kabao')
/** A bound for a process that will never become ready, not a performance expectation. */
const READY_DEADLINE_MS = 60_000
const STOP_GRACE_MS = 10_000

/** Children still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * The environment of a process on this database; every process shares TEST_SECRET_KEY. The processes
 * started with one environment are one deployment: should REDIS_URL be set, they share rate-limit counts
 * with each other and with no other test (a prefix of their own).
 */
export function kabaoEnv(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KABAO_SECRET_KEY: TEST_SECRET_KEY,
    KABAO_JOBS: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PREFIX: `kabao-test-${randomBytes(6).toString('hex')}`,
    // The tests' webhook receivers listen on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
    ...extra,
  }
  // The child is not part of this test run.
  delete env.NODE_TEST_CONTEXT
  // A web build in this process (Vite) sets NODE_ENV=production; the servers under test run as developed
  // unless a test says otherwise.
  if (extra.NODE_ENV === undefined) delete env.NODE_ENV
  return env
}

interface Launched {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>
}

/** Starts `kabao …args`, collecting its output. */
function launch(args: string[], env: NodeJS.ProcessEnv): Launched {
  const child = spawn(KABAO, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      running.delete(child)
      resolve(code)
    })
  })
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `kabao …args` to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const launched = launch(args, env)
  const code = await launched.exited
  return { code, stdout: launched.stdout(), stderr: launched.stderr() }
}

/** A port nobody listens on right now (the server binds it a moment later; startServer retries a clash). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

export interface ServerProcess {
  readonly base: string
  readonly pid: number
  /** What it wrote to stdout and stderr, for failure messages. */
  output(): string
  /** SIGTERM (a graceful shutdown), SIGKILL if it does not exit in time. */
  stop(): Promise<void>
  /** SIGKILL: the process dies at once, in the middle of whatever it was doing. */
  kill(): Promise<void>
}

async function untilReady(base: string, exited: Promise<number | null>, output: () => string): Promise<void> {
  let exitCode: number | null | undefined
  void exited.then((code) => (exitCode = code))
  const deadline = Date.now() + READY_DEADLINE_MS
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`kabao serve exited with ${exitCode} before it was ready:\n${output()}`)
    const status = await fetch(`${base}/readyz`).then((res) => res.status, () => 0)
    if (status === 200) return
    await delay(50)
  }
  throw new Error(`kabao serve did not answer GET /readyz with 200 within ${READY_DEADLINE_MS} ms:\n${output()}`)
}

/** `kabao serve` on a free port; resolves once GET /readyz answers 200. */
export async function startServer(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const { child, stdout, stderr, exited } = launch(['serve'], { ...env, PORT: String(port), HOST: '127.0.0.1' })
    const output = () => stdout() + stderr()
    const server: ServerProcess = {
      base,
      pid: child.pid!,
      output,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
        await exited
        clearTimeout(killer)
      },
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        await exited
      },
    }
    try {
      await untilReady(base, exited, output)
      return server
    } catch (error) {
      await server.stop()
      // Someone else took the port between freePort() and the server binding it.
      if (attempt < 3 && output().includes('EADDRINUSE')) continue
      throw error
    }
  }
}

/** Starts n servers at once (so they race their start-up migrations); none is left running on failure. */
export async function startServers(n: number, env: NodeJS.ProcessEnv): Promise<ServerProcess[]> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => startServer(env)))
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) {
    await stopServers(started)
    throw failed.reason
  }
  return started
}

export async function stopServers(servers: ServerProcess[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()))
}
