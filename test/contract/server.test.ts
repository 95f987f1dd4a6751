import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { request as httpRequest, Agent } from 'node:http'
import path from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import pino from 'pino'
import { ENGINES, createTestDatabase, engineOptions, type TestDatabase } from '../helpers/databases.ts'
import { TEST_SECRET_KEY, useTestApp, type Response } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { listRoutes, routeShape } from '../helpers/routes.ts'
import { freePort, kabaoEnv, runCli } from '../helpers/server-process.ts'
import { buildApp, type App } from '../../src/app.ts'
import type { AppContext } from '../../src/app-context.ts'
import type { Database } from '../../src/db/database.ts'
import { systemClock } from '../../src/ports/clock.ts'
import { MemoryNotifier } from '../../src/ports/notifier.ts'
import { createSecrets } from '../../src/ports/secrets.ts'
import { createMerchant } from '../../src/features/merchants/merchants.service.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function contextOn(database: Database): AppContext {
  return { database, clock: systemClock, secrets: createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex')), notifier: new MemoryNotifier(), publicUrl: 'http://kabao.test', allowPrivateWebhookDestinations: false }
}

/** An app whose pino log lines are kept, parsed, in `logs`. */
async function loggedApp(database: Database): Promise<{ app: App; logs: Record<string, any>[] }> {
  const logs: Record<string, any>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line))
      done()
    },
  })
  return { app: await buildApp(contextOn(database), { logger: pino({ level: 'info' }, stream) }), logs }
}

async function inject(app: App, method: string, url: string, key?: string): Promise<Response> {
  const res = await app.inject({ method: method as 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} })
  let body: any
  try {
    body = JSON.parse(res.body)
  } catch {
    body = res.body
  }
  return { status: res.statusCode, headers: res.headers, body, text: res.body }
}

/** Lines of `kabao serve`'s JSON log, as they arrive. */
interface ServeProcess {
  base: string
  logs(): Record<string, any>[]
  output(): string
  exited: Promise<number | null>
  kill(signal: NodeJS.Signals): void
}

async function serve(databaseUrl: string): Promise<ServeProcess> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  // The jobs run as `npm start` runs them: shutting down must stop them too.
  const env = kabaoEnv(databaseUrl, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', KABAO_JOBS: 'true' })
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'src/cli/kabao.ts'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const proc: ServeProcess = {
    base,
    logs: () => stdout.split('\n').flatMap((line) => (line.startsWith('{') ? [JSON.parse(line)] : [])),
    output: () => stdout + stderr,
    exited,
    kill: (signal) => child.kill(signal),
  }
  let exitCode: number | null | undefined
  void exited.then((code) => (exitCode = code))
  // Waits for readiness; the bound is for a process that never starts, not a speed expectation.
  for (let attempt = 0; attempt < 600; attempt++) {
    if (exitCode !== undefined) throw new Error(`kabao serve exited with ${exitCode}:\n${proc.output()}`)
    if ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) === 200) return proc
    await delay(100)
  }
  child.kill('SIGKILL')
  throw new Error(`kabao serve never became ready:\n${proc.output()}`)
}

/** Resolves once `predicate` holds for the process's log; fails if the process exits first. */
async function untilLogged(proc: ServeProcess, predicate: (logs: Record<string, any>[]) => boolean, what: string): Promise<void> {
  let exited = false
  void proc.exited.then(() => (exited = true))
  while (!predicate(proc.logs())) {
    if (exited) throw new Error(`kabao serve exited before ${what}:\n${proc.output()}`)
    await delay(20)
  }
}

for (const engine of ENGINES) {
  describe(`server on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)
    let key: string
    before(async () => {
      key = (await t.merchant()).apiKey
    })

    it('answers GET /healthz and GET /readyz with 200', async () => {
      const health = await t.request('GET', '/healthz')
      assert.equal(health.status, 200)
      assert.deepEqual(health.body, { status: 'ok' })
      assert.match(String(health.headers['content-type']), /^application\/json/)
      const ready = await t.request('GET', '/readyz')
      assert.equal(ready.status, 200)
      assert.match(String(ready.headers['x-request-id']), /^req_/)
    })

    it('answers GET /readyz with 503 once the database is gone, while /healthz stays 200', async () => {
      const db = await createTestDatabase(engine)
      const { app, logs } = await loggedApp(db.database)
      try {
        assert.equal((await inject(app, 'GET', '/readyz')).status, 200)
        await db.database.close()
        const ready = await inject(app, 'GET', '/readyz')
        assert.equal(ready.status, 503, ready.text)
        assert.equal((await inject(app, 'GET', '/healthz')).status, 200)

        // A request that needs the database fails as a plain 500, without the driver's words.
        const res = await inject(app, 'GET', '/v1/cards', 'kb_whatever')
        const problem = assertProblem(res, 500, 'internal_error')
        assert.doesNotMatch(res.text, /select|api_keys|destroyed|driver|pool|sqlite|postgres/i)
        assert.equal((problem as any).request_id, res.headers['x-request-id'])
        assert.ok(logs.some((line) => line.level === 50 && line.reqId === res.headers['x-request-id']), 'the failure is logged under its request id')
      } finally {
        await app.close()
        await db.drop()
      }
    })

    it('describes every route in an OpenAPI 3.1 document at /openapi.json', async () => {
      const res = await t.request('GET', '/openapi.json')
      assert.equal(res.status, 200)
      const spec = res.body
      assert.match(spec.openapi, /^3\.1\./)
      assert.equal(typeof spec.info.title, 'string')
      const documented = new Set<string>()
      for (const [url, operations] of Object.entries<Record<string, { summary?: string }>>(spec.paths)) {
        for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${routeShape(url)}`)
      }
      await t.app.ready()
      // Every route but HEAD twins and the docs viewer itself.
      const served = listRoutes(t.app).filter((r) => r.method !== 'HEAD' && r.url !== '/docs' && !r.url.startsWith('/docs/'))
      assert.ok(served.length >= 40, `found ${served.length} routes`)
      const missing = served.map((r) => `${r.method} ${routeShape(r.url)}`).filter((route) => !documented.has(route))
      assert.deepEqual(missing, [], 'routes missing from /openapi.json')
      const servedShapes = new Set(served.map((r) => `${r.method} ${routeShape(r.url)}`))
      assert.deepEqual([...documented].filter((route) => !servedShapes.has(route)), [], 'documented routes that do not exist')
      // Public routes say so; the rest need a key.
      assert.deepEqual(spec.paths['/healthz'].get.security, [])
      assert.equal(spec.paths['/v1/cards'].post.security, undefined)
      assert.deepEqual(spec.security, [{ apiKey: [] }])
    })

    it('declares for every operation its success answer and the problem answers', async () => {
      const spec = (await t.request('GET', '/openapi.json')).body
      const problemStatuses = ['400', '401', '404', '422', '429', '500']
      const undeclared: string[] = []
      for (const [url, operations] of Object.entries<Record<string, { responses: Record<string, { content?: object }> }>>(spec.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const statuses = Object.keys(operation.responses)
          // The WeChat-compatible facade answers everything with HTTP 200 JSON carrying an errcode (WECHAT-API.md §1.1).
          if ((operation as { tags?: string[] }).tags?.includes('wechat-compatible')) {
            if (!operation.responses['200']?.content) undeclared.push(`${method.toUpperCase()} ${url}: no 200 answer`)
            continue
          }
          // Without a declaration the OpenAPI plugin makes up a bare 200 without content; only 204 and redirects have none.
          const success = statuses.filter((status) => (/^2\d\d$/.test(status) && (status === '204' || operation.responses[status].content !== undefined)) || /^3\d\d$/.test(status))
          const missing = problemStatuses.filter((status) => !statuses.includes(status))
          if (success.length === 0 || missing.length > 0) undeclared.push(`${method.toUpperCase()} ${url}: success ${success.join(',') || 'none'}, missing ${missing.join(',') || 'none'}`)
        }
      }
      assert.deepEqual(undeclared, [])
      assert.ok(spec.paths['/metrics'].get.responses['200'].content['text/plain'], '/metrics answers plain text')
    })

    it('serves the docs as HTML without a key', async () => {
      let res = await t.request('GET', '/docs')
      if (res.status >= 300 && res.status < 400) res = await t.request('GET', String(res.headers.location))
      assert.equal(res.status, 200)
      assert.match(String(res.headers['content-type']), /^text\/html/)
      assert.match(res.text, /<html/i)
      assert.equal((await t.request('GET', '/docs/static/swagger-ui.css')).status, 200)
      assert.equal((await t.request('GET', '/docs/json')).status, 200)
    })

    it('answers an unknown route with 404 problem+json, with or without a key', async () => {
      for (const apiKey of [null, key]) {
        const problem = assertProblem(await t.request('GET', '/v2/cards', { key: apiKey }), 404, 'not_found')
        assert.match(problem.detail, /GET \/v2\/cards/)
        assertProblem(await t.request('POST', '/nowhere?x=1', { key: apiKey, body: {} }), 404, 'not_found')
      }
    })

    it('answers an unhandled exception with a 500 that leaks nothing and carries the logged request id', async () => {
      const db = await createTestDatabase(engine)
      const { app, logs } = await loggedApp(db.database)
      const secret = 'select key_hash from api_keys where merchant_id = $1'
      app.get('/v1/test/boom', { config: { auth: 'none' } }, async () => {
        throw Object.assign(new Error(`relation failed: ${secret}`), { code: '42P01', detail: 'Key (id)=(42) is secret' })
      })
      try {
        const res = await inject(app, 'GET', '/v1/test/boom')
        const problem = assertProblem(res, 500, 'internal_error') as Record<string, unknown>
        assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'request_id', 'status', 'title', 'type'])
        for (const leak of [secret, 'relation failed', 'api_keys', '42P01', 'is secret', 'Error:', ' at ', ROOT, 'stack']) {
          assert.ok(!res.text.includes(leak), `the response leaks ${JSON.stringify(leak)}: ${res.text}`)
        }
        const requestId = res.headers['x-request-id']
        assert.equal(problem.request_id, requestId)
        assert.ok(String(problem.detail).includes(String(requestId)), 'the detail tells the caller what to quote')
        const logged = logs.find((line) => line.level === 50 && line.reqId === requestId)
        assert.ok(logged, `an error log line with reqId ${requestId}`)
        assert.match(logged.err.message, /relation failed/, 'the log keeps what the response hides')
        assert.match(logged.err.stack, /server\.test\.ts/)
      } finally {
        await app.close()
        await db.drop()
      }
    })

    it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
      const db = await createTestDatabase(engine, { sqliteFile: true })
      const { api_key: apiKey, merchant_id: merchantId } = await createMerchant(contextOn(db.database), { name: 'Shutdown' })
      const proc = await serve(db.url)
      const agent = new Agent({ keepAlive: true })
      try {
        // 50 requests whose bodies arrive in two parts: the server has each one in hand but cannot finish it
        // until the rest of its body comes, which we send only after SIGTERM.
        const n = 50
        const pending = Array.from({ length: n }, (_, i) => {
          const body = JSON.stringify({ name: `In flight ${i}` })
          const half = Math.floor(body.length / 2)
          let finish!: () => void
          const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = httpRequest(`${proc.base}/v1/stores`, {
              method: 'POST',
              agent,
              headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            }, (res) => {
              let text = ''
              res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
              res.on('error', reject)
            })
            req.on('error', reject)
            req.write(body.slice(0, half))
            finish = () => req.end(body.slice(half))
          })
          return { response, finish: () => finish() }
        })
        const received = (logs: Record<string, any>[]) => logs.filter((l) => l.msg === 'incoming request' && l.req?.url === '/v1/stores').length
        await untilLogged(proc, (logs) => received(logs) === n, `it received ${n} requests`)

        proc.kill('SIGTERM')
        await untilLogged(proc, (logs) => logs.some((l) => l.signal === 'SIGTERM'), 'it logged the shutdown')
        for (const request of pending) request.finish()
        const results = await Promise.all(pending.map((request) => request.response))
        for (const result of results) assert.equal(result.status, 201, result.body)
        assert.equal(new Set(results.map((r) => JSON.parse(r.body).id)).size, n)

        assert.equal(await proc.exited, 0, proc.output())
        const stores = await db.database.db.selectFrom('stores').select('id').where('merchant_id', '=', merchantId).execute()
        assert.equal(stores.length, n, 'every accepted request was carried out')
        // Nothing listens any more.
        await assert.rejects(fetch(`${proc.base}/healthz`))
      } finally {
        agent.destroy()
        proc.kill('SIGKILL')
        await db.drop()
      }
    })

    it('prints its help with `kabao --help` and exits 0', async () => {
      const help = await runCli(['--help'], kabaoEnv(t.db.url))
      assert.equal(help.code, 0, help.stderr)
      assert.match(help.stdout, /kabao serve/)
      assert.match(help.stdout, /kabao merchant create --name NAME/)
    })

    it('creates a merchant with `kabao merchant create --name X --json`: one JSON object whose key works', async () => {
      const db: TestDatabase = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      try {
        const created = await runCli(['merchant', 'create', '--name', 'CLI Tea House', '--json'], kabaoEnv(db.url))
        assert.equal(created.code, 0, created.stderr)
        const lines = created.stdout.split('\n').filter((line) => line.trim() !== '')
        assert.equal(lines.length, 1, `stdout is one JSON object:\n${created.stdout}`)
        const output = JSON.parse(lines[0])
        assert.deepEqual(Object.keys(output).sort(), ['api_key', 'merchant_id'])

        const app = await buildApp(contextOn(db.database))
        try {
          const me = await inject(app, 'GET', '/v1/merchant', output.api_key)
          assert.equal(me.status, 200, me.text)
          assert.equal(me.body.id, output.merchant_id)
          assert.equal(me.body.name, 'CLI Tea House')
          const card = await app.inject({
            method: 'POST',
            url: '/v1/stores',
            headers: { authorization: `Bearer ${output.api_key}`, 'content-type': 'application/json' },
            payload: JSON.stringify({ name: 'Full scope' }),
          })
          assert.equal(card.statusCode, 201, 'the first key has full scope')
        } finally {
          await app.close()
        }
      } finally {
        await db.drop()
      }
    })
  })
}
