import type { Json } from '../../db/json.ts'

/** Rows of the webhooks tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export const ENDPOINT_STATUSES = ['enabled', 'disabled'] as const
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number]
/** Why an endpoint is disabled: `gone` (it answered 410), `failing` (no success for 5 days) or `manual`. */
export type EndpointDisabledCode = 'gone' | 'failing' | 'manual'
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

export interface WebhookEndpointsTable {
  id: string
  merchant_id: string
  url: string
  /** Subscribed event types (`*` and `coupon.*` patterns allowed). */
  events: Json
  description: string | null
  secret_enc: string
  /** The secret before the last rotation, still signing until `prev_secret_until`. */
  prev_secret_enc: string | null
  prev_secret_until: number | null
  status: EndpointStatus
  disabled_code: EndpointDisabledCode | null
  disabled_reason: string | null
  disabled_at: number | null
  /** First failed attempt since the last success; null while healthy. */
  failing_since: number | null
  last_success_at: number | null
  created_at: number
  updated_at: number
  /** The Idempotency-Key request that made it (see idempotencyRefOf). */
  request_ref: string | null
  /** The Idempotency-Key request that set the current secret. */
  secret_request_ref: string | null
  /**
   * `webhook` (the webhook API's) or `wechat`: a WeChat app's push URL, hidden from the webhook API, its
   * deliveries WeChat XML signed with the push Token (its secret). Absent on insert (`webhook`).
   */
  kind?: EndpointKind
  /** The WeChat app a `wechat` endpoint pushes for; absent on insert (null). */
  wechat_appid?: string | null
}

export type EndpointKind = 'webhook' | 'wechat'

export interface WebhookDeliveriesTable {
  id: string
  merchant_id: string
  endpoint_id: string
  event_id: string
  status: DeliveryStatus
  attempts: number
  next_attempt_at: number
  locked_until: number | null
  lease_token: string | null
  last_attempt_at: number | null
  last_status_code: number | null
  last_error: string | null
  delivered_at: number | null
  created_at: number
  updated_at: number
}

export interface WebhookAttemptsTable {
  id: string
  merchant_id: string
  endpoint_id: string
  delivery_id: string
  event_id: string
  attempt: number
  attempted_at: number
  status_code: number | null
  latency_ms: number
  error: string | null
}
