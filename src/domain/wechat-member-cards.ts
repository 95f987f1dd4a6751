// Field mapping between WeChat's member cards and Kabao's native member cards (WECHAT-API.md §2.6). Pure:
// the facade's service runs the native member-card, points and stored-value services with what comes out.
import type { MemberCardTerms, Profile } from './member-card-rules.ts'
import type { WxErrcode } from './wechat-errcodes.ts'
import { faceOf, type Fail } from './wechat-cards.ts'
import { present, readBool, readInt, readObject, readString } from './wechat-parse.ts'

const fail = (errcode: WxErrcode, detail: string): Fail => ({ ok: false, errcode, detail })

/** The one level a member card made through the facade has. */
export const WX_MEMBER_LEVEL = 'Member'
/** The longest `prerogative` kept as the level's benefit (the native perk limit). */
const MAX_PREROGATIVE = 200
/** The longest membership number, reason (`record_bonus`, …) and custom field value taken. */
export const MAX_MEMBERSHIP_NUMBER = 32
export const MAX_RECORD = 200
export const MAX_FIELD_VALUE = 200

/** What a WeChat member card becomes natively (the shape of the native member-card create body). */
export interface NativeMemberCardDraft extends Pick<MemberCardTerms, 'title' | 'subtitle' | 'color' | 'logo_url' | 'notice' | 'description'> {
  levels: { name: string; min_growth: number; perks: string[] }[]
  points_rules: { per_yuan: number; sign_in: number; profile_completed: number; referral: number }
  stored_value: { enabled: boolean }
}

export interface MemberCardFromWechat {
  ok: true
  draft: NativeMemberCardDraft
  /** `sku.quantity`: kept and shown (members left), not a limit (native member cards take every member). */
  quantity: number
  autoActivate: boolean
}

/** The `member_card` object of a `card/create` body (found in any case of its key) as a native member card. */
export function memberCardFromWechat(card: Record<string, unknown>): MemberCardFromWechat | Fail {
  const key = Object.keys(card).find((k) => k.toLowerCase() === 'member_card')
  const body = key === undefined ? undefined : readObject(card[key])
  if (!body || !body.ok || body.value === undefined) return fail(41011, 'member_card')
  const member = body.value
  const baseRead = readObject(member.base_info)
  if (!baseRead.ok || baseRead.value === undefined) return fail(41011, 'base_info')
  const base = baseRead.value
  const face = faceOf(base)
  if (!face.ok) return face
  const bonus = readBool(member.supply_bonus)
  const balance = readBool(member.supply_balance)
  const auto = readBool(member.auto_activate)
  if (!bonus.ok) return fail(40097, 'supply_bonus')
  if (!balance.ok) return fail(40097, 'supply_balance')
  if (!auto.ok) return fail(40097, 'auto_activate')
  const prerogative = readString(member.prerogative)
  if (!prerogative.ok) return fail(40097, 'prerogative')
  if (prerogative.value !== undefined && [...prerogative.value].length > MAX_PREROGATIVE) return fail(45021, 'prerogative')
  const earning = bonus.value ? 1 : 0
  return {
    ok: true,
    draft: {
      title: face.value.title,
      subtitle: face.value.subtitle,
      color: face.value.color,
      logo_url: face.value.logo_url,
      notice: face.value.notice,
      description: face.value.description,
      levels: [{ name: WX_MEMBER_LEVEL, min_growth: 0, perks: prerogative.value ? [prerogative.value] : [] }],
      // supply_bonus: points earned on spending at the native default rate (1 per ¥1); without it none are earned.
      points_rules: { per_yuan: earning, sign_in: 0, profile_completed: 0, referral: 0 },
      stored_value: { enabled: balance.value === true },
    },
    quantity: face.value.quantity,
    autoActivate: auto.value === true,
  }
}

export interface MemberCardView {
  id: string
  status: string
  member_count: number
  terms: MemberCardTerms
  /** The WeChat card object it was made with, or null for a member card made natively. */
  definition: Record<string, unknown> | null
}

/** A member card as `card/get` answers it: the stored definition with the live values over it. */
export function memberCardToWechat(view: MemberCardView): Record<string, unknown> {
  const { terms } = view
  const stored = (view.definition?.[Object.keys(view.definition).find((k) => k.toLowerCase() === 'member_card') ?? 'member_card'] ?? {}) as Record<string, unknown>
  const storedBase = (stored.base_info ?? {}) as Record<string, unknown>
  const storedSku = readObject(storedBase.sku)
  const quantity = readInt(storedSku.ok ? storedSku.value?.quantity : undefined, 0)
  const total = quantity.ok && quantity.value !== undefined ? quantity.value : null
  const base_info: Record<string, unknown> = {
    ...storedBase,
    id: view.id,
    status: view.status === 'active' ? 'CARD_STATUS_VERIFY_OK' : 'CARD_STATUS_NOT_VERIFY',
    title: terms.title,
    sub_title: terms.subtitle ?? '',
    color: terms.color ?? '#63b359',
    logo_url: terms.logo_url ?? '',
    notice: terms.notice ?? '',
    description: terms.description ?? '',
    date_info: present(storedBase.date_info) ?? { type: 'DATE_TYPE_PERMANENT' },
    // Members left of the quantity the card was made with (a native member card has none: members so far).
    sku: total === null ? { quantity: 0, total_quantity: view.member_count } : { quantity: Math.max(0, total - view.member_count), total_quantity: total },
    get_limit: 1,
    use_custom_code: false,
  }
  const perks = terms.levels[0]?.perks ?? []
  return {
    card_type: 'MEMBER_CARD',
    member_card: {
      ...stored,
      base_info,
      supply_bonus: terms.points_rules.per_yuan > 0 || stored.supply_bonus === true,
      supply_balance: terms.stored_value.enabled,
      prerogative: typeof stored.prerogative === 'string' ? stored.prerogative : perks.join('\n'),
      auto_activate: stored.auto_activate === true,
    },
    kabao: { levels: terms.levels.map((level) => level.name), member_count: view.member_count },
  }
}

/** Signed deltas a `membercard/updateuser` asks for, given the balances now (read under the member's lock). */
export interface BalanceChange {
  bonus: number
  balance: number
}

type ChangeFields = { add: unknown; set: unknown; addName: string; setName: string }

function deltaOf({ add, set, addName, setName }: ChangeFields, current: number): { ok: true; value: number } | Fail {
  const added = readInt(add, -1_000_000_000_000, 1_000_000_000_000)
  if (!added.ok) return fail(40097, addName)
  // Both given: add_* wins.
  if (added.value !== undefined) return { ok: true, value: added.value }
  const total = readInt(set, 0, 1_000_000_000_000)
  if (!total.ok) return fail(40097, `${setName} (a total, 0 or more)`)
  return { ok: true, value: total.value === undefined ? 0 : total.value - current }
}

/**
 * The points and stored-value deltas of an `updateuser` body: `add_bonus` (signed) or `bonus` (the new
 * total, its delta from the balance now), `add_balance` / `balance` likewise in fen; both → `add_*` wins.
 */
export function balanceChangeOf(body: Record<string, unknown>, current: { points: number; storedValue: number }): { ok: true; value: BalanceChange } | Fail {
  const bonus = deltaOf({ add: body.add_bonus, set: body.bonus, addName: 'add_bonus', setName: 'bonus' }, current.points)
  if (!bonus.ok) return bonus
  const balance = deltaOf({ add: body.add_balance, set: body.balance, addName: 'add_balance', setName: 'balance' }, current.storedValue)
  if (!balance.ok) return balance
  return { ok: true, value: { bonus: bonus.value, balance: balance.value } }
}

/** Whether an `updateuser` body asks for a change of points or of stored value at all. */
export function touchesBalances(body: Record<string, unknown>): { bonus: boolean; balance: boolean } {
  return {
    bonus: present(body.add_bonus) !== undefined || present(body.bonus) !== undefined,
    balance: present(body.add_balance) !== undefined || present(body.balance) !== undefined,
  }
}

/** The per-member fields a member card keeps for display (`background_pic_url`, custom field values, activation times). */
export interface MemberFields {
  background_pic_url?: string
  custom_field_values?: (string | null)[]
  activate_begin_time?: number
  activate_end_time?: number
}

/**
 * The display fields an `activate` (prefix `init_`) or `updateuser` body sets, over the ones kept:
 * `background_pic_url`, `<prefix>custom_field_value1..3`, and for activation its begin and end times.
 */
export function memberFieldsOf(body: Record<string, unknown>, kept: MemberFields, activation: boolean): { ok: true; value: MemberFields } | Fail {
  const next: MemberFields = { ...kept, custom_field_values: [...(kept.custom_field_values ?? [null, null, null])] }
  const background = readString(body.background_pic_url)
  if (!background.ok || (background.value !== undefined && !/^https?:\/\/\S+$/i.test(background.value))) return fail(40097, 'background_pic_url')
  if (background.value !== undefined) {
    if (background.value.length > 2048) return fail(45021, 'background_pic_url')
    next.background_pic_url = background.value
  }
  const prefix = activation ? 'init_' : ''
  for (let i = 1; i <= 3; i++) {
    const field = `${prefix}custom_field_value${i}`
    const value = readString(body[field])
    if (!value.ok) return fail(40097, field)
    if (value.value !== undefined) {
      if ([...value.value].length > MAX_FIELD_VALUE) return fail(45021, field)
      next.custom_field_values![i - 1] = value.value
    }
  }
  if (activation) {
    for (const field of ['activate_begin_time', 'activate_end_time'] as const) {
      const time = readInt(body[field], 0, 4_102_444_800)
      if (!time.ok) return fail(40097, field)
      if (time.value !== undefined) next[field] = time.value
    }
  }
  return { ok: true, value: next }
}

const SEX: Readonly<Record<string, string>> = { male: 'MALE', female: 'FEMALE' }
/** WeChat's names of the profile fields it has one for. */
const COMMON_FIELDS: readonly [keyof Profile, string][] = [
  ['name', 'USER_FORM_INFO_FLAG_NAME'],
  ['phone', 'USER_FORM_INFO_FLAG_MOBILE'],
  ['birthday', 'USER_FORM_INFO_FLAG_BIRTHDAY'],
  ['gender', 'USER_FORM_INFO_FLAG_SEX'],
]

/** `userinfo/get`'s answer from the member's profile, balances and kept fields. */
export function memberUserInfo(input: {
  openid: string
  memberNumber: string
  points: number
  storedValue: number
  profile: Profile
  fields: MemberFields
  activated: boolean
  /** The card's `custom_field1..3` definitions as WeChat sent them (their `name` labels the values). */
  definition: Record<string, unknown>
}) {
  const { profile } = input
  const common = COMMON_FIELDS.flatMap(([field, name]) => (profile[field] === undefined ? [] : [{ name, value: field === 'gender' ? (SEX[profile.gender ?? ''] ?? profile.gender) : profile[field] }]))
  const custom = (input.fields.custom_field_values ?? []).flatMap((value, i) => {
    if (value === null || value === undefined) return []
    const defined = readObject(input.definition[`custom_field${i + 1}`])
    const label = defined.ok ? readString(defined.value?.name) : undefined
    const name = label && label.ok && label.value !== undefined ? label.value : `custom_field${i + 1}`
    return [{ name, value, value_list: [] as string[] }]
  })
  return {
    openid: input.openid,
    nickname: profile.name ?? '',
    membership_number: input.memberNumber,
    bonus: input.points,
    balance: input.storedValue,
    sex: SEX[profile.gender ?? ''] ?? '',
    user_info: { common_field_list: common, custom_field_list: custom },
    user_card_status: 'NORMAL' as const,
    has_active: input.activated,
  }
}
