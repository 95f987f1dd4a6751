import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, DEFAULT_RATE_LIMITS, loadConfig } from './config.ts'

const base = { DATABASE_URL: 'sqlite::memory:' }

test('request-rate limits: the merchant API is not limited by default, the public routes are', () => {
  const config = loadConfig(base)
  assert.deepEqual(config.rateLimits, DEFAULT_RATE_LIMITS)
  assert.equal(config.rateLimits.api, null)
  assert.deepEqual(config.rateLimits.claim, { points: 120, durationSeconds: 60 })
  assert.deepEqual(config.rateLimits.otp, { points: 30, durationSeconds: 60 })
  assert.deepEqual(config.rateLimits.sign_in, { points: 20, durationSeconds: 60 })
  assert.equal(config.rateLimitPrefix, 'kabao')
  assert.equal(config.redisUrl, null)
  assert.equal(config.trustProxy, false)
})

test('request-rate limits are set, or turned off, one by one', () => {
  const config = loadConfig({ ...base, API_RATE_LIMIT: '2000/s', CLAIM_RATE_LIMIT: 'off', OTP_RATE_LIMIT: '10/5min', SIGN_IN_RATE_LIMIT: '0', RATE_LIMIT_PREFIX: 'shop-2' })
  assert.deepEqual(config.rateLimits, { api: { points: 2000, durationSeconds: 1 }, claim: null, otp: { points: 10, durationSeconds: 300 }, sign_in: null })
  assert.equal(config.rateLimitPrefix, 'shop-2')
})

test('a limit that is not understood stops the start with the setting named', () => {
  assert.throws(() => loadConfig({ ...base, API_RATE_LIMIT: '2000' }), (error: Error) => error instanceof ConfigError && /API_RATE_LIMIT/.test(error.message))
  assert.throws(() => loadConfig({ ...base, CLAIM_RATE_LIMIT: '60 per minute' }), ConfigError)
  assert.throws(() => loadConfig({ ...base, RATE_LIMIT_PREFIX: 'has space' }), ConfigError)
})

test('TRUST_PROXY: off by default; on; or the addresses of the proxies', () => {
  assert.equal(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy, false)
  assert.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy, true)
  assert.deepEqual(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 192.168.1.5,loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', '192.168.1.5', 'loopback', 'fd00::/8'])
  for (const bad of ['2', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/8', ',']) {
    assert.throws(() => loadConfig({ ...base, TRUST_PROXY: bad }), ConfigError, bad)
  }
})

test('the default key file is in the data directory, not beside an SQLite file elsewhere; creating it in a git work tree warns', async () => {
  const { mkdtempSync, mkdirSync, existsSync, readFileSync, writeFileSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const path = await import('node:path')
  const root = mkdtempSync(path.join(tmpdir(), 'kabao-config-'))
  try {
    // A checkout: the database in its root, as with DATABASE_URL=sqlite:./kabao.db.
    mkdirSync(path.join(root, '.git'))
    const env = { DATABASE_URL: `sqlite:${path.join(root, 'kabao.db')}`, KABAO_DATA_DIR: path.join(root, 'data') }
    const first = loadConfig(env)
    assert.ok(!existsSync(path.join(root, 'secret.key')), 'no key file beside the database')
    assert.equal(readFileSync(path.join(root, 'data', 'secret.key'), 'utf8').trim(), first.secretKey.toString('hex'))
    assert.equal(first.warnings.length, 1)
    assert.match(first.warnings[0], /inside the git work tree/)
    assert.ok(first.warnings[0].includes(root))
    const again = loadConfig(env)
    assert.deepEqual(again.secretKey, first.secretKey, 'the same key on the next start')
    assert.deepEqual(again.warnings, [], 'only writing the file warns')

    // An installation made before keeps the key file it has beside its database.
    const old = path.join(root, 'old')
    mkdirSync(old)
    writeFileSync(path.join(old, 'secret.key'), 'ab'.repeat(32) + '\n')
    assert.equal(loadConfig({ DATABASE_URL: `sqlite:${path.join(old, 'kabao.db')}`, KABAO_DATA_DIR: path.join(root, 'data') }).secretKey.toString('hex'), 'ab'.repeat(32))

    // Outside any work tree nothing is said.
    const outside = mkdtempSync(path.join(tmpdir(), 'kabao-config-'))
    try {
      assert.equal(existsSync(path.join(outside, '.git')), false)
      assert.deepEqual(loadConfig({ DATABASE_URL: `sqlite:${path.join(outside, 'kabao.db')}`, KABAO_DATA_DIR: path.join(outside, 'data') }).warnings, [])
      assert.ok(existsSync(path.join(outside, 'data', 'secret.key')))
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
