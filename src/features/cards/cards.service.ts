import { isDeepStrictEqual } from 'node:util'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import type { CardTerms, FieldError, Validity } from '../../domain/types.ts'
import { validateCardTerms } from '../../domain/card-rules.ts'
import { evaluateCompliance } from '../../domain/compliance.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { loadMerchant, type MerchantRow } from '../merchants/merchants.service.ts'
import { unknownStoreIds } from '../stores/stores.repository.ts'
import { changedByRequest, recordEvent } from '../events/events.repository.ts'
import { validateShareRewards, type ShareRewardTier } from '../../domain/sharing.ts'
import { toJson } from '../../db/database.ts'
import { addToStock, unknownCardIds, findCardStock, findCardWithTerms, insertCard, insertCardVersion, updateCardAtVersion, updateCardStatus, type CardRow, type CardWithTerms } from './cards.repository.ts'
import type { CardInput } from './cards.schemas.ts'
import type { CardStatus } from './cards.table.ts'

export type { CardStatus }

/** Settings that govern future issuing and alerts only; changing them is not a change of promised terms. */
const SETTINGS = ['get_limit', 'code_type', 'code_format', 'stock_low_threshold', 'remind_days_before', 'share_rewards', 'unlock_after_friends'] as const

/** Holders are reminded this many days before a coupon expires unless the card says otherwise. */
export const DEFAULT_REMIND_DAYS_BEFORE = 3

/** The stock alert unless the card says otherwise: at 10% of the stock it starts with; none for under 10. */
export function defaultStockLowThreshold(stock: number): number | null {
  return stock >= 10 ? Math.floor(stock / 10) : null
}

/** Only called once missingValidityFields found nothing missing, so the fields of its type are there. */
function validityFrom(input: CardInput['validity']): Validity {
  return input.type === 'fixed_range'
    ? { type: 'fixed_range', begin_at: input.begin_at ?? '', end_at: input.end_at ?? '' }
    : { type: 'fixed_term', days: input.days ?? 0, start_after_days: input.start_after_days ?? 0 }
}

/** The card's promise from a request body, on top of `base` for a change (absent = keep, null = clear). */
function termsFrom(input: Partial<CardInput>, base: CardTerms | null): CardTerms {
  const type = input.type ?? base?.type
  const validity = input.validity ? validityFrom(input.validity) : base?.validity
  // The create body requires both; a change keeps the card's.
  if (type === undefined || validity === undefined) throw new Error('A new card needs a type and a validity.')
  const pick = <T>(value: T | null | undefined, current: T | undefined, fallback: T): T => (value === undefined ? (current ?? fallback) : (value ?? fallback))
  return {
    type,
    title: pick(input.title, base?.title, ''),
    subtitle: pick(input.subtitle, base?.subtitle, null),
    color: pick(input.color, base?.color, null),
    logo_url: pick(input.logo_url, base?.logo_url, null),
    notice: pick(input.notice, base?.notice, ''),
    description: pick(input.description, base?.description, null),
    reduce_cost: pick(input.reduce_cost, base?.reduce_cost, null),
    least_cost: pick(input.least_cost, base?.least_cost, null),
    tiers: pick(input.tiers, base?.tiers, null),
    percent_off: pick(input.percent_off, base?.percent_off, null),
    max_discount: pick(input.max_discount, base?.max_discount, null),
    gift: pick(input.gift, base?.gift, null),
    deal_detail: pick(input.deal_detail, base?.deal_detail, null),
    default_detail: pick(input.default_detail, base?.default_detail, null),
    validity,
    usable_hours: pick(input.usable_hours, base?.usable_hours, null),
    store_ids: pick(input.store_ids, base?.store_ids, []),
    can_share: pick(input.can_share, base?.can_share, false),
    can_gift: pick(input.can_gift, base?.can_gift, false),
    // Left out when there is none, so that terms stored before groups existed compare equal.
    ...withGroup(input.group === undefined ? (base?.group ?? null) : input.group),
  }
}

function withGroup(group: { size: number; hours: number } | null): Pick<CardTerms, 'group'> {
  return group === null ? {} : { group: { size: group.size, hours: group.hours } }
}

function missingValidityFields(validity: CardInput['validity'] | undefined): FieldError[] {
  if (!validity) return []
  const need = validity.type === 'fixed_range' ? (['begin_at', 'end_at'] as const) : (['days'] as const)
  return need
    .filter((field) => validity[field] === undefined)
    .map((field) => ({ field: `validity.${field}`, code: 'required', message: `is required for ${validity.type}` }))
}

/**
 * Everything wrong with the terms at once: shape, the merchant's capabilities, its compliance policy, its
 * stores. A new or changed validity must leave its coupons the policy's minimum from now on; one kept from
 * the previous terms (`previous`) was judged when it was set, and is measured whole.
 */
async function checkTerms(db: Db, merchant: MerchantRow, terms: CardTerms, input: Partial<CardInput>, now: number, previous: CardTerms | null = null): Promise<void> {
  const missing = missingValidityFields(input.validity)
  const errors = missing.length > 0 ? missing : [...validateCardTerms(terms, now)]
  if (!merchant.capabilities.card_types.includes(terms.type)) {
    throw new AppError('capability_not_allowed', `This merchant may not create ${terms.type} cards yet.`)
  }
  if (terms.store_ids.length > 0 && !merchant.capabilities.store_limited_cards) {
    throw new AppError('capability_not_allowed', 'This merchant may not limit cards to stores yet.')
  }
  const unknown = await unknownStoreIds(db, merchant.id, terms.store_ids)
  for (const id of unknown) {
    errors.push({ field: `store_ids[${terms.store_ids.indexOf(id)}]`, code: 'not_found', message: `${id} is not a store of this merchant` })
  }
  const validityChanged = previous === null || !isDeepStrictEqual(terms.validity, previous.validity)
  if (missing.length === 0) errors.push(...evaluateCompliance(terms, merchant.policy, validityChanged ? now : null))
  if (errors.length > 0) throw validationFailed(errors, 'The card breaks one or more rules; see errors.')
}

/** Share reward tiers must each be reached at a different count and give one of the merchant's own cards. */
async function checkShareRewards(db: Db, merchantId: string, tiers: ShareRewardTier[] | null | undefined): Promise<void> {
  if (!tiers || tiers.length === 0) return
  const errors = validateShareRewards(tiers)
  const unknown = new Set(await unknownCardIds(db, merchantId, tiers.map((t) => t.card_id)))
  tiers.forEach((tier, i) => {
    if (unknown.has(tier.card_id)) errors.push({ field: `share_rewards[${i}].card_id`, code: 'not_found', message: `${tier.card_id} is not a card of this merchant` })
  })
  if (errors.length > 0) throw validationFailed(errors, 'The share rewards break one or more rules; see errors.')
}

const shareRewardsColumn = (tiers: ShareRewardTier[] | null | undefined) => (tiers && tiers.length > 0 ? toJson(tiers) : null)

/** Makes a card; a retry of the Idempotency-Key request making it (`requestRef`) after a crash finds it. */
export async function createCard(ctx: AppContext, merchantId: string, input: CardInput, requestRef: string | null = null): Promise<CardWithTerms> {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'cards', merchantId, (id) => getCard(ctx, merchantId, id)), async () => {
    const now = ctx.clock.now()
    const merchant = await loadMerchant(db, merchantId)
    const terms = termsFrom(input, null)
    await checkTerms(db, merchant, terms, input, now)
    await checkShareRewards(db, merchantId, input.share_rewards)
    const cardId = newId('crd', now)
    await db.transaction().execute(async (tx) => {
      await insertCard(tx, {
        id: cardId,
        merchant_id: merchantId,
        type: terms.type,
        status: input.draft ? 'draft' : 'active',
        version: 1,
        stock_remaining: input.stock,
        issued_count: 0,
        get_limit: input.get_limit ?? 1,
        code_type: input.code_type ?? 'qrcode',
        code_format: input.code_format ?? 'alphanumeric',
        created_at: now,
        updated_at: now,
        stock_low_threshold: input.stock_low_threshold !== undefined ? input.stock_low_threshold : defaultStockLowThreshold(input.stock),
        stock_low_at: null,
        remind_days_before: input.remind_days_before !== undefined ? input.remind_days_before : DEFAULT_REMIND_DAYS_BEFORE,
        request_ref: requestRef,
        share_rewards: shareRewardsColumn(input.share_rewards),
        unlock_after_friends: input.unlock_after_friends ?? null,
      })
      await insertCardVersion(tx, { merchantId, cardId, version: 1, terms, now })
      await recordEvent(tx, { merchantId, type: 'card.created', data: { card_id: cardId, type: terms.type, title: terms.title, status: input.draft ? 'draft' : 'active' }, now })
    })
    return (await findCardWithTerms(db, merchantId, cardId)) as CardWithTerms
  })
}

export async function getCard(ctx: AppContext, merchantId: string, cardId: string): Promise<CardWithTerms> {
  const found = await findCardWithTerms(ctx.database.db, merchantId, cardId)
  if (!found) throw new AppError('card_not_found', 'There is no card with this id.')
  return found
}

/**
 * Changes a card. A change to what customers were promised (anything in the terms) becomes a new
 * version; coupons already issued keep the version they were issued under.
 */
export async function updateCard(ctx: AppContext, merchantId: string, cardId: string, input: Partial<CardInput>): Promise<CardWithTerms> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  const current = await getCard(ctx, merchantId, cardId)
  if (current.card.status === 'ended') throw new AppError('invalid_state', 'An ended card cannot be changed.')
  const merchant = await loadMerchant(db, merchantId)
  const terms = termsFrom(input, current.terms)
  // Compared as values: PostgreSQL's jsonb does not keep the key order the terms were written in.
  const termsChanged = !isDeepStrictEqual(terms, current.terms)
  if (termsChanged) await checkTerms(db, merchant, terms, input, now, current.terms)
  await checkShareRewards(db, merchantId, input.share_rewards)
  const settings: Partial<Pick<CardRow, (typeof SETTINGS)[number] | 'stock_low_at'>> = {}
  if (input.get_limit !== undefined) settings.get_limit = input.get_limit
  if (input.code_type !== undefined) settings.code_type = input.code_type
  if (input.code_format !== undefined) settings.code_format = input.code_format
  if (input.stock_low_threshold !== undefined) settings.stock_low_threshold = input.stock_low_threshold
  if (input.remind_days_before !== undefined) settings.remind_days_before = input.remind_days_before
  if (input.share_rewards !== undefined) settings.share_rewards = shareRewardsColumn(input.share_rewards)
  if (input.unlock_after_friends !== undefined) settings.unlock_after_friends = input.unlock_after_friends
  // A new threshold is judged afresh: the alert fires again if the stock is at or below it.
  if (input.stock_low_threshold !== undefined && input.stock_low_threshold !== current.card.stock_low_threshold) settings.stock_low_at = null
  await db.transaction().execute(async (tx) => {
    const version = termsChanged ? current.card.version + 1 : current.card.version
    // The version check makes two concurrent changes conflict instead of one silently winning.
    const updated = await updateCardAtVersion(tx, merchantId, cardId, current.card.version, { ...settings, version, updated_at: now })
    if (!updated) throw new AppError('request_in_progress', 'The card was changed at the same time; retry.')
    if (termsChanged) await insertCardVersion(tx, { merchantId, cardId, version, terms, now })
    await recordEvent(tx, { merchantId, type: 'card.updated', data: { card_id: cardId, version, terms_changed: termsChanged }, now })
  })
  return getCard(ctx, merchantId, cardId)
}

const TRANSITIONS: Record<'activate' | 'pause' | 'end', { from: CardStatus[]; to: CardStatus }> = {
  activate: { from: ['draft', 'paused'], to: 'active' },
  pause: { from: ['active'], to: 'paused' },
  end: { from: ['draft', 'active', 'paused'], to: 'ended' },
}

/** draft → active ⇄ paused → ended. Pausing or ending stops issuing; coupons already issued stay usable. */
export async function changeCardStatus(ctx: AppContext, merchantId: string, cardId: string, action: keyof typeof TRANSITIONS): Promise<CardWithTerms> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  const { from, to } = TRANSITIONS[action]
  const current = await getCard(ctx, merchantId, cardId)
  if (current.card.status === to) return current
  await db.transaction().execute(async (tx) => {
    if (!(await updateCardStatus(tx, merchantId, cardId, from, to, now))) {
      throw new AppError('invalid_state', `A ${current.card.status} card cannot be moved to ${to}.`)
    }
    await recordEvent(tx, { merchantId, type: `card.${to === 'active' ? 'activated' : to}`, data: { card_id: cardId, status: to, previous_status: current.card.status }, now })
  })
  return getCard(ctx, merchantId, cardId)
}

/**
 * Adds to or takes from the stock still to be issued; it never goes below zero. Its event records the
 * Idempotency-Key request making the change (`requestRef`), so a retry after a crash does not change it twice.
 */
export async function changeStock(ctx: AppContext, merchantId: string, cardId: string, delta: number, requestRef: string | null = null): Promise<CardWithTerms> {
  const { db } = ctx.database
  const changed = async (ref: string) => ((await changedByRequest(db, merchantId, ref)) ? getCard(ctx, merchantId, cardId) : undefined)
  return onceForRequest(requestRef, changed, async () => {
    await applyStockChange(ctx, merchantId, cardId, delta, requestRef)
    return getCard(ctx, merchantId, cardId)
  })
}

async function applyStockChange(ctx: AppContext, merchantId: string, cardId: string, delta: number, requestRef: string | null): Promise<void> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  await db.transaction().execute(async (tx) => {
    const stockRemaining = await addToStock(tx, merchantId, cardId, delta, now)
    if (stockRemaining === undefined) {
      const stock = await findCardStock(tx, merchantId, cardId)
      if (stock === undefined) throw new AppError('card_not_found', 'There is no card with this id.')
      throw new AppError('insufficient_stock', `The stock is ${stock}; it cannot go down by ${-delta}.`)
    }
    await recordEvent(tx, { merchantId, type: 'card.stock_changed', data: { card_id: cardId, delta, stock_remaining: stockRemaining }, now, requestRef })
  })
}
