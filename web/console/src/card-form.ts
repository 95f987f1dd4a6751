import { cardLook } from '../../../src/domain/card-look.ts'
import { validateCardTerms } from '../../../src/domain/card-rules.ts'
import { evaluateCompliance } from '../../../src/domain/compliance.ts'
import { formatInstant, zonedStartOfDay, addCalendarDays } from '../../../src/domain/time.ts'
import type { CardTerms, CardType, CompliancePolicy, FieldError } from '../../../src/domain/types.ts'
import { toFen, yuan } from '../../shared/money.ts'
import { formProp } from '../../shared/problems.ts'
import { DEFAULT_CARD_COLOR } from '../../shared/colors.ts'
import type { Card } from './cards.ts'

/** What the card editor holds: the API's fields, with money as the yuan people type. */
export interface CardForm {
  type: CardType
  title: string
  subtitle: string
  color: string
  logo_url: string
  notice: string
  description: string
  reduce_cost: string
  least_cost: string
  use_tiers: boolean
  tiers: { least_cost: string; reduce_cost: string }[]
  percent_off: number | null
  max_discount: string
  gift: string
  deal_detail: string
  default_detail: string
  stock: number
  get_limit: number
  code_type: Card['code_type']
  validity: { type: 'fixed_term' | 'fixed_range'; days: number; start_after_days: number; range: string[] }
  limit_hours: boolean
  usable_hours: { days: number[]; start: string; end: string }[]
  store_ids: string[]
  can_share: boolean
  can_gift: boolean
  draft: boolean
  /** 阶梯奖励: tiers with no card chosen are left out. */
  share_rewards: { friends: number; card_id: string }[]
  /** 裂变券: null = coupons are issued available. */
  unlock_after_friends: number | null
  /** 拼团: null = an ordinary card; a cleared number is null until filled in again. */
  group: { size: number | null; hours: number | null } | null
}

/** A group coupon's bounds, the API's own (src/domain/groups.ts). */
export { GROUP_MAX_HOURS, GROUP_MAX_SIZE, GROUP_MIN_SIZE } from '../../../src/domain/groups.ts'
/** What a group coupon starts with when switched on. */
export const DEFAULT_GROUP = { size: 3, hours: 24 } as const

export function emptyForm(): CardForm {
  return {
    type: 'cash',
    title: '',
    subtitle: '',
    color: DEFAULT_CARD_COLOR,
    logo_url: '',
    notice: '',
    description: '',
    reduce_cost: '',
    least_cost: '',
    use_tiers: false,
    tiers: [{ least_cost: '', reduce_cost: '' }],
    percent_off: null,
    max_discount: '',
    gift: '',
    deal_detail: '',
    default_detail: '',
    stock: 1000,
    get_limit: 1,
    code_type: 'qrcode',
    validity: { type: 'fixed_term', days: 30, start_after_days: 0, range: [] },
    limit_hours: false,
    usable_hours: [{ days: [1, 2, 3, 4, 5], start: '10:00', end: '22:00' }],
    store_ids: [],
    can_share: false,
    can_gift: false,
    draft: false,
    share_rewards: [],
    unlock_after_friends: null,
    group: null,
  }
}

export function formOf(card: Card): CardForm {
  const tiers = card.tiers ?? []
  return {
    ...emptyForm(),
    type: card.type as CardType,
    title: card.title,
    subtitle: card.subtitle ?? '',
    color: card.color ?? DEFAULT_CARD_COLOR,
    logo_url: card.logo_url ?? '',
    notice: card.notice,
    description: card.description ?? '',
    reduce_cost: yuan(card.reduce_cost),
    least_cost: yuan(card.least_cost),
    use_tiers: tiers.length > 0,
    tiers: tiers.length > 0 ? tiers.map((t) => ({ least_cost: yuan(t.least_cost), reduce_cost: yuan(t.reduce_cost) })) : [{ least_cost: '', reduce_cost: '' }],
    percent_off: card.percent_off ?? null,
    max_discount: yuan(card.max_discount),
    gift: card.gift ?? '',
    deal_detail: card.deal_detail ?? '',
    default_detail: card.default_detail ?? '',
    stock: card.stock_remaining,
    get_limit: card.get_limit,
    code_type: card.code_type,
    validity:
      card.validity.type === 'fixed_term'
        ? { type: 'fixed_term', days: card.validity.days ?? 30, start_after_days: card.validity.start_after_days ?? 0, range: [] }
        : { type: 'fixed_range', days: 30, start_after_days: 0, range: [card.validity.begin_at?.slice(0, 10) ?? '', card.validity.end_at?.slice(0, 10) ?? ''] },
    limit_hours: (card.usable_hours ?? []).length > 0,
    usable_hours: (card.usable_hours ?? []).length > 0 ? card.usable_hours!.map((w) => ({ ...w, days: [...w.days] })) : emptyForm().usable_hours,
    store_ids: [...card.store_ids],
    can_share: card.can_share,
    can_gift: card.can_gift,
    share_rewards: (card.share_rewards ?? []).map((tier) => ({ ...tier })),
    unlock_after_friends: card.unlock_after_friends ?? null,
    group: card.group ? { size: card.group.size, hours: card.group.hours } : null,
  }
}

/** The tiers as the API takes them: those with a card chosen, fewest friends first. */
export function shareRewardsOf(form: Pick<CardForm, 'share_rewards'>): { friends: number; card_id: string }[] {
  return form.share_rewards.filter((tier) => tier.card_id !== '' && tier.friends >= 1).sort((a, b) => a.friends - b.friends)
}

/** The first instant of a local date (`YYYY-MM-DD`) in the merchant's zone. */
function firstSecond(date: string, tz: string): string {
  const [y, m, d] = date.split('-').map(Number)
  return formatInstant(zonedStartOfDay(y, m, d, tz), tz)
}

/** The last second of a local date in the merchant's zone. */
function lastSecond(date: string, tz: string): string {
  const [y, m, d] = date.split('-').map(Number)
  const after = addCalendarDays({ year: y, month: m, day: d }, 1)
  return formatInstant(zonedStartOfDay(after.year, after.month, after.day, tz) - 1000, tz)
}

/** What is wrong with a chosen first and last day, on the field to change (dates are `YYYY-MM-DD`, so they compare as text). */
function rangeErrors(from: string | undefined, to: string | undefined): FieldError[] {
  const errors: FieldError[] = []
  if (!from) errors.push({ field: 'validity.begin_at', code: 'required', message: 'choose the first day' })
  if (!to) errors.push({ field: 'validity.end_at', code: 'required', message: 'choose the last day' })
  if (from && to && to < from) errors.push({ field: 'validity.end_at', code: 'end_before_start', message: 'the last day must not be before the first day' })
  return errors
}

const VALUE_FIELDS: Record<string, readonly string[]> = {
  cash: ['reduce_cost', 'least_cost', 'tiers'],
  discount: ['percent_off', 'least_cost', 'max_discount'],
  gift: ['gift', 'least_cost'],
  groupon: ['deal_detail', 'least_cost'],
  general_coupon: ['default_detail', 'least_cost'],
}

export interface BuiltCard {
  /** The request body for POST /v1/cards (PATCH leaves out type, stock and draft). */
  body: Record<string, unknown>
  /** The terms as the server will see them, to check with the same rules before sending. */
  terms: CardTerms
  /** Amounts that are not money. */
  inputErrors: FieldError[]
}

/** Turns the form into the API's body and terms; amounts typed in yuan become fen. */
export function buildCard(form: CardForm, tz: string): BuiltCard {
  const inputErrors: FieldError[] = []
  /** Yuan typed as text → fen; `positive` for the amounts a card takes off, where 0 means nothing. */
  const money = (field: string, text: string, positive = false): number | null => {
    if (text.trim() === '') return null
    const fen = toFen(text)
    if (fen === null) inputErrors.push(/^\s*-/.test(text) ? { field, code: 'negative', message: 'must not be negative' } : { field, code: 'money', message: 'must be an amount in yuan with at most 2 decimals' })
    else if (positive && fen === 0) inputErrors.push({ field, code: 'positive', message: 'must be more than 0' })
    return fen
  }
  const allowed = VALUE_FIELDS[form.type]
  const tiers =
    form.type === 'cash' && form.use_tiers
      ? form.tiers.map((tier, i) => ({ least_cost: money(`tiers[${i}].least_cost`, tier.least_cost) ?? 0, reduce_cost: money(`tiers[${i}].reduce_cost`, tier.reduce_cost, true) ?? 0 }))
      : null
  const values: Record<string, unknown> = {
    reduce_cost: form.type === 'cash' && !form.use_tiers ? money('reduce_cost', form.reduce_cost, true) : null,
    // Tiers carry their own thresholds.
    least_cost: form.type === 'cash' && form.use_tiers ? null : money('least_cost', form.least_cost),
    tiers,
    percent_off: form.type === 'discount' ? form.percent_off : null,
    max_discount: form.type === 'discount' ? money('max_discount', form.max_discount, true) : null,
    gift: form.type === 'gift' ? form.gift.trim() || null : null,
    deal_detail: form.type === 'groupon' ? form.deal_detail.trim() || null : null,
    default_detail: form.type === 'general_coupon' ? form.default_detail.trim() || null : null,
  }
  const [from, to] = form.validity.range
  if (form.validity.type === 'fixed_range') inputErrors.push(...rangeErrors(from, to))
  const validity =
    form.validity.type === 'fixed_term'
      ? { type: 'fixed_term' as const, days: form.validity.days, start_after_days: form.validity.start_after_days }
      : { type: 'fixed_range' as const, begin_at: from ? firstSecond(from, tz) : '', end_at: to ? lastSecond(to, tz) : '' }
  // A number left empty is no number: the group rules mark it, as the server would.
  const group = form.group ? { size: form.group.size ?? Number.NaN, hours: form.group.hours ?? Number.NaN } : null
  const usableHours = form.limit_hours ? form.usable_hours.map((w) => ({ days: [...w.days].sort((a, b) => a - b), start: w.start, end: w.end })) : null
  const terms: CardTerms = {
    type: form.type,
    title: form.title.trim(),
    subtitle: form.subtitle.trim() || null,
    color: form.color || null,
    logo_url: form.logo_url.trim() || null,
    notice: form.notice.trim(),
    description: form.description.trim() || null,
    reduce_cost: values.reduce_cost as number | null,
    least_cost: values.least_cost as number | null,
    tiers,
    percent_off: values.percent_off as number | null,
    max_discount: values.max_discount as number | null,
    gift: values.gift as string | null,
    deal_detail: values.deal_detail as string | null,
    default_detail: values.default_detail as string | null,
    validity,
    usable_hours: usableHours,
    store_ids: [...form.store_ids],
    can_share: form.can_share,
    can_gift: form.can_gift,
    group,
  }
  const body: Record<string, unknown> = {
    ...cardLook(terms),
    description: terms.description,
    ...Object.fromEntries(allowed.map((field) => [field, values[field]])),
    stock: form.stock,
    get_limit: form.get_limit,
    code_type: form.code_type,
    validity,
    usable_hours: usableHours,
    store_ids: terms.store_ids,
    can_share: terms.can_share,
    can_gift: terms.can_gift,
    group,
    share_rewards: shareRewardsOf(form),
    unlock_after_friends: form.unlock_after_friends || null,
    draft: form.draft,
  }
  return { body, terms, inputErrors }
}

/**
 * Everything the server would refuse, found before sending: amounts and dates as typed, the card rules
 * and the merchant's compliance policy (the very rules the server applies), keyed by form prop, one
 * problem per field: what was typed comes first, since a rule about a value that is not one says less.
 */
export function cardProblems(built: BuiltCard, policy: CompliancePolicy | null, now: number): FieldError[] {
  const rules = validateCardTerms(built.terms, now)
  const compliance = policy ? evaluateCompliance(built.terms, policy) : []
  const byField = new Map<string, FieldError>()
  for (const problem of [...built.inputErrors, ...rules, ...compliance]) {
    const field = formProp(problem.field)
    if (!byField.has(field)) byField.set(field, { ...problem, field })
  }
  return [...byField.values()]
}

/** What the person has done with the form so far: the fields they left, and whether they tried to send it. */
export interface FormProgress {
  attempted: boolean
  touched: ReadonlySet<string>
}

/**
 * The message each field shows: the server's verdict after a send (by form prop), else the problems
 * found here on the fields already left, and on every field once a send was tried. A form nobody has
 * touched shows nothing, compliance included.
 */
export function shownProblems(problems: FieldError[], progress: FormProgress, server: Record<string, string>, text: (problem: FieldError) => string): Record<string, string> {
  const shown: Record<string, string> = {}
  for (const problem of problems) {
    if (progress.attempted || progress.touched.has(problem.field)) shown[problem.field] ??= text(problem)
  }
  return { ...shown, ...server }
}
