import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import pino from 'pino'
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts'
import { TEST_SECRET_KEY } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { buildApp, type App } from '../../src/app.ts'
import { systemClock } from '../../src/ports/clock.ts'
import { MemoryNotifier } from '../../src/ports/notifier.ts'
import { createSecrets } from '../../src/ports/secrets.ts'

// Serving files does not touch storage, so SQLite alone is enough here.
describe('serving the built web apps', () => {
  let db: TestDatabase
  let webRoot: string
  let app: App
  const logs: Record<string, any>[] = []
  const INDEX = '<!doctype html><title>console</title><script type="module" src="/console/assets/index-abc123.js"></script>'
  const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))})`

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'GET', url, headers })
    let body: any
    try {
      body = JSON.parse(res.body)
    } catch {
      body = res.body
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body, raw: res.rawPayload }
  }

  before(async () => {
    webRoot = mkdtempSync(path.join(os.tmpdir(), 'kabao-web-'))
    // The console is built; the wallet and the terminal are not.
    const dist = path.join(webRoot, 'console', 'dist')
    mkdirSync(path.join(dist, 'assets'), { recursive: true })
    writeFileSync(path.join(dist, 'index.html'), INDEX)
    writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), SCRIPT)
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js.gz'), gzipSync(SCRIPT))
    db = await createTestDatabase('sqlite')
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line))
        done()
      },
    })
    const ctx = { database: db.database, clock: systemClock, secrets: createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex')), notifier: new MemoryNotifier(), publicUrl: 'http://kabao.test', allowPrivateWebhookDestinations: false }
    app = await buildApp(ctx, { webRoot, logger: pino({ level: 'info' }, stream) })
  })

  after(async () => {
    await app.close()
    await db.drop()
    rmSync(webRoot, { recursive: true, force: true })
  })

  it('serves an app’s page at its address, without a key, never cached, with a content security policy', async () => {
    const redirect = await get('/console')
    assert.equal(redirect.status, 302)
    assert.equal(redirect.headers.location, '/console/')
    const page = await get('/console/')
    assert.equal(page.status, 200)
    assert.equal(page.text, INDEX)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    assert.equal(page.headers['cache-control'], 'no-cache')
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/)
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'(;|$)/)
    assert.equal((await get('/')).headers.location, '/console/', 'the root leads to the console')
  })

  it('answers the app’s own routes with its page, so that a reload anywhere works', async () => {
    for (const url of ['/console/cards', '/console/cards/crd_123/edit', '/console/login?redirect=%2Fcards']) {
      const res = await get(url)
      assert.equal(res.status, 200, url)
      assert.equal(res.text, INDEX, url)
    }
  })

  it('serves hashed assets for a year, compressed when the browser accepts it, and a missing file as 404', async () => {
    const plain = await get('/console/assets/index-abc123.js')
    assert.equal(plain.status, 200)
    assert.equal(plain.text, SCRIPT)
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.match(String(plain.headers['content-type']), /javascript/)
    const gzipped = await get('/console/assets/index-abc123.js', { 'accept-encoding': 'gzip' })
    assert.equal(gzipped.headers['content-encoding'], 'gzip')
    assert.ok(gzipped.raw.length < SCRIPT.length / 4)
    assert.equal((await get('/console/favicon.svg')).headers['cache-control'], 'no-cache', 'unhashed files are revalidated')
    assertProblem(await get('/console/assets/index-old999.js'), 404, 'not_found')
  })

  it('leaves out apps that were not built, says so in the log, and keeps the API working', async () => {
    assertProblem(await get('/wallet/'), 404, 'not_found')
    assertProblem(await get('/pos/'), 404, 'not_found')
    const warning = logs.find((line) => /web apps not built/.test(line.msg))
    assert.ok(warning, 'a log line names the missing apps')
    assert.deepEqual(warning.missing, ['wallet', 'pos'])
    assert.equal((await get('/healthz')).status, 200)
    assertProblem(await get('/v1/cards'), 401, 'unauthenticated')
  })

  it('keeps the apps out of the API description', async () => {
    const spec = (await get('/openapi.json')).body
    assert.ok(!Object.keys(spec.paths).some((p) => p.startsWith('/console')), 'no /console path in /openapi.json')
  })
})
