import type { Job } from './runner.ts'
import { dayKey } from '../domain/analytics.ts'
import { localDate } from '../domain/time.ts'
import { purgeDayViewers, purgeTrackedEvents } from '../features/tracking/tracking.repository.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/** Raw views and merchants' own events (`tracked_events`) are kept 180 days; no statistic reads them. */
export const TRACKED_EVENT_RETENTION_MS = 180 * DAY_MS

/**
 * Who viewed a card on a day (`card_day_viewers`, for distinct viewers over a range) is kept 400 days: a
 * statistics range is at most 366 days. The views per card and day (`card_view_days`) are kept for good.
 */
export const DAY_VIEWER_RETENTION_DAYS = 400

/** Forgets old tracked events and day viewers, a bounded batch of each per run. */
export const purgeTrackedEventsJob: Job = {
  name: 'purge-tracked-events',
  run: async (ctx, now) => {
    const events = await purgeTrackedEvents(ctx.database.db, now - TRACKED_EVENT_RETENTION_MS)
    const viewers = await purgeDayViewers(ctx.database.db, dayKey(localDate(now - DAY_VIEWER_RETENTION_DAYS * DAY_MS, 'UTC')))
    return events + viewers
  },
}
