import type { AppContext } from '../app-context.ts'
import { newId } from '../ports/ids.ts'
import { webhookSettings, type WebhookSettings } from '../features/webhooks/webhook-delivery.ts'
import { expireCoupons } from './expire-coupons.job.ts'
import { returnExpiredGifts } from './return-expired-gifts.job.ts'
import { purgeIdempotencyKeys } from './purge-idempotency-keys.job.ts'
import { purgeLoginAttempts } from './purge-login-attempts.job.ts'
import { purgeRiskCounters } from './purge-risk-counters.job.ts'
import { purgeOtpChallenges } from './purge-otp-challenges.job.ts'
import { purgeWebhookLog } from './purge-webhook-log.job.ts'
import { purgeSentMessagesJob } from './purge-sent-messages.job.ts'
import { purgeTrackedEventsJob } from './purge-tracked-events.job.ts'
import { MEMBER_JOBS } from './member-jobs.ts'
import { remindExpiringCoupons } from './remind-expiring-coupons.job.ts'
import { sendCustomerMessages } from './send-customer-messages.job.ts'
import { alertLowStock } from './stock-low.job.ts'
import { failExpiredGroups } from './fail-groups.job.ts'
import { rollUpDailyStats } from './daily-stats.job.ts'
import { nudgeWebhooks, startWebhookWorker } from './webhook-worker.ts'
import { finishJobRun, releaseJobLease, startJobRun, takeJobLease } from './jobs.repository.ts'

export interface Job {
  name: string
  /**
   * Only for a periodic job: the period `now` falls in (a date, say). Such a job runs once per period
   * across every process on the database: `run` is called once, and must be safe to run again in full
   * should a process die during it (the period then counts a second attempt). Without `periodOf`, the job
   * runs at every tick and `run` is called until it returns 0.
   */
  periodOf?(now: number): string
  /**
   * One bounded batch (or, for a periodic job, the period's whole work in batches). Each batch is its own
   * transaction whose changes carry their own markers, so a process killed mid-job leaves nothing half done
   * and nothing is done twice. Returns how many items it handled (0 = nothing left).
   */
  run(ctx: AppContext, now: number): Promise<number>
}

/** What the scheduled jobs are configured with. */
export interface JobSettings {
  /** Days a finished webhook delivery stays in the log (WEBHOOK_LOG_RETENTION_DAYS; 30 when absent). */
  webhookLogRetentionDays?: number
}

/**
 * Every scheduled job, in the order a tick runs them; the member cards' jobs include points expiry. Customer
 * messages go last, so what this tick told customers goes out in the same tick.
 */
export function scheduledJobs(settings: JobSettings = {}): Job[] {
  const retention = [purgeIdempotencyKeys, purgeOtpChallenges, purgeLoginAttempts, purgeRiskCounters, purgeSentMessagesJob, purgeTrackedEventsJob, purgeWebhookLog(settings.webhookLogRetentionDays)]
  // Gifts return before coupons expire, so a coupon whose gift outlived its validity is then expired in the same tick.
  return [returnExpiredGifts, expireCoupons, remindExpiringCoupons, alertLowStock, failExpiredGroups, rollUpDailyStats, ...retention, ...MEMBER_JOBS, sendCustomerMessages]
}

/** The scheduled jobs with the default settings. */
export const JOBS: Job[] = scheduledJobs()

/** A lease outlives a stalled or killed holder by at most this long. */
export const DEFAULT_LEASE_MS = 60_000
const holder = newId('proc')

/**
 * Takes the job's lease for `leaseMs` if nobody holds it (or extends ours): with several processes on one
 * database, only one runs a job at a time. A process that dies mid-job loses the lease when it times out.
 */
export async function acquireLease(ctx: AppContext, name: string, now: number, leaseMs = DEFAULT_LEASE_MS): Promise<boolean> {
  return takeJobLease(ctx.database.db, name, holder, now, now + leaseMs)
}

export async function releaseLease(ctx: AppContext, name: string, now: number): Promise<void> {
  await releaseJobLease(ctx.database.db, name, holder, now)
}

/** Runs `work` under the job's lease, renewing it while the work lasts; null when someone else holds it. */
async function withLease<T>(ctx: AppContext, name: string, leaseMs: number, work: () => Promise<T>): Promise<T | null> {
  if (!(await acquireLease(ctx, name, ctx.clock.now(), leaseMs))) return null
  const renewal = setInterval(() => void acquireLease(ctx, name, ctx.clock.now(), leaseMs).catch(() => {}), Math.max(1000, Math.floor(leaseMs / 3)))
  try {
    return await work()
  } finally {
    clearInterval(renewal)
    await releaseLease(ctx, name, ctx.clock.now())
  }
}

/**
 * Starts the period's run unless it already finished: counts one more attempt (a second one means a
 * process died during the first). False when the period is done.
 */
async function startPeriod(ctx: AppContext, job: string, periodKey: string, now: number): Promise<boolean> {
  return startJobRun(ctx.database.db, job, periodKey, holder, now)
}

async function runPeriod(ctx: AppContext, job: Job & { periodOf(now: number): string }): Promise<number | null> {
  const now = ctx.clock.now()
  const periodKey = job.periodOf(now)
  if (!(await startPeriod(ctx, job.name, periodKey, now))) return null
  const handled = await job.run(ctx, now)
  await finishJobRun(ctx.database.db, job.name, periodKey, ctx.clock.now(), handled)
  return handled
}

async function runToEnd(ctx: AppContext, job: Job): Promise<number> {
  let total = 0
  for (let n = await job.run(ctx, ctx.clock.now()); n > 0; n = await job.run(ctx, ctx.clock.now())) total += n
  return total
}

/**
 * Runs every job under its lease: a periodic one once per period, the others until they have nothing left.
 * Returns what each job that ran handled. Used by the scheduler and by tests.
 */
export async function runJobsOnce(ctx: AppContext, jobs: Job[] = JOBS, options: { leaseMs?: number } = {}): Promise<Record<string, number>> {
  const handled: Record<string, number> = {}
  for (const job of jobs) {
    const n = await withLease(ctx, job.name, options.leaseMs ?? DEFAULT_LEASE_MS, () => (job.periodOf ? runPeriod(ctx, job as Job & { periodOf(now: number): string }) : runToEnd(ctx, job)))
    if (n !== null) handled[job.name] = n
  }
  // Jobs write events (expired, expiring, stock low): send them now rather than at the next poll.
  if (Object.values(handled).some((n) => n > 0)) nudgeWebhooks()
  return handled
}

export interface RunningJobs {
  stop(): Promise<void>
}

export interface JobOptions {
  intervalMs: number
  log: { error(obj: object, msg: string): void }
  /** How webhooks are delivered; the contract's defaults when absent. */
  webhooks?: Partial<WebhookSettings>
  /** How the jobs are configured (retention); the defaults when absent. */
  jobs?: JobSettings
}

/** The scheduler: every job at each interval, and the webhook worker in between. */
export function startJobs(ctx: AppContext, options: JobOptions): RunningJobs {
  // Short intervals (tests, small deployments) get short leases, so a killed process's jobs resume soon.
  const leaseMs = Math.min(DEFAULT_LEASE_MS, Math.max(2_000, 2 * options.intervalMs))
  const jobs = scheduledJobs(options.jobs)
  const webhooks = startWebhookWorker(ctx, webhookSettings(options.webhooks), { pollMs: options.intervalMs, log: options.log })
  let stopped = false
  let current: Promise<unknown> = Promise.resolve()
  const tick = () => {
    if (stopped) return
    current = runJobsOnce(ctx, jobs, { leaseMs })
      .catch((err) => options.log.error({ err }, 'scheduled job failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs)
      })
  }
  let timer = setTimeout(tick, Math.min(options.intervalMs, 1000))
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await Promise.all([current, webhooks.stop()])
    },
  }
}
