// The errcodes of the WeChat-compatible facade (WECHAT-API.md §3): clients switch on `errcode`, some
// compare `errmsg`, so the messages marked exact are byte-for-byte WeChat's. Every facade answer carries
// one of these, and nothing else: the facade never invents a code.

export const WX_ERRORS = {
  '-1': 'system error',
  '0': 'ok',
  '40001': 'invalid credential, access_token is invalid or not latest',
  '40002': 'invalid grant_type',
  '40013': 'invalid appid',
  '40053': 'invalid action info, please check document',
  '40056': 'invalid serial code',
  '40071': 'invalid card type',
  '40072': 'invalid location id',
  '40073': 'invalid card id',
  '40075': 'invalid encrypt code',
  '40078': 'invalid card status',
  '40079': 'invalid time',
  '40097': 'invalid args',
  '40099': 'invalid code, this code has consumed.',
  '40100': 'invalid DateInfo, Make Sure OldDateInfoType==NewDateInfoType && NewBeginTime<=OldBeginTime && OldEndTime<= NewEndTime',
  '40122': 'invalid card quantity',
  '40127': 'invalid user-card status! Hint: the card was given to user, but may be deleted or expired or set unavailable !',
  '41001': 'access_token missing',
  '41002': 'appid missing',
  '41004': 'appsecret missing',
  '41011': 'missing required fields',
  '41012': 'missing card id',
  '42001': 'access_token expired',
  '43002': 'require POST method',
  '43009': 'no custom code permission',
  '43010': 'no balance permission',
  '45009': 'api freq out of limit',
  '45021': 'field length exceeds the limit',
  '45031': 'stock is empty',
  '45033': 'get limit reached',
  '47001': 'data format error',
  '48001': 'api unauthorized',
  '61500': 'date format error',
  '61501': 'date range error',
} as const

export type WxErrcode = -1 | 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501

/** Every errcode the facade may answer (§3 plus 0). */
export const WX_ERRCODES: readonly WxErrcode[] = Object.keys(WX_ERRORS).map(Number) as WxErrcode[]

/** Codes whose errmsg is extended with a detail after WeChat's own words (`invalid args: …`); the rest are exact. */
const DETAILED: ReadonlySet<WxErrcode> = new Set<WxErrcode>([40097, 41011, 41012, 45021, 48001])

export interface WxError {
  errcode: WxErrcode
  errmsg: string
}

/** The answer for an errcode; a detail (the fields or rules concerned) follows `:` where the message allows one. */
export function wxError(errcode: WxErrcode, detail?: string): WxError {
  const base: string = WX_ERRORS[String(errcode) as keyof typeof WX_ERRORS]
  return { errcode, errmsg: detail && DETAILED.has(errcode) ? `${base}: ${detail}` : base }
}

/**
 * A native error code (src/errors.ts ErrorCode, as a string: the domain imports nothing from outside it)
 * in WeChat's words. What is unknown here is a failure of ours: -1.
 */
const BY_NATIVE_CODE: Readonly<Record<string, WxErrcode>> = {
  code_not_found: 40056,
  coupon_not_found: 40056,
  already_redeemed: 40099,
  expired: 40127,
  voided: 40127,
  coupon_gifting: 40127,
  not_yet_valid: 40079,
  outside_usable_hours: 40079,
  store_not_allowed: 40072,
  store_not_found: 40072,
  card_not_active: 40078,
  claim_link_inactive: 40078,
  claim_link_reserved: 48001,
  card_not_found: 40073,
  member_card_not_found: 40073,
  member_not_found: 40056,
  member_card_not_active: 40078,
  out_of_stock: 45031,
  get_limit_reached: 45033,
  already_member: 45033,
  insufficient_stock: 40122,
  validation_failed: 40097,
  below_threshold: 40097,
  insufficient_points: 40097,
  insufficient_balance: 40097,
  balance_limit_exceeded: 40097,
  idempotency_key_reused: 40097,
  invalid_state: 40097,
  order_amount_too_large: 40097,
  malformed_request: 47001,
  payload_too_large: 47001,
  unsupported_media_type: 47001,
  stored_value_not_enabled: 43010,
  capability_not_allowed: 48001,
  forbidden: 48001,
  risk_blocked: 48001,
  confirmation_required: 48001,
  rate_limited: 45009,
  request_in_progress: -1,
}

export function errcodeOfNative(code: string): WxErrcode {
  return BY_NATIVE_CODE[code] ?? -1
}
