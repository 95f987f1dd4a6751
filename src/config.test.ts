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
