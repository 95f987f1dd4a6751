import { useForTests } from './hooks.ts'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { buildApp, type App, type BuildOptions } from '../../src/app.ts'
import type { AppContext } from '../../src/app-context.ts'
import type { Engine } from '../../src/db/database.ts'
import { ManualClock, systemClock, type Clock } from '../../src/ports/clock.ts'
import { MemoryNotifier } from '../../src/ports/notifier.ts'
import { createSecrets } from '../../src/ports/secrets.ts'
import { createMerchant } from '../../src/features/merchants/merchants.service.ts'
import { messagingNotifier } from '../../src/features/messaging/messaging.service.ts'
import { createTestDatabase, type TestDatabase } from './databases.ts'
import type { SharedRiskCounters } from '../../src/ports/risk-counters.ts'

/** A key shared by test servers so that several processes read each other's codes. */
export const TEST_SECRET_KEY = 'a3f1c0de5eed00112233445566778899aabbccddeeff00112233445566778899'

export interface Response<T = any> {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: T
  text: string
}

export interface RequestOptions {
  body?: unknown
  /** Raw body text, sent as is (for malformed JSON and the like). */
  raw?: string
  key?: string | null
  headers?: Record<string, string>
}

export interface TestApp {
  app: App
  ctx: AppContext
  db: TestDatabase
  clock: Clock
  notifier: MemoryNotifier
  /** In-process request through `app.inject`. */
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<Response<T>>
  /** A new merchant with a full-scope key. */
  merchant(name?: string, timezone?: string): Promise<{ merchantId: string; apiKey: string }>
  /** Starts listening on a random port for real HTTP; returns the base URL. */
  listen(): Promise<string>
  close(): Promise<void>
}

/** The context a test runs the services and jobs with: the test key, a memory notifier, private webhook destinations allowed. */
export function testContext(database: AppContext['database'], overrides: Partial<AppContext> = {}): AppContext {
  return {
    database,
    clock: systemClock,
    secrets: createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex')),
    notifier: new MemoryNotifier(),
    publicUrl: 'http://kabao.test',
    allowPrivateWebhookDestinations: true,
    production: false,
    ...overrides,
  }
}

/**
 * A test app on a fresh database. Webhook endpoints may be at private addresses (the tests' receivers
 * listen on 127.0.0.1) unless `allowPrivateWebhookDestinations` is false.
 */
export async function startTestApp(
  engine: Engine,
  options: {
    clock?: ManualClock
    sqliteFile?: boolean
    build?: BuildOptions
    allowPrivateWebhookDestinations?: boolean
    /** Send sign-in codes as a running server does (features/messaging) instead of keeping them in `notifier`. */
    realMessaging?: boolean
    /** NODE_ENV=production. */
    production?: boolean
    /** Risk counters in Redis (they count in the database without). */
    riskCounters?: SharedRiskCounters
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(engine, { sqliteFile: options.sqliteFile })
  const clock: Clock = options.clock ?? systemClock
  const notifier = new MemoryNotifier()
  const secrets = createSecrets(Buffer.from(TEST_SECRET_KEY, 'hex'))
  const allowPrivateWebhookDestinations = options.allowPrivateWebhookDestinations ?? true
  const production = options.production ?? false
  const ctx = testContext(db.database, {
    clock,
    secrets,
    notifier: options.realMessaging ? messagingNotifier({ database: db.database, secrets, clock }, { production, allowPrivateDestinations: allowPrivateWebhookDestinations }) : notifier,
    allowPrivateWebhookDestinations,
    production,
    riskCounters: options.riskCounters,
  })
  const app = await buildApp(ctx, { checkResponses: true, ...options.build })
  return {
    app,
    ctx,
    db,
    clock,
    notifier,
    async request(method, url, { body, raw, key, headers = {} } = {}) {
      const allHeaders: Record<string, string> = { ...headers }
      if (key) allHeaders.authorization = `Bearer ${key}`
      let payload: string | undefined
      if (raw !== undefined) {
        payload = raw
        allHeaders['content-type'] ??= 'application/json'
      } else if (body !== undefined) {
        payload = JSON.stringify(body)
        allHeaders['content-type'] ??= 'application/json'
      }
      const res = await app.inject({ method: method as 'GET', url, headers: allHeaders, payload })
      let parsed: unknown = undefined
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined
      } catch {
        parsed = res.body
      }
      return { status: res.statusCode, headers: res.headers, body: parsed as any, text: res.body }
    },
    async merchant(name = `Merchant ${randomBytes(3).toString('hex')}`, timezone) {
      const created = await createMerchant(ctx, { name, timezone })
      return { merchantId: created.merchant_id, apiKey: created.api_key }
    },
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' })
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    },
    async close() {
      await app.close()
      await db.drop()
    },
  }
}

/** A valid cash card body to vary in tests. */
export function cashCard(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'cash',
    title: '满100减20',
    notice: 'Show the code at the till',
    reduce_cost: 2000,
    least_cost: 10000,
    stock: 100,
    validity: { type: 'fixed_term', days: 30 },
    ...overrides,
  }
}

/**
 * A test app for the tests of the enclosing `describe`: started in a `before` hook on a fresh database of
 * `engine` and closed (its database dropped) in an `after` hook.
 */
export function useTestApp(engine: Engine, options: Parameters<typeof startTestApp>[1] = {}): TestApp {
  return useForTests(() => startTestApp(engine, options), (t) => t.close())
}
