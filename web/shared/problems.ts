import { ApiError, type FieldProblem, type ProblemCode, type ProblemParams } from './api.ts'
import { locale } from './i18n.ts'
import { price } from './money.ts'

/**
 * The words people read for every code the API answers with (the server's closed list) and for the
 * client's own: the compiler sees to it that a new code gets its words here.
 */
const PROBLEMS: Record<ProblemCode, [string, string]> = {
  http_error: ['服务器返回了无法识别的错误，请稍后再试', 'The server answered with an error it did not explain; try again shortly'],
  malformed_request: ['请求格式有误，请刷新后重试', 'The request was malformed; reload and try again'],
  method_not_allowed: ['不支持这种操作', 'This operation is not supported here'],
  unsupported_media_type: ['请求格式不受支持', 'The request format is not supported'],
  payload_too_large: ['提交的内容太大', 'What was sent is too large'],
  uri_too_long: ['请求地址太长', 'The request address is too long'],
  request_timeout: ['请求超时，请重试', 'The request took too long; try again'],
  headers_too_large: ['请求头太大，请清除浏览器数据后重试', 'The request headers are too large; clear the site data and try again'],
  redemption_not_found: ['找不到这笔核销记录', 'The redemption does not exist'],
  order_not_found: ['找不到该订单', 'The order does not exist'],
  pickup_code_not_found: ['提货码不存在，请核对', 'No exchange has this pick-up code; check it'],
  payment_not_found: ['找不到该付款记录', 'The payment does not exist'],
  payment_rule_not_found: ['找不到该支付规则', 'The payment rule does not exist'],
  order_conflict: ['该订单号已用于不同的订单', 'This order reference was already used for a different order'],
  already_reversed: ['这笔核销已经撤销过了', 'This redemption has already been reversed'],
  stored_value_not_enabled: ['这张会员卡未开通储值', 'This member card does not take stored value'],
  refund_not_allowed: ['这笔款项不能退', 'This cannot be refunded'],
  refund_exceeds_order: ['退款金额超过了订单金额', 'The refund is more than the order'],
  exchange_limit_reached: ['已达到每人兑换次数上限', 'The most exchanges allowed for one member are done'],
  already_picked_up: ['这件商品已经领取过了', 'This has already been picked up'],
  already_signed_in: ['今天已经签到过了', 'Already signed in today'],
  sign_in_not_offered: ['这张会员卡没有签到活动', 'This member card offers no daily sign-in'],
  duplicate_payment_ref: ['这笔付款已经记过了', 'A payment was already recorded for this reference'],
  duplicate_order_ref: ['这个订单号已经用过了', 'This order reference was already used'],
  network_error: ['网络连接失败，请检查网络后重试', 'The network is unavailable; check the connection and try again'],
  unauthenticated: ['登录已失效，请重新登录', 'Your session has ended; please sign in again'],
  forbidden: ['您没有权限进行此操作', 'You are not allowed to do this'],
  csrf_token_invalid: ['页面已过期，请刷新后重试', 'The page is out of date; reload it and try again'],
  invalid_credentials: ['账号或密码错误', 'The name or the password is wrong'],
  rate_limited: ['尝试次数过多，请稍后再试', 'Too many attempts; please wait and try again'],
  setup_closed: ['系统已完成初始化，请直接登录', 'This installation is already set up; please sign in'],
  setup_done: ['已有商户：请用 kabao staff create 为其创建店主账号', 'A merchant exists already: create its owner with kabao staff create'],
  login_taken: ['该登录名已被使用', 'This sign-in name is already taken'],
  validation_failed: ['请检查填写的内容', 'Please check the highlighted fields'],
  not_found: ['找不到该内容', 'Not found'],
  card_not_found: ['找不到该卡券', 'The card does not exist'],
  store_not_found: ['找不到该门店', 'The store does not exist'],
  staff_not_found: ['找不到该员工', 'The staff member does not exist'],
  api_key_not_found: ['找不到该密钥', 'The API key does not exist'],
  claim_link_not_found: ['领取链接不存在', 'This claim link does not exist'],
  claim_link_inactive: ['领取链接已失效', 'This claim link no longer works'],
  claim_link_reserved: ['这个领取链接是专门给另一位顾客的', 'This claim link is reserved for another customer'],
  experiment_not_found: ['实验不存在', 'This experiment does not exist'],
  experiment_stopped: ['实验已停止', 'This experiment was stopped already'],
  code_not_found: ['查无此券，请核对券码', 'No coupon has this code; check it and try again'],
  coupon_not_found: ['找不到这张券', 'The coupon does not exist'],
  already_redeemed: ['这张券已经核销过了', 'This coupon has already been used'],
  expired: ['这张券已过期', 'This coupon has expired'],
  not_yet_valid: ['这张券还没到可用时间', 'This coupon cannot be used yet'],
  voided: ['这张券已作废', 'This coupon has been cancelled'],
  coupon_locked: ['这张券尚未解锁：邀请好友领取后即可使用', 'This coupon is locked until enough friends claim it through your share link'],
  sharing_not_allowed: ['这张券不支持分享', 'This card cannot be shared'],
  outside_usable_hours: ['现在不在这张券的可用时段', 'This coupon cannot be used at this time of day'],
  store_not_allowed: ['这张券不能在本店使用', 'This coupon cannot be used in this store'],
  below_threshold: ['订单金额未达到这张券的使用门槛', 'The order is below this coupon’s minimum spend'],
  order_amount_too_large: ['订单金额超过了商户设定的单笔上限', 'The order amount is above the merchant’s limit for one order'],
  balance_limit_exceeded: ['超过了会员余额上限，无法入账', 'This would take the member’s balance above its limit'],
  out_of_stock: ['已经领完了', 'All gone: none left to claim'],
  get_limit_reached: ['您已领过这张券了', 'You already have as many of these as allowed'],
  card_not_active: ['活动已暂停或结束', 'This offer is paused or has ended'],
  insufficient_stock: ['库存不足，无法减少这么多', 'The stock is not that high'],
  invalid_state: ['当前状态下不能这样操作', 'This cannot be done in the current state'],
  otp_invalid: ['验证码错误或已过期，请重新获取', 'The code is wrong or has expired; request a new one'],
  otp_rate_limited: ['验证码发送太频繁，请稍后再试', 'Too many codes were sent; please wait a little'],
  merchant_not_found: ['商户不存在', 'The merchant does not exist'],
  capability_not_allowed: ['您的商户暂不支持此功能', 'Your merchant account cannot do this yet'],
  request_in_progress: ['上一次操作还在处理中，请稍候', 'The previous attempt is still being processed'],
  idempotency_key_reused: ['请求重复，请刷新后重试', 'This request was already made differently; reload and try again'],
  member_card_not_found: ['找不到该会员卡', 'The member card does not exist'],
  member_not_found: ['找不到该会员', 'The member does not exist'],
  reward_not_found: ['找不到该兑换商品', 'The reward does not exist'],
  webhook_endpoint_not_found: ['找不到该推送地址', 'The webhook endpoint does not exist'],
  webhook_url_not_allowed: ['不能推送到内网或本机地址', 'Webhooks cannot be sent to private or internal network addresses'],
  event_not_found: ['找不到该事件', 'The event does not exist'],
  notification_not_found: ['找不到该消息', 'The message does not exist'],
  already_member: ['您已经是这张会员卡的会员了', 'You are already a member of this card'],
  member_card_not_active: ['这张会员卡暂停开卡', 'This member card is not taking new members now'],
  insufficient_points: ['积分不足，不能扣减这么多', 'The member does not have that many points'],
  insufficient_balance: ['储值余额不足', 'The stored-value balance is not that high'],
  duplicate_source_ref: ['这笔积分已经记过了', 'Points were already posted for this reference'],
  reward_not_active: ['该商品已暂停兑换', 'This reward cannot be exchanged now'],
  message_channel_not_found: ['尚未设置该发送渠道', 'This channel is not set up'],
  delivery_unavailable: ['验证码暂时无法发送，请稍后再试', 'The code could not be sent; try again shortly'],
  risk_blocked: ['出于安全考虑，本次操作已被拦截，请稍后再试或联系商家', 'This was refused for security reasons; try later or contact the merchant'],
  confirmation_required: ['此次核销需要店长或管理员二次确认', 'This redemption needs a manager to confirm it'],
  risk_block_not_found: ['没有这条拦截记录', 'There is no such block'],
  gift_not_found: ['找不到这份转赠，请核对链接', 'There is no such gift; check the link'],
  gift_not_allowed: ['这张券不能转赠', 'This coupon cannot be given as a gift'],
  gift_closed: ['这份转赠已被领取、取消或已过期', 'This gift was already accepted, taken back or has expired'],
  coupon_gifting: ['这张券正在转赠中，暂不能使用', 'This coupon is being given as a gift and cannot be used now'],
  coupon_gifted: ['这张券已转赠给他人，券码已失效', 'This coupon was given away; its code no longer works'],
  wechat_app_not_found: ['没有这个微信应用凭据', 'There is no such WeChat app credential'],
  group_not_found: ['没有这个拼团', 'There is no such group'],
  group_not_offered: ['这张券不支持拼团', 'This card has no group deals'],
  group_closed: ['拼团已满或已结束', 'The group is full or closed'],
  already_in_group: ['您已在这张券的一个拼团中', 'You are already in a group for this card'],
  invite_not_allowed: ['无法使用这个邀请码', 'This invite code cannot be used'],
  service_unavailable: ['服务暂时不可用，请稍后再试', 'The service is unavailable; try again shortly'],
  internal_error: ['系统出错了，请稍后再试', 'Something went wrong on our side; try again shortly'],
}

const zh = () => locale.value === 'zh-CN'

/** What the app knows that the problem names by id. */
export interface ProblemContext {
  storeName?: (storeId: string) => string | undefined
}

/** '2026-03-10T10:00:00+08:00' → '2026-03-10 10:00', the time as the store's clock read it. */
const localTime = (iso: string) => iso.replace('T', ' ').slice(0, 16)

const WEEKDAYS: [string[], string[]] = [
  ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
  ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
]

/** [1, 2, 3, 4, 5] → 周一至周五 / Mon–Fri; every day → 每天 / every day; else the days listed. */
function daysText(days: number[], lang: 0 | 1): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b)
  if (sorted.length === 7) return lang === 0 ? '每天' : 'every day'
  const names = WEEKDAYS[lang]
  const consecutive = sorted.every((day, i) => i === 0 || day === sorted[i - 1] + 1)
  if (consecutive && sorted.length >= 3) return `${names[sorted[0] - 1]}${lang === 0 ? '至' : '–'}${names[sorted[sorted.length - 1] - 1]}`
  return sorted.map((day) => names[day - 1]).join(lang === 0 ? '、' : ', ')
}

/** The words for what a refusal is about, from the problem's members: [Chinese, English], or null. */
const DETAILS: Partial<Record<ProblemCode, (p: ProblemParams, context: ProblemContext) => [string, string] | null>> = {
  below_threshold: (p) =>
    p.order_amount === undefined || p.threshold === undefined
      ? null
      : [`订单金额 ${price(p.order_amount)}，满 ${price(p.threshold)} 才能使用`, `The order is ${price(p.order_amount)}; this coupon needs ${price(p.threshold)} or more`],
  already_redeemed: (p, context) => {
    if (p.redeemed_at === undefined || p.redeemed_at === null) return null
    const name = p.store_id ? context.storeName?.(p.store_id) : undefined
    const where: [string, string] = !p.store_id ? ['', ''] : name ? [`在${name}`, ` at ${name}`] : ['在其他门店', ' at another store']
    return [`已于 ${localTime(p.redeemed_at)} ${where[0]}核销`, `Redeemed on ${localTime(p.redeemed_at)}${where[1]}`]
  },
  expired: (p) => (p.valid_until ? [`有效期至 ${localTime(p.valid_until)}`, `It was valid until ${localTime(p.valid_until)}`] : null),
  not_yet_valid: (p) => (p.valid_from ? [`${localTime(p.valid_from)} 起可以使用`, `It can be used from ${localTime(p.valid_from)}`] : null),
  store_not_allowed: (p) => (p.store_id === null ? ['这张券只能在指定门店使用，请先选择门店', 'This coupon is for certain stores only; choose the store first'] : null),
  outside_usable_hours: (p) =>
    p.usable_hours && p.usable_hours.length > 0
      ? [
          `可用时段：${p.usable_hours.map((w) => `${daysText(w.days, 0)} ${w.start}–${w.end}`).join('；')}`,
          `It can be used ${p.usable_hours.map((w) => `${daysText(w.days, 1)} ${w.start}–${w.end}`).join('; ')}`,
        ]
      : null,
}

/** The headline for an error: the known code in the reader's language, else the server's detail. */
export function problemHeadline(error: unknown): string {
  if (!(error instanceof ApiError)) return zh() ? '出错了，请重试' : 'Something went wrong; please try again'
  const known = PROBLEMS[error.code]
  if (!known) return error.detail
  return zh() ? known[0] : known[1]
}

/** What the refusal is about (amounts in 元, times, store names), in the reader's language; '' when it names nothing. */
export function problemDetail(error: unknown, context: ProblemContext = {}): string {
  if (!(error instanceof ApiError)) return ''
  const words = DETAILS[error.code]?.(error.params, context)
  return words ? (zh() ? words[0] : words[1]) : ''
}

/** A sentence for an error: its headline and, when the problem names something, what. */
export function problemText(error: unknown, context: ProblemContext = {}): string {
  const headline = problemHeadline(error)
  const detail = problemDetail(error, context)
  return detail ? `${headline}${zh() ? '：' : ': '}${detail}` : headline
}

/** The numbers a server message names ("at most 27 characters" → 27), to say the same in Chinese. */
const firstNumber = (message: string): string => /\d+(\.\d+)?/.exec(message)?.[0] ?? ''

const FIELD_RULES_ZH: Record<string, (message: string) => string> = {
  required: () => '必填',
  invalid_type: () => '格式不正确',
  minLength: (m) => `至少 ${firstNumber(m)} 个字符`,
  maxLength: (m) => `最多 ${firstNumber(m)} 个字符`,
  too_long: (m) => `最多 ${firstNumber(m)} 个字`,
  minimum: (m) => `不能小于 ${firstNumber(m)}`,
  maximum: (m) => `不能大于 ${firstNumber(m)}`,
  pattern: () => '格式不正确',
  format: () => '格式不正确',
  enum: () => '请选择一个选项',
  const: () => '请选择一个选项',
  invalid: () => '填写不正确',
  not_found: () => '不存在',
  not_allowed: () => '此类型的券不能填写这一项',
  unknown_field: () => '不支持的字段',
  in_past: () => '必须是将来的时间',
  money: () => '请输入金额（元），最多两位小数',
  negative: () => '不能是负数',
  positive: () => '必须大于 0',
  end_before_start: () => '结束日期不能早于开始日期',
  min_validity_days: (m) => `合规要求：有效期至少 ${firstNumber(m)} 天`,
  max_reduce_ratio: (m) => `合规要求：优惠金额不能超过最低消费的 ${firstNumber(m)}%`,
  max_percent_off: (m) => `合规要求：折扣不能超过 ${firstNumber(m)}% 的优惠`,
  notice_required: () => '合规要求：必须填写使用须知',
}

/** One field problem in the reader's language. */
export function fieldProblemText(problem: FieldProblem): string {
  if (!zh()) return problem.message.charAt(0).toUpperCase() + problem.message.slice(1)
  return FIELD_RULES_ZH[problem.code]?.(problem.message) ?? problem.message
}

/**
 * The form prop of a field the API names, as a path (`tiers[1].reduce_cost`) or a JSON pointer
 * (`/tiers/1/reduce_cost`): `tiers.1.reduce_cost`, the way form items name nested fields.
 */
export function formProp(field: string): string {
  if (field.startsWith('/')) return field.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~')).join('.')
  return field.replace(/\[(\d+)\]/g, '.$1')
}

/** Field problems by form prop, each field's messages joined. */
export function fieldProblems(problems: FieldProblem[]): Record<string, string> {
  const byField: Record<string, string> = {}
  for (const problem of problems) {
    const prop = formProp(problem.field)
    const text = fieldProblemText(problem)
    byField[prop] = byField[prop] ? `${byField[prop]}；${text}` : text
  }
  return byField
}
