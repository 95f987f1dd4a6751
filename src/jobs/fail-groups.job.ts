import type { Job } from './runner.ts'
import { failDueGroups } from '../features/groups/groups.service.ts'

const BATCH = 100

/**
 * Fails group coupons (拼团) still short of their size at their deadline: each in its own transaction,
 * marked by a conditional update (`state = 'open'`), gives the stock it held back to the card and each
 * member's allowance back, issues nothing, and writes `group.failed` and the members' notifications.
 * Reads already show such a group as failed; this makes it durable and returns the stock.
 */
export const failExpiredGroups: Job = {
  name: 'fail-expired-groups',
  run: (ctx, now) => failDueGroups(ctx, now, BATCH),
}
