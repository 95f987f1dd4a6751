import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { listDeliveries } from './webhooks.repository.ts'

type ListedDelivery = Awaited<ReturnType<typeof listDeliveries>>[number]

/** A delivery as the API shows it, on an endpoint's log and on a WeChat app's push log alike. */
export function presentDelivery(row: ListedDelivery, tz: string) {
  const at = (ms: number | null) => formatOptionalInstant(ms, tz)
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    // Only a pending delivery has a retry due; a settled one's stored time is stale.
    next_attempt_at: row.status === 'pending' ? at(row.next_attempt_at) : null,
    last_attempt_at: at(row.last_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: at(row.delivered_at),
    created_at: formatInstant(row.created_at, tz),
  }
}
