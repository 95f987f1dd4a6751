import { fileURLToPath } from 'node:url'
import { loadConfig, type Config } from './config.ts'
import { openDatabase, type Database } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { buildApp, type App } from './app.ts'
import { systemClock, type Clock } from './ports/clock.ts'
import { createSecrets } from './ports/secrets.ts'
import { messagingNotifier } from './features/messaging/messaging.service.ts'
import type { AppContext } from './app-context.ts'
import { startJobs } from './jobs/runner.ts'
import { sealLegacyClaimLinkTokens } from './features/claim-links/claim-links.service.ts'
import { createLogger } from './http/logging.ts'
import { createRateLimits } from './ports/rate-limits.ts'
import { createRedisRiskCounters } from './ports/risk-counters.ts'
import { describeRateLimit } from './rate-limit-rules.ts'

export function openConfiguredDatabase(config: Config): Database {
  return openDatabase(config.databaseUrl, { sqliteSynchronous: config.sqliteSynchronous, poolSize: config.databasePoolSize })
}

export function contextFor(config: Config, database: Database, clock: Clock = systemClock): AppContext {
  const secrets = createSecrets(config.secretKey)
  const options = { production: config.production, allowPrivateDestinations: config.webhookAllowPrivateDestinations }
  return {
    database,
    clock,
    secrets,
    notifier: messagingNotifier({ database, secrets, clock }, options),
    publicUrl: config.publicUrl,
    allowPrivateWebhookDestinations: config.webhookAllowPrivateDestinations,
    production: config.production,
    wechatFacade: config.wechatFacade,
  }
}

/** load config → open db → migrate → build app → start jobs → listen; closes gracefully on SIGTERM/SIGINT. */
export async function serve(config: Config = loadConfig()): Promise<App> {
  const log = createLogger(config.logLevel)
  for (const warning of config.warnings) log.warn(warning)
  const database = openConfiguredDatabase(config)
  await migrateToLatest(database)
  // Risk counters are shared in Redis when there is one, else kept in the database (features/risk).
  const riskCounters = config.redisUrl ? createRedisRiskCounters({ redisUrl: config.redisUrl, prefix: config.rateLimitPrefix, log }) : undefined
  const ctx = { ...contextFor(config, database), riskCounters }
  await sealLegacyClaimLinkTokens(database, ctx.secrets)
  const rateLimits = createRateLimits({ redisUrl: config.redisUrl, prefix: config.rateLimitPrefix, log })
  // Counting starts in Redis once it answers; a Redis that does not answer delays the start by a second
  // at most, and requests are then counted in this process until it does.
  await Promise.all([rateLimits.ready(1000), riskCounters?.ready(1000)])
  const app = await buildApp(ctx, {
    logger: log,
    webRoot: fileURLToPath(new URL('../web', import.meta.url)),
    metrics: { token: config.metricsToken, processMetrics: true },
    rateLimits: { store: rateLimits, limits: config.rateLimits },
    trustProxy: config.trustProxy,
  })
  log.info(
    { counted_in: rateLimits.store, ...Object.fromEntries(Object.entries(config.rateLimits).map(([name, limit]) => [name, limit ? describeRateLimit(limit) : 'off'])) },
    'request-rate limits',
  )
  const jobs = config.jobsEnabled
    ? startJobs(ctx, {
        intervalMs: config.jobIntervalMs,
        log,
        webhooks: { retrySchedule: config.webhookRetrySchedule, timeoutMs: config.webhookTimeoutMs },
        jobs: { webhookLogRetentionDays: config.webhookLogRetentionDays },
      })
    : null
  await app.listen({ port: config.port, host: config.host })

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    log.info({ signal }, 'shutting down: finishing in-flight requests')
    // Stop taking new connections and wait for in-flight requests, then stop jobs, then the database.
    const force = setTimeout(() => process.exit(1), 15_000)
    force.unref()
    try {
      await app.close()
      await jobs?.stop()
      await riskCounters?.close()
      await database.close()
    } finally {
      process.exit(0)
    }
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
  return app
}
