import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { pick } from '../../pick.ts'
import type { listDeliveries } from './webhooks.repository.ts'

type ListedDelivery = Awaited<ReturnType<typeof listDeliveries>>[number]

/** A delivery as the API shows it, on an endpoint's log and on a WeChat app's push log alike. */
export function presentDelivery(row: ListedDelivery, tz: string) {
  const at = (ms: number | null) => formatOptionalInstant(ms, tz)
  return {
    ...pick(row, ['id', 'event_id', 'event_type', 'status', 'attempts']),
    // Only a pending delivery has a retry due; a settled one's stored time is stale.
    next_attempt_at: row.status === 'pending' ? at(row.next_attempt_at) : null,
    last_attempt_at: at(row.last_attempt_at),
    ...pick(row, ['last_status_code', 'last_error']),
    delivered_at: at(row.delivered_at),
    created_at: formatInstant(row.created_at, tz),
  }
}
