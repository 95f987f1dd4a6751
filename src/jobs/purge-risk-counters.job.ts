import type { Job } from './runner.ts'
import { PURGE_BATCH } from './jobs.repository.ts'
import { purgeEndedBlocks, purgeExpiredCounters } from '../features/risk/risk.repository.ts'

/**
 * Risk control's retention: database counters (kept when there is no Redis) whose window has passed
 * since their last hit, with their hits, and blocks that have ended (the 15-minute wrong-code blocks
 * among them). A counter in use drops its old hits itself as it counts; this covers the ones nobody
 * hits any more. A bounded batch of each per run.
 */
export const purgeRiskCounters: Job = {
  name: 'purge-risk-counters',
  run: async (ctx, now) => (await purgeExpiredCounters(ctx.database.db, now, PURGE_BATCH)) + (await purgeEndedBlocks(ctx.database.db, now, PURGE_BATCH)),
}
