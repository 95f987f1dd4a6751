import type { FieldError, ProblemParams } from './domain/types.ts'

/**
 * Every stable error code the API answers with: clients switch on these, so the list is closed. A code
 * used anywhere must be here, and its status below, or the project does not compile.
 */
export type ErrorCode =
  | 'malformed_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'csrf_token_invalid'
  | 'not_found'
  | 'card_not_found'
  | 'code_not_found'
  | 'store_not_found'
  | 'coupon_not_found'
  | 'redemption_not_found'
  | 'api_key_not_found'
  | 'claim_link_not_found'
  | 'merchant_not_found'
  | 'member_card_not_found'
  | 'member_not_found'
  | 'reward_not_found'
  | 'order_not_found'
  | 'pickup_code_not_found'
  | 'webhook_endpoint_not_found'
  | 'event_not_found'
  | 'notification_not_found'
  | 'payment_not_found'
  | 'payment_rule_not_found'
  | 'order_conflict'
  | 'staff_not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'uri_too_long'
  | 'request_timeout'
  | 'headers_too_large'
  | 'validation_failed'
  | 'webhook_url_not_allowed'
  | 'below_threshold'
  | 'order_amount_too_large'
  | 'idempotency_key_reused'
  | 'request_in_progress'
  | 'out_of_stock'
  | 'get_limit_reached'
  | 'card_not_active'
  | 'insufficient_stock'
  | 'already_redeemed'
  | 'already_reversed'
  | 'expired'
  | 'not_yet_valid'
  | 'voided'
  | 'coupon_locked'
  | 'sharing_not_allowed'
  | 'outside_usable_hours'
  | 'store_not_allowed'
  | 'invalid_state'
  | 'claim_link_inactive'
  | 'claim_link_reserved'
  | 'experiment_not_found'
  | 'experiment_stopped'
  | 'already_member'
  | 'member_card_not_active'
  | 'insufficient_points'
  | 'insufficient_balance'
  | 'balance_limit_exceeded'
  | 'stored_value_not_enabled'
  | 'refund_not_allowed'
  | 'refund_exceeds_order'
  | 'reward_not_active'
  | 'exchange_limit_reached'
  | 'already_picked_up'
  | 'already_signed_in'
  | 'sign_in_not_offered'
  | 'duplicate_source_ref'
  | 'duplicate_payment_ref'
  | 'duplicate_order_ref'
  | 'login_taken'
  | 'setup_closed'
  | 'setup_done'
  | 'invalid_credentials'
  | 'otp_invalid'
  | 'otp_rate_limited'
  | 'rate_limited'
  | 'capability_not_allowed'
  | 'message_channel_not_found'
  | 'delivery_unavailable'
  | 'risk_blocked'
  | 'confirmation_required'
  | 'risk_block_not_found'
  | 'gift_not_found'
  | 'gift_not_allowed'
  | 'gift_closed'
  | 'coupon_gifting'
  | 'coupon_gifted'
  | 'wechat_app_not_found'
  | 'group_not_found'
  | 'group_not_offered'
  | 'group_closed'
  | 'already_in_group'
  | 'invite_not_allowed'
  | 'service_unavailable'
  | 'internal_error'

/** HTTP status of every error code. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  malformed_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_token_invalid: 403,
  not_found: 404,
  card_not_found: 404,
  code_not_found: 404,
  store_not_found: 404,
  coupon_not_found: 404,
  redemption_not_found: 404,
  api_key_not_found: 404,
  claim_link_not_found: 404,
  merchant_not_found: 404,
  member_card_not_found: 404,
  member_not_found: 404,
  reward_not_found: 404,
  order_not_found: 404,
  pickup_code_not_found: 404,
  webhook_endpoint_not_found: 404,
  event_not_found: 404,
  notification_not_found: 404,
  payment_not_found: 404,
  payment_rule_not_found: 404,
  order_conflict: 409,
  staff_not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  uri_too_long: 414,
  request_timeout: 408,
  headers_too_large: 431,
  validation_failed: 422,
  webhook_url_not_allowed: 422,
  below_threshold: 422,
  order_amount_too_large: 422,
  idempotency_key_reused: 422,
  request_in_progress: 409,
  out_of_stock: 409,
  get_limit_reached: 409,
  card_not_active: 409,
  insufficient_stock: 409,
  already_redeemed: 409,
  already_reversed: 409,
  expired: 409,
  not_yet_valid: 409,
  voided: 409,
  coupon_locked: 409,
  sharing_not_allowed: 409,
  outside_usable_hours: 409,
  store_not_allowed: 409,
  invalid_state: 409,
  claim_link_inactive: 409,
  claim_link_reserved: 403,
  experiment_not_found: 404,
  experiment_stopped: 409,
  already_member: 409,
  member_card_not_active: 409,
  insufficient_points: 409,
  insufficient_balance: 409,
  balance_limit_exceeded: 409,
  stored_value_not_enabled: 409,
  refund_not_allowed: 409,
  refund_exceeds_order: 409,
  reward_not_active: 409,
  exchange_limit_reached: 409,
  already_picked_up: 409,
  already_signed_in: 409,
  sign_in_not_offered: 409,
  duplicate_source_ref: 409,
  duplicate_payment_ref: 409,
  duplicate_order_ref: 409,
  login_taken: 409,
  setup_closed: 409,
  setup_done: 409,
  invalid_credentials: 401,
  otp_invalid: 401,
  otp_rate_limited: 429,
  rate_limited: 429,
  capability_not_allowed: 403,
  message_channel_not_found: 404,
  delivery_unavailable: 503,
  risk_blocked: 403,
  confirmation_required: 428,
  risk_block_not_found: 404,
  gift_not_found: 404,
  gift_not_allowed: 409,
  gift_closed: 409,
  coupon_gifting: 409,
  coupon_gifted: 409,
  wechat_app_not_found: 404,
  group_not_found: 404,
  group_not_offered: 409,
  group_closed: 409,
  already_in_group: 409,
  invite_not_allowed: 409,
  service_unavailable: 503,
  internal_error: 500,
}

/** Every code, in the order of the table above. */
export const ERROR_CODES = Object.keys(STATUS_BY_CODE) as ErrorCode[]

export function statusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code]
}

/** Members a problem carries beyond the standard ones, for a client to act on without parsing `detail`. */
/** A business or request error with a stable `code` that clients switch on. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly detail: string
  readonly errors: FieldError[] | undefined
  /** What the refusal is about (amounts, times, ids), answered beside `detail` for apps to word. */
  readonly params: ProblemParams | undefined
  constructor(code: ErrorCode, detail: string, errors?: FieldError[], params?: ProblemParams) {
    super(detail)
    this.code = code
    this.detail = detail
    this.errors = errors
    this.params = params
  }
}

export function validationFailed(errors: FieldError[], detail = 'The request has invalid fields.'): AppError {
  return new AppError('validation_failed', detail, errors)
}
