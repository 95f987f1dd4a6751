import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

/** Rows forgotten per statement: a backlog (after downtime, say) goes in short statements, never one long one. */
export const PURGE_BATCH = 1000

/**
 * Takes the job's lease for `holder` until `lockedUntil` if nobody holds it (or extends the holder's own);
 * true when the holder has it.
 */
export async function takeJobLease(db: Db, name: string, holder: string, now: number, lockedUntil: number): Promise<boolean> {
  const row = await db
    .insertInto('job_leases')
    .values({ name, holder, locked_until: lockedUntil, last_run_at: null })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, locked_until: lockedUntil })
        .where(sql<boolean>`job_leases.locked_until <= ${now} or job_leases.holder = ${holder}`),
    )
    .returning('holder')
    .executeTakeFirst()
  return row?.holder === holder
}

/** Gives the lease up (if the holder still has it), noting the run. */
export async function releaseJobLease(db: Db, name: string, holder: string, now: number): Promise<void> {
  await db.updateTable('job_leases').set({ locked_until: now, last_run_at: now }).where('name', '=', name).where('holder', '=', holder).execute()
}

/**
 * Starts the period's run for `holder` unless it already finished, counting one more attempt; true when
 * the holder runs it.
 */
export async function startJobRun(db: Db, job: string, periodKey: string, holder: string, now: number): Promise<boolean> {
  const row = await db
    .insertInto('job_runs')
    .values({ job, period_key: periodKey, holder, attempts: 1, started_at: now, finished_at: null, handled: null })
    .onConflict((oc) =>
      oc
        .columns(['job', 'period_key'])
        .doUpdateSet({ holder, attempts: sql`job_runs.attempts + 1`, started_at: now })
        .where('job_runs.finished_at', 'is', null),
    )
    .returning('holder')
    .executeTakeFirst()
  return row?.holder === holder
}

export async function finishJobRun(db: Db, job: string, periodKey: string, finishedAt: number, handled: number): Promise<void> {
  await db.updateTable('job_runs').set({ finished_at: finishedAt, handled }).where('job', '=', job).where('period_key', '=', periodKey).execute()
}

export interface PurgeTarget {
  table: 'idempotency_keys' | 'otp_challenges' | 'login_attempts'
  /** The time a row is judged by. */
  column: 'created_at' | 'expires_at'
  /** The row's key. */
  key: readonly string[]
}

/**
 * Deletes the oldest rows of a table whose `column` is at or before `cutoff`, at most PURGE_BATCH; returns
 * how many went (the runner calls the job again until it returns 0). The outer test is checked again on
 * each row as it is deleted, so a row that changed meanwhile (an idempotency key a new request took over)
 * stays.
 */
export async function purgeOldest(db: Db, { table, column, key }: PurgeTarget, cutoff: number): Promise<number> {
  const keys = sql.join(key.map((k) => sql.ref(k)))
  const at = sql.ref(column)
  const result = await sql`
    delete from ${sql.table(table)} where ${at} <= ${cutoff} and (${keys}) in (
      select ${keys} from ${sql.table(table)} where ${at} <= ${cutoff} order by ${at} limit ${PURGE_BATCH})`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

// Coupon expiry (the coupons' own queries live in features/coupons; these serve only the job)

/** What expires at the end of its validity: a locked fission coupon too, or the `expired` figures would miss it. */
const EXPIRING_STATES = ['available', 'locked'] as const

/** Usable coupons (available, or locked waiting for friends) past their last valid second (`lastValidBefore`), soonest first, with their merchant's zone. */
export async function couponsDueToExpire(db: Db, lastValidBefore: number, limit: number) {
  return db
    .selectFrom('coupons')
    .innerJoin('merchants', 'merchants.id', 'coupons.merchant_id')
    .select(['coupons.merchant_id', 'coupons.id', 'coupons.card_id', 'coupons.user_id', 'coupons.valid_until', 'merchants.timezone'])
    .where('coupons.state', 'in', EXPIRING_STATES)
    .where('coupons.valid_until', '<=', lastValidBefore)
    .orderBy('coupons.valid_until')
    .limit(limit)
    .execute()
}

/** Marks a coupon expired if it is still available or locked; false when something else changed it first. */
export async function markCouponExpired(db: Db, merchantId: string, couponId: string, now: number): Promise<boolean> {
  const updated = await db
    .updateTable('coupons')
    .set({ state: 'expired', updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', couponId)
    .where('state', 'in', EXPIRING_STATES)
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) === 1
}
