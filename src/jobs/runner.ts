import { sql } from 'kysely'
import type { AppContext } from '../app-context.ts'
import { newId } from '../ports/ids.ts'
import { expireCoupons } from './expire-coupons.job.ts'
import { purgeIdempotencyKeys } from './purge-idempotency-keys.job.ts'
import { MEMBER_JOBS } from './member-jobs.ts'

export interface Job {
  name: string
  /** Does one bounded batch of work; returns how many items it handled (0 = nothing left). */
  run(ctx: AppContext, now: number): Promise<number>
}

export const JOBS: Job[] = [expireCoupons, purgeIdempotencyKeys, ...MEMBER_JOBS]

const LEASE_MS = 60_000
const holder = newId('proc')

/**
 * Takes the job's lease for LEASE_MS if nobody holds it: with several processes on one database, only
 * one runs a job at a time. A process that dies mid-job loses the lease when it times out.
 */
export async function acquireLease(ctx: AppContext, name: string, now: number): Promise<boolean> {
  const row = await ctx.database.db
    .insertInto('job_leases')
    .values({ name, holder, locked_until: now + LEASE_MS, last_run_at: null })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, locked_until: now + LEASE_MS })
        .where(sql<boolean>`job_leases.locked_until <= ${now} or job_leases.holder = ${holder}`),
    )
    .returning('holder')
    .executeTakeFirst()
  return row?.holder === holder
}

export async function releaseLease(ctx: AppContext, name: string, now: number): Promise<void> {
  await ctx.database.db.updateTable('job_leases').set({ locked_until: now, last_run_at: now }).where('name', '=', name).where('holder', '=', holder).execute()
}

/** Runs every job until it has nothing left, under its lease. Used by the scheduler and by tests. */
export async function runJobsOnce(ctx: AppContext, jobs: Job[] = JOBS): Promise<Record<string, number>> {
  const handled: Record<string, number> = {}
  for (const job of jobs) {
    if (!(await acquireLease(ctx, job.name, ctx.clock.now()))) continue
    try {
      let total = 0
      for (let n = await job.run(ctx, ctx.clock.now()); n > 0; n = await job.run(ctx, ctx.clock.now())) total += n
      handled[job.name] = total
    } finally {
      await releaseLease(ctx, job.name, ctx.clock.now())
    }
  }
  return handled
}

export interface RunningJobs {
  stop(): Promise<void>
}

export function startJobs(ctx: AppContext, options: { intervalMs: number; log: { error(obj: object, msg: string): void } }): RunningJobs {
  let stopped = false
  let current: Promise<unknown> = Promise.resolve()
  const tick = () => {
    if (stopped) return
    current = runJobsOnce(ctx)
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
      await current
    },
  }
}
