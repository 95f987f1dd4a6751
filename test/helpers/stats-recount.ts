import assert from 'node:assert/strict'
import type { Db } from '../../src/db/database.ts'
import { dayBounds, dayKey, parseDayKey } from '../../src/domain/analytics.ts'
import { addCalendarDays, localDate, type LocalDate } from '../../src/domain/time.ts'
import { backfillMerchantRollUps } from '../../src/db/migrations/0025-card-stats-rollups.ts'
import { backfillMerchantWideRollUps } from '../../src/db/migrations/0032-merchant-stats-rollups.ts'
import { expectStatus, type MerchantApi } from './merchant-api.ts'

// Statistics counted straight from the rows (coupons, redemptions, views, shares), to check the counters against.

const ROLLUP_TABLES = ['card_activity_days', 'card_person_days', 'card_reach', 'card_share_days', 'merchant_claim_days'] as const

/** A card's figures over local days [from, to] counted straight from the coupons, redemptions and views. */
export async function recount(db: Db, merchantId: string, cardId: string, tz: string, from: string, to: string) {
  const start = dayBounds(parseDayKey(from) as LocalDate, tz).start
  const end = dayBounds(parseDayKey(to) as LocalDate, tz).end
  const n = (row: { n: unknown } | undefined) => Number(row?.n ?? 0)
  const coupons = db.selectFrom('coupons').where('merchant_id', '=', merchantId).where('card_id', '=', cardId)
  const redemptions = db
    .selectFrom('redemptions as r')
    .innerJoin('coupons as c', (j) => j.onRef('c.merchant_id', '=', 'r.merchant_id').onRef('c.id', '=', 'r.coupon_id'))
    .where('r.merchant_id', '=', merchantId)
    .where('r.card_id', '=', cardId)
  const issued = n(await coupons.select((eb) => eb.fn.countAll().as('n')).where('issued_at', '>=', start).where('issued_at', '<', end).executeTakeFirst())
  const voided = n(await coupons.select((eb) => eb.fn.countAll().as('n')).where('voided_at', '>=', start).where('voided_at', '<', end).executeTakeFirst())
  const claimers = n(await coupons.select((eb) => eb.fn.count('user_id').distinct().as('n')).where('issued_at', '>=', start).where('issued_at', '<', end).where('state', '!=', 'voided').executeTakeFirst())
  const made = await redemptions.select(['r.discount_amount', 'r.order_amount', 'r.reversed_at', 'c.user_id']).where('r.redeemed_at', '>=', start).where('r.redeemed_at', '<', end).execute()
  const undone = await redemptions.select(['r.discount_amount', 'r.order_amount']).where('r.reversed_at', '>=', start).where('r.reversed_at', '<', end).execute()
  const sum = (rows: { discount_amount: unknown; order_amount: unknown }[], k: 'discount_amount' | 'order_amount') => rows.reduce((s, r) => s + Number(r[k] ?? 0), 0)
  const viewers = n(await db.selectFrom('card_day_viewers').select((eb) => eb.fn.count('viewer').distinct().as('n')).where('merchant_id', '=', merchantId).where('card_id', '=', cardId).where('day', '>=', from).where('day', '<=', to).executeTakeFirst())
  const shared = await db.selectFrom('card_shares').select('user_id').where('merchant_id', '=', merchantId).where('card_id', '=', cardId).where('shared_at', '>=', start).where('shared_at', '<', end).execute()
  const views = n(await db.selectFrom('tracked_events').select((eb) => eb.fn.countAll().as('n')).where('merchant_id', '=', merchantId).where('card_id', '=', cardId).where('event', '=', 'view').where('occurred_at', '>=', start).where('occurred_at', '<', end).executeTakeFirst())
  return {
    views,
    viewers,
    claims: issued - voided,
    claimers,
    shares: shared.length,
    sharers: new Set(shared.map((r) => r.user_id)).size,
    redemptions: made.length - undone.length,
    redeemers: new Set(made.filter((r) => r.reversed_at === null).map((r) => r.user_id)).size,
    discount_amount: sum(made, 'discount_amount') - sum(undone, 'discount_amount'),
    order_amount: sum(made, 'order_amount') - sum(undone, 'order_amount'),
  }
}

export const FIGURES = ['views', 'viewers', 'claims', 'claimers', 'shares', 'sharers', 'redemptions', 'redeemers', 'discount_amount', 'order_amount'] as const

/** Distinct viewers, claimers and redeemers across all the merchant's cards over local days [from, to], counted from the rows. */
export async function recountFunnel(db: Db, merchantId: string, tz: string, from: string, to: string): Promise<number[]> {
  const start = dayBounds(parseDayKey(from) as LocalDate, tz).start
  const end = dayBounds(parseDayKey(to) as LocalDate, tz).end
  const viewers = await db.selectFrom('card_day_viewers').select('viewer').distinct().where('merchant_id', '=', merchantId).where('card_id', '!=', '').where('day', '>=', from).where('day', '<=', to).execute()
  const claimers = await db.selectFrom('coupons').select('user_id').distinct().where('merchant_id', '=', merchantId).where('issued_at', '>=', start).where('issued_at', '<', end).where('state', '!=', 'voided').execute()
  const redeemers = await db
    .selectFrom('redemptions as r')
    .innerJoin('coupons as c', (j) => j.onRef('c.merchant_id', '=', 'r.merchant_id').onRef('c.id', '=', 'r.coupon_id'))
    .select('c.user_id')
    .distinct()
    .where((eb) => eb.and([eb('r.merchant_id', '=', merchantId), eb('r.redeemed_at', '>=', start), eb('r.redeemed_at', '<', end), eb('r.reversed_at', 'is', null)]))
    .execute()
  return [viewers.length, claimers.length, redeemers.length]
}

/** The overview's days and cards (claims, standing redemptions, claims redeemed now; coupons redeemed per card), counted from the rows. */
export async function recountOverview(db: Db, merchantId: string, tz: string, now: number, days: number) {
  const today = localDate(now, tz)
  const daily = []
  for (let i = days - 1; i >= 0; i--) {
    const date = addCalendarDays(today, -i)
    const { start, end } = dayBounds(date, tz)
    const claimed = await db.selectFrom('coupons').select('state').where('merchant_id', '=', merchantId).where('issued_at', '>=', start).where('issued_at', '<', end).execute()
    const standing = await db.selectFrom('redemptions').select('id').where('merchant_id', '=', merchantId).where('redeemed_at', '>=', start).where('redeemed_at', '<', end).where('reversed_at', 'is', null).execute()
    daily.push({ date: dayKey(date), claims: claimed.length, redemptions: standing.length, redeemed: claimed.filter((c) => c.state === 'redeemed').length })
  }
  const cards = await db.selectFrom('coupons').select(['card_id', 'state']).where('merchant_id', '=', merchantId).execute()
  const redeemedCount = (cardId: string) => cards.filter((c) => c.card_id === cardId && c.state === 'redeemed').length
  return { daily, redeemedCount }
}

/** The merchant's overview and funnels over every range in `ranges` equal a recount from the rows. */
export async function assertMerchantFiguresEqualRecount(api: MerchantApi, db: Db, merchantId: string, tz: string, now: number, ranges: string[][]): Promise<void> {
  for (const [from, to] of ranges) {
    const funnel = expectStatus(await api.get(`/v1/stats/funnel?from=${from}&to=${to}`), 200)
    assert.deepEqual(funnel.steps.map((s: { users: number }) => s.users), await recountFunnel(db, merchantId, tz, from, to), `funnel ${from}..${to}`)
  }
  for (const days of [1, 3, 10]) {
    const overview = expectStatus(await api.get(`/v1/stats/overview?days=${days}`), 200)
    const want = await recountOverview(db, merchantId, tz, now, days)
    assert.deepEqual(overview.daily.map((d: Record<string, unknown>) => ({ date: d.date, claims: d.claims, redemptions: d.redemptions, redeemed: d.redeemed })), want.daily, `overview of ${days} days`)
    for (const card of overview.cards) assert.equal(card.redeemed_count, want.redeemedCount(card.card_id), `redeemed coupons of ${card.card_id}`)
  }
}

/** The merchant's roll-up rows that count something, in a stable order. */
async function rollUpRows(db: Db, merchantId: string) {
  const activity = (await db.selectFrom('card_activity_days').selectAll().where('merchant_id', '=', merchantId).execute())
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' || /^(issued|voided|claims_kept|redeemed|reversed|redemptions_kept|discount_amount|order_amount|discount_kept|order_kept)$/.test(k) ? Number(v) : v])))
    .filter((r) => Object.entries(r).some(([k, v]) => typeof v === 'number' && k !== 'day' && v !== 0))
  const people = (await db.selectFrom('card_person_days').selectAll().where('merchant_id', '=', merchantId).execute()).map((r) => ({ ...r, n: Number(r.n) })).filter((r) => r.n !== 0)
  const reach = (await db.selectFrom('card_reach').selectAll().where('merchant_id', '=', merchantId).execute()).map((r) => ({ ...r, people: Number(r.people) })).filter((r) => r.people !== 0)
  const shares = (await db.selectFrom('card_share_days').selectAll().where('merchant_id', '=', merchantId).execute()).map((r) => ({ ...r, shares: Number(r.shares) }))
  const claimDays = (await db.selectFrom('merchant_claim_days').selectAll().where('merchant_id', '=', merchantId).execute()).map((r) => ({ ...r, redeemed: Number(r.redeemed) })).filter((r) => r.redeemed !== 0)
  const viewers = await db.selectFrom('card_day_viewers').selectAll().where('merchant_id', '=', merchantId).where('card_id', '=', '').execute()
  const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort()
  return { activity: sorted(activity), people: sorted(people), reach: sorted(reach), shares: sorted(shares), claimDays: sorted(claimDays), viewers: sorted(viewers) }
}

/** The roll-ups kept as things happened equal those an upgrade would count afresh from the rows. */
export async function assertRollUpsEqualRecount(db: Db, merchantId: string, tz: string): Promise<void> {
  const kept = await rollUpRows(db, merchantId)
  assert.ok(kept.activity.length > 0 && kept.reach.length > 0)
  for (const table of ROLLUP_TABLES) await db.deleteFrom(table).where('merchant_id', '=', merchantId).execute()
  await db.deleteFrom('card_day_viewers').where('merchant_id', '=', merchantId).where('card_id', '=', '').execute()
  // As an upgrade counts them: the cards' counters (0025), then the merchant's and the shares (0032).
  await backfillMerchantRollUps(db, merchantId, tz)
  await backfillMerchantWideRollUps(db, merchantId, tz)
  assert.deepEqual(await rollUpRows(db, merchantId), kept)
}

