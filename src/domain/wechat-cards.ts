// Field mapping between WeChat's card definitions and Kabao's cards (WECHAT-API.md §2.2). Pure: the
// facade's service resolves stores and runs the native services with what comes out of here.
import type { CardType, CardTerms, CardTermsInput, UsableWindow, Validity } from './types.ts'
import type { WxErrcode } from './wechat-errcodes.ts'
import { present, readBool, readInt, readObject, readString } from './wechat-parse.ts'

export const WX_COLORS: Readonly<Record<string, string>> = {
  Color010: '#63b359', Color020: '#2c9f67', Color030: '#509fc9', Color040: '#5885cf', Color050: '#9062c0', Color060: '#d09a45', Color070: '#e4b138',
  Color080: '#ee903c', Color081: '#f08500', Color082: '#a9d92d', Color090: '#dd6549', Color100: '#cc463d', Color101: '#cf3e36', Color102: '#5e6671',
}

const TYPES: Readonly<Record<string, CardType>> = { CASH: 'cash', DISCOUNT: 'discount', GIFT: 'gift', GROUPON: 'groupon', GENERAL_COUPON: 'general_coupon' }
const WX_TYPE_OF: Readonly<Record<CardType, string>> = { cash: 'CASH', discount: 'DISCOUNT', gift: 'GIFT', groupon: 'GROUPON', general_coupon: 'GENERAL_COUPON' }
const CODE_TYPES: Readonly<Record<string, 'qrcode' | 'barcode' | 'text'>> = {
  CODE_TYPE_QRCODE: 'qrcode', CODE_TYPE_ONLY_QRCODE: 'qrcode', CODE_TYPE_BARCODE: 'barcode', CODE_TYPE_ONLY_BARCODE: 'barcode', CODE_TYPE_TEXT: 'text', CODE_TYPE_NONE: 'text',
}
const WEEKDAYS: Readonly<Record<string, number>> = { MONDAY: 1, TUESDAY: 2, WEDNESDAY: 3, THURSDAY: 4, FRIDAY: 5, SATURDAY: 6, SUNDAY: 7 }
/** A permanent card is a fixed range to the end of 2099, reported back as permanent. */
export const PERMANENT_END = '2099-12-31T23:59:59Z'

export type Fail = { ok: false; errcode: WxErrcode; detail: string }
const fail = (errcode: WxErrcode, detail: string): Fail => ({ ok: false, errcode, detail })

/** What a WeChat card becomes natively (the shape of the native create body). */
export interface NativeCardDraft extends CardTermsInput {
  get_limit: number
  code_type: 'qrcode' | 'barcode' | 'text'
  validity: { type: 'fixed_range'; begin_at: string; end_at: string } | { type: 'fixed_term'; days: number; start_after_days: number }
  usable_hours?: UsableWindow[] | null
  can_share: boolean
  can_gift: boolean
}

export type CardTypeRead = { ok: true; type: CardType; key: string; body: Record<string, unknown> } | Fail | { ok: false; errcode: 48001; detail: string; member: true }

/** The card's type and its type object (`cash`, …), in any case; member cards are answered elsewhere. */
export function readCardType(card: Record<string, unknown>): CardTypeRead {
  const name = readString(card.card_type)
  if (!name.ok || name.value === undefined) return fail(41011, 'card_type')
  const upper = name.value.toUpperCase()
  if (upper === 'MEMBER_CARD') return { ok: false, errcode: 48001, detail: 'member cards are not offered through this API yet', member: true }
  const type = TYPES[upper]
  if (!type) return fail(40071, `card_type ${name.value}`)
  const key = Object.keys(card).find((k) => k.toLowerCase() === upper.toLowerCase())
  const body = key === undefined ? undefined : readObject(card[key])
  if (!body || !body.ok || body.value === undefined) return fail(41011, upper.toLowerCase())
  return { ok: true, type, key: key as string, body: body.value }
}

export function colorOf(value: unknown): { ok: true; value: string | undefined } | Fail {
  const v = readString(value)
  if (!v.ok) return fail(40097, 'color')
  if (v.value === undefined) return { ok: true, value: undefined }
  if (/^#[0-9a-fA-F]{6}$/.test(v.value)) return { ok: true, value: v.value.toLowerCase() }
  const named = Object.keys(WX_COLORS).find((name) => name.toLowerCase() === v.value!.toLowerCase())
  return named ? { ok: true, value: WX_COLORS[named] } : fail(40097, `color ${v.value}`)
}

const DATE_TYPES: Readonly<Record<string, 'range' | 'term' | 'permanent'>> = { DATE_TYPE_FIX_TIME_RANGE: 'range', '1': 'range', DATE_TYPE_FIX_TERM: 'term', '2': 'term', DATE_TYPE_PERMANENT: 'permanent' }

/** `date_info` as a native validity; `now` starts a permanent card. */
export function validityOf(value: unknown, now: number): { ok: true; value: NativeCardDraft['validity']; permanent: boolean } | Fail {
  const info = readObject(value)
  if (!info.ok) return fail(40097, 'date_info')
  if (info.value === undefined) return fail(41011, 'date_info')
  const kind = DATE_TYPES[String(present(info.value.type) ?? '').toUpperCase()]
  if (!kind) return fail(40097, 'date_info.type')
  if (kind === 'permanent') return { ok: true, value: { type: 'fixed_range', begin_at: new Date(Math.floor(now / 1000) * 1000).toISOString(), end_at: PERMANENT_END }, permanent: true }
  if (kind === 'range') {
    const begin = readInt(info.value.begin_timestamp, 0, 4_102_444_800)
    const end = readInt(info.value.end_timestamp, 0, 4_102_444_800)
    if (!begin.ok || !end.ok) return fail(40097, 'date_info timestamps')
    if (begin.value === undefined || end.value === undefined) return fail(41011, 'date_info.begin_timestamp, date_info.end_timestamp')
    if (end.value < begin.value) return fail(40097, 'date_info.end_timestamp before begin_timestamp')
    return { ok: true, value: { type: 'fixed_range', begin_at: new Date(begin.value * 1000).toISOString(), end_at: new Date(end.value * 1000).toISOString() }, permanent: false }
  }
  const days = readInt(info.value.fixed_term, 1, 36_500)
  const after = readInt(info.value.fixed_begin_term, 0, 3650)
  if (!days.ok || !after.ok) return fail(40097, 'date_info.fixed_term')
  if (days.value === undefined) return fail(41011, 'date_info.fixed_term')
  return { ok: true, value: { type: 'fixed_term', days: days.value, start_after_days: after.value ?? 0 }, permanent: false }
}

/** `advanced_info.time_limit` as usable hours: days with the same hours share a window; no hours = the whole day; HOLIDAY is kept only. */
export function usableHoursOf(value: unknown): { ok: true; value: UsableWindow[] | undefined } | Fail {
  if (present(value) === undefined) return { ok: true, value: undefined }
  if (!Array.isArray(value)) return fail(40097, 'time_limit')
  const windows = new Map<string, number[]>()
  for (const entry of value) {
    const e = readObject(entry)
    if (!e.ok || e.value === undefined) return fail(40097, 'time_limit')
    const day = WEEKDAYS[String(e.value.type ?? '').toUpperCase()]
    if (day === undefined) continue
    const parts = ['begin_hour', 'begin_minute', 'end_hour', 'end_minute'].map((f) => readInt(e.value![f], 0, f.endsWith('hour') ? 24 : 59))
    if (parts.some((p) => !p.ok)) return fail(40097, 'time_limit hours')
    const [bh, bm, eh, em] = parts.map((p) => (p.ok ? p.value : undefined))
    const pad = (n: number) => String(n).padStart(2, '0')
    const window = bh === undefined && eh === undefined ? '00:00-24:00' : `${pad(bh ?? 0)}:${pad(bm ?? 0)}-${pad(eh ?? 24)}:${pad(eh === undefined ? 0 : (em ?? 0))}`
    windows.set(window, [...(windows.get(window) ?? []), day])
  }
  if (windows.size === 0) return { ok: true, value: undefined }
  return { ok: true, value: [...windows].map(([w, days]) => ({ days: [...new Set(days)].sort(), start: w.slice(0, 5), end: w.slice(6) })) }
}

export interface CardFromWechat {
  ok: true
  draft: NativeCardDraft
  /** Raw `location_id_list` entries (POI ids or store ids), for the service to resolve. */
  locations: (string | number)[]
  permanent: boolean
}

/** What every card type's `base_info` carries: the title, the face's texts, its colour and `sku.quantity` (custom codes refused). */
export interface WechatFace {
  title: string
  subtitle: string | null
  notice: string | null
  description: string | null
  logo_url: string | null
  color: string | null
  quantity: number
}

export function faceOf(base: Record<string, unknown>): { ok: true; value: WechatFace } | Fail {
  const title = readString(base.title)
  if (!title.ok) return fail(40097, 'title')
  if (title.value === undefined) return fail(41011, 'title')
  if ([...title.value].length > 27) return fail(45021, 'title')
  const texts: Record<string, string | undefined> = {}
  for (const [field, max] of [['sub_title', 54], ['notice', 300], ['description', 4000], ['logo_url', 2048]] as const) {
    const v = readString(base[field])
    if (!v.ok) return fail(40097, field)
    if (v.value !== undefined && [...v.value].length > max) return fail(45021, field)
    texts[field] = v.value
  }
  const custom = readBool(base.use_custom_code)
  if (!custom.ok) return fail(40097, 'use_custom_code')
  if (custom.value) return fail(43009, 'use_custom_code')
  const color = colorOf(base.color)
  if (!color.ok) return color
  const sku = readObject(base.sku)
  if (!sku.ok) return fail(40097, 'sku')
  const quantity = readInt(sku.value?.quantity, 0, 1_000_000_000)
  if (!quantity.ok) return fail(40097, 'sku.quantity')
  if (quantity.value === undefined) return fail(41011, 'sku.quantity')
  return {
    ok: true,
    value: {
      title: title.value, subtitle: texts.sub_title ?? null, notice: texts.notice ?? null, description: texts.description ?? null,
      logo_url: texts.logo_url ?? null, color: color.value ?? null, quantity: quantity.value,
    },
  }
}

/** A `card/create` body's `card` as a native card. */
export function cardFromWechat(card: Record<string, unknown>, now: number): CardFromWechat | Fail | CardTypeRead {
  const typed = readCardType(card)
  if (!typed.ok) return typed
  const { type, body } = typed
  const baseRead = readObject(body.base_info)
  if (!baseRead.ok || baseRead.value === undefined) return fail(41011, 'base_info')
  const base = baseRead.value
  const advanced = readObject(body.advanced_info)
  if (!advanced.ok) return fail(40097, 'advanced_info')
  const face = faceOf(base)
  if (!face.ok) return face
  const codeName = readString(base.code_type)
  if (!codeName.ok) return fail(40097, 'code_type')
  const codeType = codeName.value === undefined ? 'qrcode' : CODE_TYPES[codeName.value.toUpperCase()]
  if (!codeType) return fail(40097, 'code_type')
  const validity = validityOf(base.date_info, now)
  if (!validity.ok) return validity
  const getLimit = readInt(base.get_limit, 1, 10_000)
  if (!getLimit.ok) return fail(40097, 'get_limit')
  const share = readBool(base.can_share)
  const give = readBool(base.can_give_friend)
  if (!share.ok || !give.ok) return fail(40097, 'can_share, can_give_friend')
  if (!readBool(base.need_push_on_view).ok) return fail(40097, 'need_push_on_view')
  const hours = usableHoursOf(advanced.value?.time_limit)
  if (!hours.ok) return hours
  const locations = present(base.location_id_list)
  if (locations !== undefined && (!Array.isArray(locations) || locations.some((l) => typeof l !== 'number' && typeof l !== 'string'))) return fail(40097, 'location_id_list')

  const draft: NativeCardDraft = {
    type,
    title: face.value.title,
    subtitle: face.value.subtitle,
    color: face.value.color,
    logo_url: face.value.logo_url,
    ...(face.value.notice !== null ? { notice: face.value.notice } : {}),
    description: face.value.description,
    stock: face.value.quantity,
    get_limit: getLimit.value ?? 50,
    code_type: codeType,
    validity: validity.value,
    usable_hours: hours.value ?? null,
    can_share: share.value ?? true,
    can_gift: give.value ?? true,
  }
  const value = valueFieldsOf(type, body, advanced.value)
  if (!value.ok) return value
  return { ok: true, draft: { ...draft, ...value.value }, locations: (locations as (string | number)[] | undefined) ?? [], permanent: validity.permanent }
}

type ValueFields = Pick<NativeCardDraft, 'reduce_cost' | 'least_cost' | 'percent_off' | 'gift' | 'deal_detail' | 'default_detail'>

/** The type's value fields; `least_cost` from the type object or `advanced_info.use_condition`, which must agree. */
export function valueFieldsOf(type: CardType, body: Record<string, unknown>, advanced: Record<string, unknown> | undefined): { ok: true; value: ValueFields } | Fail {
  const condition = readObject(advanced?.use_condition)
  const own = readInt(body.least_cost, 0)
  const fromCondition = readInt(condition.ok ? condition.value?.least_cost : undefined, 0)
  if (!own.ok || !fromCondition.ok) return fail(40097, 'least_cost')
  if (own.value !== undefined && fromCondition.value !== undefined && own.value !== fromCondition.value) return fail(40097, 'least_cost differs between the card and advanced_info.use_condition')
  const least = own.value ?? fromCondition.value
  const leastCost = least === undefined || least === 0 ? null : least
  if (type === 'cash') {
    const reduce = readInt(body.reduce_cost, 1)
    if (!reduce.ok) return fail(40097, 'reduce_cost')
    if (reduce.value === undefined) return fail(41011, 'reduce_cost')
    return { ok: true, value: { reduce_cost: reduce.value, least_cost: leastCost } }
  }
  if (type === 'discount') {
    const discount = readInt(body.discount, 1, 99)
    if (!discount.ok) return fail(40097, 'discount')
    if (discount.value === undefined) return fail(41011, 'discount')
    return { ok: true, value: { percent_off: discount.value, least_cost: leastCost } }
  }
  const field = type === 'gift' ? 'gift' : type === 'groupon' ? 'deal_detail' : 'default_detail'
  const text = readString(body[field])
  if (!text.ok) return fail(40097, field)
  if (text.value === undefined) return fail(41011, field)
  return { ok: true, value: { [field]: text.value } }
}

export type WxCardStatus = 'CARD_STATUS_NOT_VERIFY' | 'CARD_STATUS_VERIFY_OK' | 'CARD_STATUS_DELETE'

export function wxStatusOf(status: string): WxCardStatus {
  if (status === 'active') return 'CARD_STATUS_VERIFY_OK'
  if (status === 'ended') return 'CARD_STATUS_DELETE'
  return 'CARD_STATUS_NOT_VERIFY'
}

/** Native statuses a `status_list` entry selects (`CARD_STATUS_DISPATCH` counts as verified). */
export function nativeStatusesOf(wx: string): string[] {
  const upper = wx.toUpperCase()
  if (upper === 'CARD_STATUS_VERIFY_OK' || upper === 'CARD_STATUS_DISPATCH') return ['active']
  if (upper === 'CARD_STATUS_NOT_VERIFY') return ['draft', 'paused']
  if (upper === 'CARD_STATUS_DELETE' || upper === 'CARD_STATUS_USER_DELETE') return ['ended']
  return []
}

export function dateInfoOf(validity: Validity, permanent: boolean): Record<string, unknown> {
  if (validity.type === 'fixed_term') return { type: 'DATE_TYPE_FIX_TERM', fixed_term: validity.days, fixed_begin_term: validity.start_after_days }
  if (permanent && Date.parse(validity.end_at) === Date.parse(PERMANENT_END)) return { type: 'DATE_TYPE_PERMANENT' }
  return { type: 'DATE_TYPE_FIX_TIME_RANGE', begin_timestamp: Math.floor(Date.parse(validity.begin_at) / 1000), end_timestamp: Math.floor(Date.parse(validity.end_at) / 1000) }
}

export interface CardView {
  id: string
  status: string
  stock_remaining: number
  issued_count: number
  get_limit: number
  code_type: string
  /** Kabao's code format (`numeric` for cards made through the facade). */
  code_format?: string
  version: number
  terms: CardTerms
  /** The WeChat card object it was made with, or null for a card made natively. */
  definition: Record<string, unknown> | null
  permanent: boolean
  /** POI ids of the card's stores, in the order of terms.store_ids. */
  poiIds: number[]
}

/** A card as `card/get` answers it: the stored definition with the live values over it. */
export function cardToWechat(view: CardView): Record<string, unknown> {
  const { terms } = view
  const wxType = WX_TYPE_OF[terms.type]
  const key = wxType.toLowerCase()
  const stored = (view.definition?.[Object.keys(view.definition).find((k) => k.toLowerCase() === key) ?? key] ?? {}) as Record<string, unknown>
  const storedBase = (stored.base_info ?? {}) as Record<string, unknown>
  const storedAdvanced = (stored.advanced_info ?? {}) as Record<string, unknown>
  const storedCode = typeof storedBase.code_type === 'string' ? storedBase.code_type.toUpperCase() : undefined
  const codeType = storedCode && CODE_TYPES[storedCode] === view.code_type ? storedCode : `CODE_TYPE_${view.code_type.toUpperCase()}`
  const lowestTier = terms.tiers && terms.tiers.length > 0 ? [...terms.tiers].sort((a, b) => a.least_cost - b.least_cost)[0] : null
  const leastCost = lowestTier?.least_cost ?? terms.least_cost ?? 0
  const base_info: Record<string, unknown> = {
    ...storedBase,
    id: view.id,
    status: wxStatusOf(view.status),
    title: terms.title,
    sub_title: terms.subtitle ?? '',
    color: terms.color ?? '#63b359',
    logo_url: terms.logo_url ?? '',
    notice: terms.notice,
    description: terms.description ?? '',
    code_type: codeType,
    date_info: dateInfoOf(terms.validity, view.permanent),
    sku: { quantity: view.stock_remaining, total_quantity: view.stock_remaining + view.issued_count },
    get_limit: view.get_limit,
    use_custom_code: false,
    can_share: terms.can_share,
    can_give_friend: terms.can_gift,
    location_id_list: view.poiIds,
    use_all_locations: terms.store_ids.length === 0,
    need_push_on_view: pushOnViewOf(view.definition),
  }
  const typeFields: Record<string, unknown> =
    terms.type === 'cash' ? { reduce_cost: lowestTier?.reduce_cost ?? terms.reduce_cost ?? 0, least_cost: leastCost }
    : terms.type === 'discount' ? { discount: terms.percent_off ?? 0 }
    : terms.type === 'gift' ? { gift: terms.gift ?? '' }
    : terms.type === 'groupon' ? { deal_detail: terms.deal_detail ?? '' }
    : { default_detail: terms.default_detail ?? '' }
  const advanced_info = {
    ...storedAdvanced,
    use_condition: { ...((storedAdvanced.use_condition ?? {}) as object), least_cost: leastCost },
    ...(terms.usable_hours ? { time_limit: terms.usable_hours.flatMap((w) => w.days.map((d) => ({ type: Object.keys(WEEKDAYS)[d - 1], begin_hour: Number(w.start.slice(0, 2)), begin_minute: Number(w.start.slice(3)), end_hour: Number(w.end.slice(0, 2)), end_minute: Number(w.end.slice(3)) }))) } : {}),
  }
  return {
    card_type: wxType,
    [key]: { ...stored, base_info, advanced_info, ...typeFields },
    kabao: { tiers: terms.tiers, max_discount: terms.max_discount, version: view.version, code_format: view.code_format ?? 'alphanumeric' },
  }
}

/**
 * Whether a stored WeChat definition asks for `user_view_card` pushes (`base_info.need_push_on_view`, under
 * whichever type key it was sent): true, 1, "1" and "true" do; anything else, or no definition, does not.
 */
export function pushOnViewOf(definition: Record<string, unknown> | null): boolean {
  if (definition === null) return false
  for (const value of Object.values(definition)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    const base = (value as Record<string, unknown>).base_info
    if (base === null || typeof base !== 'object' || Array.isArray(base)) continue
    const read = readBool((base as Record<string, unknown>).need_push_on_view)
    if (read.ok && read.value !== undefined) return read.value
  }
  return false
}

/** Coupon state as `user_card_status`; a coupon its holder removed from the wallet (voided by the holder) is `DELETE`. */
export function userCardStatusOf(state: string, voidedBy: string | null = null): 'NORMAL' | 'CONSUMED' | 'EXPIRE' | 'UNAVAILABLE' | 'DELETE' | 'GIFTING' | 'GIFT_SUCC' {
  if (state === 'redeemed') return 'CONSUMED'
  if (state === 'expired') return 'EXPIRE'
  if (state === 'voided') return voidedBy === 'holder' ? 'DELETE' : 'UNAVAILABLE'
  if (state === 'gifting') return 'GIFTING'
  if (state === 'gifted') return 'GIFT_SUCC'
  return 'NORMAL'
}

/** The type keys a `card/update` body may wrap its change in (one client always sends `member_card`). */
const UPDATE_KEYS = ['cash', 'discount', 'gift', 'groupon', 'general_coupon', 'member_card']

export type CardChange = Partial<Omit<NativeCardDraft, 'type' | 'stock' | 'reduce_cost' | 'least_cost' | 'percent_off' | 'gift' | 'deal_detail' | 'default_detail'>>

export interface CardUpdateRead {
  ok: true
  change: CardChange
  /** Raw `location_id_list` entries when the update names stores. */
  locations: (string | number)[] | undefined
  /** The wrapper object as sent, to keep with the card's stored definition. */
  sent: Record<string, unknown>
}

/** Whether `next` only widens `current` (§2.2.4): same type, begin not later, end not earlier. */
export function widensValidity(current: Validity, currentPermanent: boolean, next: NativeCardDraft['validity'], nextPermanent: boolean): boolean {
  if (currentPermanent || nextPermanent) return currentPermanent && nextPermanent
  if (current.type === 'fixed_term' || next.type === 'fixed_term') {
    return current.type === 'fixed_term' && next.type === 'fixed_term' && next.start_after_days <= current.start_after_days && next.days >= current.days
  }
  return Date.parse(next.begin_at) <= Date.parse(current.begin_at) && Date.parse(next.end_at) >= Date.parse(current.end_at)
}

/**
 * A `card/update` body as a native change of the card whose terms are `terms`. The wrapper key may name
 * any type; value fields are accepted only when equal to the current value (clients echo whole cards).
 */
export function cardUpdateFromWechat(body: Record<string, unknown>, terms: CardTerms, permanent: boolean, now: number): CardUpdateRead | Fail {
  const key = Object.keys(body).find((k) => UPDATE_KEYS.includes(k.toLowerCase()))
  if (key === undefined) return { ok: true, change: {}, locations: undefined, sent: {} }
  const wrapper = readObject(body[key])
  if (!wrapper.ok || wrapper.value === undefined) return fail(40097, key)
  const sent = wrapper.value
  const baseRead = readObject(sent.base_info)
  const advancedRead = readObject(sent.advanced_info)
  if (!baseRead.ok) return fail(40097, 'base_info')
  if (!advancedRead.ok) return fail(40097, 'advanced_info')
  const base = baseRead.value ?? {}
  const change: CardChange = {}
  const title = readString(base.title)
  if (!title.ok) return fail(40097, 'title')
  if (title.value !== undefined) {
    if ([...title.value].length > 27) return fail(45021, 'title')
    change.title = title.value
  }
  const texts: [string, 'subtitle' | 'logo_url' | 'notice' | 'description'][] = [['sub_title', 'subtitle'], ['logo_url', 'logo_url'], ['notice', 'notice'], ['description', 'description']]
  for (const [field, native] of texts) {
    const v = readString(base[field])
    if (!v.ok) return fail(40097, field)
    if (v.value !== undefined) change[native] = v.value
  }
  const color = colorOf(base.color)
  if (!color.ok) return color
  if (color.value !== undefined) change.color = color.value
  const codeName = readString(base.code_type)
  if (!codeName.ok) return fail(40097, 'code_type')
  if (codeName.value !== undefined) {
    const codeType = CODE_TYPES[codeName.value.toUpperCase()]
    if (!codeType) return fail(40097, 'code_type')
    change.code_type = codeType
  }
  const getLimit = readInt(base.get_limit, 1, 10_000)
  if (!getLimit.ok) return fail(40097, 'get_limit')
  if (getLimit.value !== undefined) change.get_limit = getLimit.value
  const share = readBool(base.can_share)
  const give = readBool(base.can_give_friend)
  if (!share.ok || !give.ok) return fail(40097, 'can_share, can_give_friend')
  if (!readBool(base.need_push_on_view).ok) return fail(40097, 'need_push_on_view')
  if (share.value !== undefined) change.can_share = share.value
  if (give.value !== undefined) change.can_gift = give.value
  if (present(base.date_info) !== undefined) {
    const validity = validityOf(base.date_info, now)
    if (!validity.ok) return validity
    if (!widensValidity(terms.validity, permanent, validity.value, validity.permanent)) return fail(40100, 'date_info')
    if (!validity.permanent) change.validity = validity.value
  }
  const hours = usableHoursOf(advancedRead.value?.time_limit)
  if (!hours.ok) return hours
  if (hours.value !== undefined) change.usable_hours = hours.value
  const allLocations = readBool(base.use_all_locations)
  if (!allLocations.ok) return fail(40097, 'use_all_locations')
  // use_all_locations: true without a list lifts the card's store restriction.
  const locations = present(base.location_id_list) ?? (allLocations.value === true ? [] : undefined)
  if (locations !== undefined && (!Array.isArray(locations) || locations.some((l) => typeof l !== 'number' && typeof l !== 'string'))) return fail(40097, 'location_id_list')
  const same = sameValueFields(terms, sent, advancedRead.value)
  if (!same.ok) return same
  return { ok: true, change, locations: locations as (string | number)[] | undefined, sent }
}

/** Value fields of an update must echo the current ones: a change of value is a new card. */
function sameValueFields(terms: CardTerms, sent: Record<string, unknown>, advanced: Record<string, unknown> | undefined): { ok: true } | Fail {
  const lowest = terms.tiers && terms.tiers.length > 0 ? [...terms.tiers].sort((a, b) => a.least_cost - b.least_cost)[0] : null
  const condition = readObject(advanced?.use_condition)
  const ints: [string, unknown, number][] = [
    ['reduce_cost', sent.reduce_cost, lowest?.reduce_cost ?? terms.reduce_cost ?? 0],
    ['least_cost', sent.least_cost, lowest?.least_cost ?? terms.least_cost ?? 0],
    ['least_cost', condition.ok ? condition.value?.least_cost : undefined, lowest?.least_cost ?? terms.least_cost ?? 0],
    ['discount', sent.discount, terms.percent_off ?? 0],
  ]
  for (const [field, value, current] of ints) {
    const read = readInt(value, 0)
    if (!read.ok || (read.value !== undefined && read.value !== current)) return fail(40097, `${field} cannot be changed (make a new card)`)
  }
  const strings: [string, string | null | undefined][] = [['gift', terms.gift], ['deal_detail', terms.deal_detail], ['default_detail', terms.default_detail]]
  for (const [field, current] of strings) {
    const read = readString(sent[field])
    if (!read.ok || (read.value !== undefined && read.value !== (current ?? ''))) return fail(40097, `${field} cannot be changed (make a new card)`)
  }
  return { ok: true }
}

/** The stored WeChat definition with an update's fields over it, under the card's real type key. */
export function mergeDefinition(stored: Record<string, unknown> | null, type: CardType, sent: Record<string, unknown>): Record<string, unknown> {
  const key = WX_TYPE_OF[type].toLowerCase()
  const base = stored ?? { card_type: WX_TYPE_OF[type] }
  const old = (base[key] ?? {}) as Record<string, unknown>
  const oldBase = (old.base_info ?? {}) as Record<string, unknown>
  const oldAdvanced = (old.advanced_info ?? {}) as Record<string, unknown>
  const merged: Record<string, unknown> = { ...old, ...sent, base_info: { ...oldBase, ...((sent.base_info ?? {}) as object) } }
  if (sent.advanced_info !== undefined || old.advanced_info !== undefined) merged.advanced_info = { ...oldAdvanced, ...((sent.advanced_info ?? {}) as object) }
  return { ...base, [key]: merged }
}

/** A link cell of a card in the wallet (WeChat's `center_*`, `custom_url*`, `promotion_url*`), its URL carrying the code. */
export interface WalletCell {
  kind: 'center' | 'custom' | 'promotion'
  name: string
  tips: string | null
  url: string
}

const CELLS: { kind: WalletCell['kind']; name: string; tips: string; url: string }[] = [
  { kind: 'center', name: 'center_title', tips: 'center_sub_title', url: 'center_url' },
  { kind: 'custom', name: 'custom_url_name', tips: 'custom_url_sub_title', url: 'custom_url' },
  { kind: 'promotion', name: 'promotion_url_name', tips: 'promotion_url_sub_title', url: 'promotion_url' },
]

const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value.trim() !== '' ? [...value.trim()].slice(0, max).join('') : null)

/**
 * The link cells of a card's WeChat definition, in WeChat's order. Only http(s) URLs are shown (the wallet
 * never opens another scheme); a cell needs a name and a URL.
 */
export function walletCellsOf(definition: Record<string, unknown> | null): WalletCell[] {
  if (!definition) return []
  const typeObject = Object.entries(definition).find(([key, value]) => key !== 'card_type' && value !== null && typeof value === 'object' && 'base_info' in (value as object))?.[1] as { base_info?: unknown } | undefined
  const base = typeObject?.base_info
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return []
  const fields = base as Record<string, unknown>
  const cells: WalletCell[] = []
  for (const cell of CELLS) {
    const url = text(fields[cell.url], 2000)
    const name = text(fields[cell.name], 30)
    if (!url || !name || !/^https?:\/\/[^\s]+$/i.test(url)) continue
    try {
      new URL(url)
    } catch {
      continue
    }
    cells.push({ kind: cell.kind, name, tips: text(fields[cell.tips], 60), url })
  }
  return cells
}

/** A cell's URL with `encrypt_code` and `card_id` appended as WeChat does (the page decrypts it through code/decrypt). */
export function withEncryptCode(url: string, encryptCode: string, cardId: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('encrypt_code', encryptCode)
  parsed.searchParams.set('card_id', cardId)
  return parsed.toString()
}
