import { readFileSync, mkdirSync, existsSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { isIP } from 'node:net'
import { parseRateLimit, type RateLimit, type RateLimitSettings } from './rate-limit-rules.ts'

/** Everything the process is configured with. Read once at start (the only reader of process.env). */
export interface Config {
  readonly port: number
  readonly host: string
  /** `sqlite:/path`, `sqlite::memory:` or `postgres://…` */
  readonly databaseUrl: string
  /** With it, request-rate limits count in Redis, shared by every process; without it, in each process. */
  readonly redisUrl: string | null
  /** Request-rate limits, per API key (`api`) and per client address on the public routes; null = off. */
  readonly rateLimits: RateLimitSettings
  /** Starts every Redis key, so that deployments sharing one Redis count apart. */
  readonly rateLimitPrefix: string
  /**
   * Whose X-Forwarded-For (and -Proto, -Host) to believe, as Fastify's `trustProxy`: false (the default:
   * the client is whoever connects), true (whoever connects is a proxy), or the proxies' addresses.
   */
  readonly trustProxy: boolean | string[]
  /** 32-byte key kept outside the database: encrypts coupon codes and signs wallet tokens. */
  readonly secretKey: Buffer
  /** SQLite `synchronous` pragma: NORMAL survives process crashes; FULL also survives power loss. */
  readonly sqliteSynchronous: 'NORMAL' | 'FULL'
  readonly logLevel: string
  readonly jobsEnabled: boolean
  readonly jobIntervalMs: number
  /** Seconds between webhook delivery attempts. */
  readonly webhookRetrySchedule: readonly number[]
  /** How long a webhook receiver has to answer; the contract's 10 s unless set lower. */
  readonly webhookTimeoutMs: number
  /** Days a finished webhook delivery (delivered or failed) and its attempts stay in the log. */
  readonly webhookLogRetentionDays: number
  /** Whether webhook endpoints may be at private or internal addresses (loopback, 10/8, 169.254/16, …). */
  readonly webhookAllowPrivateDestinations: boolean
  /** NODE_ENV=production. */
  readonly production: boolean
  readonly databasePoolSize: number
  /** Base URL that claim links and QR codes point at. */
  readonly publicUrl: string
  /** When set, `GET /metrics` asks for it as a bearer token. */
  readonly metricsToken: string | null
  /** The WeChat-compatible facade's prefix ('' = the root), or false when WECHAT_FACADE=off. */
  readonly wechatFacade: { prefix: string } | false
  /** Things the operator should know about the configuration, logged at start. */
  readonly warnings: readonly string[]
}

type Env = Record<string, string | undefined>

export class ConfigError extends Error {}

/** Reads `NAME` or, for secrets, the file named by `NAME_FILE`. */
function readSetting(env: Env, name: string): string | undefined {
  const file = env[`${name}_FILE`]
  if (file) return readFileSync(file, 'utf8').trim()
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readSetting(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`)
  }
  return value
}

function booleanSetting(env: Env, name: string, fallback: boolean): boolean {
  const raw = readSetting(env, name)
  if (raw === undefined) return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false
  throw new ConfigError(`${name} must be true or false, got "${raw}"`)
}

/**
 * The defaults: the merchant API is not limited per key (one till system or backend may rightly send
 * thousands of requests a second); the public routes are limited per client address generously enough
 * for a shop's Wi-Fi or a mobile carrier's shared address, and tightly enough to slow scripted abuse.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = Object.freeze({
  api: null,
  claim: { points: 120, durationSeconds: 60 },
  otp: { points: 30, durationSeconds: 60 },
  sign_in: { points: 20, durationSeconds: 60 },
})

function rateLimitSetting(env: Env, name: string, fallback: RateLimit | null): RateLimit | null {
  const raw = readSetting(env, name)
  if (raw === undefined) return fallback
  const limit = parseRateLimit(raw)
  if (limit === undefined) throw new ConfigError(`${name} must be a number of requests per period such as 100/s, 60/min, 20/10s or 1000/h (at most a day), or off; got "${raw}"`)
  return limit
}

function rateLimitPrefixSetting(env: Env): string {
  const prefix = readSetting(env, 'RATE_LIMIT_PREFIX') ?? 'kabao'
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new ConfigError(`RATE_LIMIT_PREFIX must be 1 to 64 letters, digits or _ . : -; got "${prefix}"`)
  return prefix
}

function trustProxySetting(env: Env): boolean | string[] {
  const raw = readSetting(env, 'TRUST_PROXY')
  if (raw === undefined) return false
  const text = raw.trim().toLowerCase()
  if (['0', 'false', 'no', 'off'].includes(text)) return false
  if (['1', 'true', 'yes', 'on'].includes(text)) return true
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean)
  const valid = (entry: string) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true
    const [address, bits, ...rest] = entry.split('/')
    const version = isIP(address)
    if (version === 0 || rest.length > 0) return false
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128))
  }
  if (entries.length === 0 || !entries.every(valid)) {
    throw new ConfigError(`TRUST_PROXY must be true, false, or the proxies' addresses (comma-separated; CIDR ranges and loopback, linklocal, uniquelocal allowed); got "${raw}"`)
  }
  return entries
}

/** WECHAT_FACADE_PREFIX: `/` (the root) by default; one that reaches into Kabao's own paths fails at start. */
function wechatPrefixSetting(env: Env): string {
  const raw = readSetting(env, 'WECHAT_FACADE_PREFIX') ?? '/'
  if (!/^\/?[A-Za-z0-9_\-/]*$/.test(raw)) throw new ConfigError(`WECHAT_FACADE_PREFIX must be a path such as / or /wx; got "${raw}"`)
  const prefix = ('/' + raw).replace(/\/+/g, '/').replace(/\/$/, '')
  for (const reserved of ['/v1', '/docs', '/openapi.json', '/console', '/wallet', '/pos', '/healthz', '/readyz', '/metrics', '/assets']) {
    if (prefix !== '' && (prefix === reserved || prefix.startsWith(`${reserved}/`))) throw new ConfigError(`WECHAT_FACADE_PREFIX ${raw} collides with Kabao's own ${reserved}`)
  }
  return prefix
}

/** Days a finished webhook delivery stays in the log (WEBHOOK_LOG_RETENTION_DAYS). */
export const DEFAULT_WEBHOOK_LOG_RETENTION_DAYS = 30

/** About three days of retries: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h, 24 h, 24 h. */
export const DEFAULT_RETRY_SCHEDULE = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600]

function parseRetrySchedule(raw: string | undefined): number[] {
  if (raw === undefined) return DEFAULT_RETRY_SCHEDULE
  const parts = raw.split(',').map((s) => Number(s.trim()))
  if (parts.length === 0 || parts.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new ConfigError(`WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, got "${raw}"`)
  }
  return parts
}

/** The git work tree `dir` is in (the nearest directory at or above it holding `.git`), or null. */
export function gitWorkTreeOf(dir: string): string | null {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (existsSync(path.join(current, '.git'))) return current
    if (path.dirname(current) === current) return null
  }
}

/**
 * The secret key: KABAO_SECRET_KEY (64 hex chars or base64 of 32 bytes), or KABAO_SECRET_KEY_FILE;
 * for the embedded default, `secret.key` in the data directory (KABAO_DATA_DIR, default ./data), created
 * on first start. An SQLite file elsewhere (say `sqlite:./kabao.db` in a checkout) does not get a key file
 * beside it, where it would sit untracked next to the code; but a key file already beside the database,
 * from an installation made before, is still the one used.
 */
function resolveSecretKey(env: Env, databaseUrl: string, dataDir: string, warnings: string[]): Buffer {
  const raw = readSetting(env, 'KABAO_SECRET_KEY')
  if (raw !== undefined) return decodeKey(raw)
  if (databaseUrl === 'sqlite::memory:') return randomBytes(32)
  if (!databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError('KABAO_SECRET_KEY (or KABAO_SECRET_KEY_FILE) is required with PostgreSQL: every process must share it')
  }
  const besideDatabase = path.join(path.dirname(path.resolve(databaseUrl.slice('sqlite:'.length))), 'secret.key')
  const keyFile = existsSync(besideDatabase) ? besideDatabase : path.join(dataDir, 'secret.key')
  if (!existsSync(keyFile)) {
    const workTree = gitWorkTreeOf(dataDir)
    if (workTree !== null) {
      warnings.push(`the secret key file ${keyFile} is created inside the git work tree ${workTree}: never commit it (keep it ignored), or set KABAO_DATA_DIR or KABAO_SECRET_KEY_FILE to a place outside`)
    }
    mkdirSync(dataDir, { recursive: true })
    try {
      writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    } catch (error) {
      // Another process starting at the same moment wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  return decodeKey(readFileSync(keyFile, 'utf8').trim())
}

function decodeKey(raw: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64')
  if (key.length !== 32) throw new ConfigError('KABAO_SECRET_KEY must be 32 bytes (64 hex characters or base64)')
  return key
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(readSetting(env, 'KABAO_DATA_DIR') ?? 'data')
  const databaseUrl = readSetting(env, 'DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'kabao.db')}`
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with sqlite: or postgres://')
  }
  const sync = (readSetting(env, 'SQLITE_SYNCHRONOUS') ?? 'NORMAL').toUpperCase()
  if (sync !== 'NORMAL' && sync !== 'FULL') throw new ConfigError('SQLITE_SYNCHRONOUS must be NORMAL or FULL')
  const warnings: string[] = []
  const secretKey = resolveSecretKey(env, databaseUrl, dataDir, warnings)
  return Object.freeze({
    port: intSetting(env, 'PORT', 8080, 0, 65535),
    host: readSetting(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    redisUrl: readSetting(env, 'REDIS_URL') ?? null,
    rateLimits: Object.freeze({
      api: rateLimitSetting(env, 'API_RATE_LIMIT', DEFAULT_RATE_LIMITS.api),
      claim: rateLimitSetting(env, 'CLAIM_RATE_LIMIT', DEFAULT_RATE_LIMITS.claim),
      otp: rateLimitSetting(env, 'OTP_RATE_LIMIT', DEFAULT_RATE_LIMITS.otp),
      sign_in: rateLimitSetting(env, 'SIGN_IN_RATE_LIMIT', DEFAULT_RATE_LIMITS.sign_in),
    }),
    rateLimitPrefix: rateLimitPrefixSetting(env),
    trustProxy: trustProxySetting(env),
    secretKey,
    sqliteSynchronous: sync,
    logLevel: readSetting(env, 'LOG_LEVEL') ?? 'info',
    jobsEnabled: booleanSetting(env, 'KABAO_JOBS', true),
    jobIntervalMs: intSetting(env, 'KABAO_JOB_INTERVAL_MS', 30_000, 50, 86_400_000),
    webhookRetrySchedule: Object.freeze(parseRetrySchedule(readSetting(env, 'WEBHOOK_RETRY_SCHEDULE'))),
    webhookTimeoutMs: intSetting(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 10_000),
    webhookLogRetentionDays: intSetting(env, 'WEBHOOK_LOG_RETENTION_DAYS', DEFAULT_WEBHOOK_LOG_RETENTION_DAYS, 1, 36_500),
    // Allowed while developing (a receiver on the same machine); refused in production unless allowed.
    webhookAllowPrivateDestinations: booleanSetting(env, 'WEBHOOK_ALLOW_PRIVATE_DESTINATIONS', readSetting(env, 'NODE_ENV') !== 'production'),
    production: readSetting(env, 'NODE_ENV') === 'production',
    databasePoolSize: intSetting(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    metricsToken: readSetting(env, 'METRICS_TOKEN') ?? null,
    wechatFacade: booleanSetting(env, 'WECHAT_FACADE', true) ? { prefix: wechatPrefixSetting(env) } : false,
    warnings: Object.freeze(warnings),
    publicUrl: (readSetting(env, 'KABAO_PUBLIC_URL') ?? `http://${readSetting(env, 'HOST') ?? '127.0.0.1'}:${readSetting(env, 'PORT') ?? 8080}`).replace(/\/+$/, ''),
  })
}
