import type { Job } from './runner.ts'
import { PURGE_BATCH } from './jobs.repository.ts'
import { purgeEndedBlocks, purgeExpiredCounters, purgeExpiredCounts } from '../features/risk/risk.repository.ts'

/**
 * Risk control's retention: database counters (kept when there is no Redis): the buckets of plain
 * counters that have left every window, distinct counters whose window has passed since their last hit
 * (with their members), and blocks that have ended (the 15-minute wrong-code blocks among them). A
 * distinct counter in use drops its old members itself as it counts; this covers the ones nobody hits any
 * more. A bounded batch of each per run.
 */
export const purgeRiskCounters: Job = {
  name: 'purge-risk-counters',
  run: async (ctx, now) =>
    (await purgeExpiredCounts(ctx.database.db, now, PURGE_BATCH)) + (await purgeExpiredCounters(ctx.database.db, now, PURGE_BATCH)) + (await purgeEndedBlocks(ctx.database.db, now, PURGE_BATCH)),
}
