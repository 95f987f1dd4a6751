import { sql, type Kysely } from 'kysely'
import type { ColumnTypes } from './column-types.ts'
import { localDayOf } from './0025-card-stats-rollups.ts'
import { ALL_CARDS, reachOfDays } from '../../domain/reach.ts'

/**
 * The merchant-wide statistics (the funnel of all cards, the overview) and shares from counters kept as
 * events happen, like a card's (0025), so that answering never scans coupons, redemptions, views or shares:
 *
 * - the counters of 0025 under the card id '' (ALL_CARDS): the merchant's distinct viewers, claimers and
 *   redeemers over any range (card_day_viewers, card_person_days, card_reach);
 * - `card_share_days`: shares per card and local day; sharers are card_person_days and card_reach rows of
 *   action 'share';
 * - `merchant_claim_days`: of the coupons claimed on a local day, how many are redeemed now;
 * - `card_activity_days_day_idx`: the merchant's counters of a range of days across its cards.
 *
 * Existing coupons, redemptions, day viewers and shares are counted in here, merchant by merchant
 * (backfillMerchantWideRollUps).
 */
export async function up(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('card_share_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('shares', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('card_share_days_pk', ['merchant_id', 'card_id', 'day'])
    .execute()
  await db.schema
    .createTable('merchant_claim_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('redeemed', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('merchant_claim_days_pk', ['merchant_id', 'day'])
    .execute()
  await db.schema.createIndex('card_activity_days_day_idx').on('card_activity_days').columns(['merchant_id', 'day']).execute()

  const merchants: { id: string; timezone: string }[] = await db.selectFrom('merchants').select(['id', 'timezone']).execute()
  for (const merchant of merchants) await backfillMerchantWideRollUps(db, merchant.id, merchant.timezone)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('card_activity_days_day_idx').execute()
  for (const table of ['card_day_viewers', 'card_person_days', 'card_reach']) await db.deleteFrom(table).where('card_id', '=', ALL_CARDS).execute()
  await db.deleteFrom('card_person_days').where('action', '=', 'share').execute()
  await db.deleteFrom('card_reach').where('action', '=', 'share').execute()
  for (const table of ['merchant_claim_days', 'card_share_days']) await db.schema.dropTable(table).execute()
}

const PAGE = 5_000
const BATCH = 500

async function insertInBatches(db: Kysely<any>, tableName: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await db.insertInto(tableName).values(rows.slice(i, i + BATCH)).execute()
}

/**
 * Counts a merchant's existing coupons, redemptions, day viewers and shares into the merchant-wide and share
 * counters, which must hold nothing of the merchant yet (the cards' own counters of 0025 are left as they
 * are). Rows are read a page at a time in person order, so memory holds the counters and one person's days.
 * Days are the merchant's zone `tz`.
 */
export async function backfillMerchantWideRollUps(db: Kysely<any>, merchantId: string, tz: string): Promise<void> {
  const dayOf = localDayOf(tz)
  const reach = new Map<string, number>()
  const addReach = (key: string, people: number) => reach.set(key, (reach.get(key) ?? 0) + people)
  const personRows: Record<string, unknown>[] = []
  /** One person's active days per card and action ('card|action|day' → n), counted when the next person comes. */
  let person: { user: string; days: Map<string, number> } | null = null
  const flushPerson = async (force: boolean) => {
    if (person !== null) {
      const byGroup = new Map<string, string[]>()
      for (const [k, n] of person.days) {
        const [cardId, action, day] = k.split('|')
        if (n > 0) personRows.push({ merchant_id: merchantId, card_id: cardId, action, person: person.user, day, n })
        if (n > 0) byGroup.set(`${cardId}|${action}`, [...(byGroup.get(`${cardId}|${action}`) ?? []), day])
      }
      for (const [group, list] of byGroup) for (const c of reachOfDays(list)) addReach(`${group}|${c.day}|${c.prev_day}`, c.people)
      person = null
    }
    if (force || personRows.length >= BATCH * 4) await insertInBatches(db, 'card_person_days', personRows.splice(0))
  }
  const personDay = async (user: string, cardId: string, action: string, day: string) => {
    if (person === null || person.user !== user) {
      await flushPerson(false)
      person = { user, days: new Map() }
    }
    const k = `${cardId}|${action}|${day}`
    person.days.set(k, (person.days.get(k) ?? 0) + 1)
  }

  // Claims (coupons not voided, on their day of issue) and standing redemptions, of all cards, per customer.
  const claimRedeemed = new Map<string, number>()
  for (let after: { user: string; id: string } | null = null; ; ) {
    let q = db.selectFrom('coupons').select(['id', 'user_id', 'state', 'issued_at']).where('merchant_id', '=', merchantId).orderBy('user_id').orderBy('id').limit(PAGE)
    if (after !== null) {
      const { user, id } = after
      q = q.where((eb) => eb.or([eb('user_id', '>', user), eb.and([eb('user_id', '=', user), eb('id', '>', id)])]))
    }
    const coupons: { id: string; user_id: string; state: string; issued_at: number | string }[] = await q.execute()
    if (coupons.length === 0) break
    const standing = new Map<string, (number | string)[]>()
    for (let i = 0; i < coupons.length; i += BATCH) {
      const rows: { coupon_id: string; redeemed_at: number | string }[] = await db
        .selectFrom('redemptions')
        .select(['coupon_id', 'redeemed_at'])
        .where('merchant_id', '=', merchantId)
        .where('coupon_id', 'in', coupons.slice(i, i + BATCH).map((c) => c.id))
        .where('reversed_at', 'is', null)
        .execute()
      for (const r of rows) standing.set(r.coupon_id, [...(standing.get(r.coupon_id) ?? []), r.redeemed_at])
    }
    for (const c of coupons) {
      const issuedDay = dayOf(Number(c.issued_at))
      if (c.state !== 'voided') await personDay(c.user_id, ALL_CARDS, 'claim', issuedDay)
      for (const at of standing.get(c.id) ?? []) {
        await personDay(c.user_id, ALL_CARDS, 'redeem', dayOf(Number(at)))
        claimRedeemed.set(issuedDay, (claimRedeemed.get(issuedDay) ?? 0) + 1)
      }
    }
    const last = coupons[coupons.length - 1]
    after = { user: last.user_id, id: last.id }
  }
  await flushPerson(true)
  await insertInBatches(db, 'merchant_claim_days', [...claimRedeemed].map(([day, redeemed]) => ({ merchant_id: merchantId, day, redeemed })))

  // Shares per card and day, and each sharer's days per card.
  const shareDays = new Map<string, number>()
  for (let after: { card: string; user: string; id: string } | null = null; ; ) {
    let q = db.selectFrom('card_shares').select(['id', 'card_id', 'user_id', 'shared_at']).where('merchant_id', '=', merchantId).orderBy('user_id').orderBy('card_id').orderBy('id').limit(PAGE)
    if (after !== null) {
      const { card, user, id } = after
      q = q.where((eb) =>
        eb.or([eb('user_id', '>', user), eb.and([eb('user_id', '=', user), eb('card_id', '>', card)]), eb.and([eb('user_id', '=', user), eb('card_id', '=', card), eb('id', '>', id)])]),
      )
    }
    const shares: { id: string; card_id: string; user_id: string; shared_at: number | string }[] = await q.execute()
    if (shares.length === 0) break
    for (const s of shares) {
      const day = dayOf(Number(s.shared_at))
      shareDays.set(`${s.card_id}|${day}`, (shareDays.get(`${s.card_id}|${day}`) ?? 0) + 1)
      await personDay(s.user_id, s.card_id, 'share', day)
    }
    const last = shares[shares.length - 1]
    after = { card: last.card_id, user: last.user_id, id: last.id }
  }
  await flushPerson(true)
  await insertInBatches(db, 'card_share_days', [...shareDays].map(([k, shares]) => ({ merchant_id: merchantId, card_id: k.split('|')[0], day: k.split('|')[1], shares })))

  // Who viewed any of the merchant's cards on a day, then each viewer's days linked as they come.
  await db
    .insertInto('card_day_viewers')
    .columns(['merchant_id', 'card_id', 'day', 'viewer'])
    .expression(
      db.selectFrom('card_day_viewers').select(['merchant_id', sql.lit(ALL_CARDS).as('card_id'), 'day', 'viewer']).distinct().where('merchant_id', '=', merchantId).where('card_id', '!=', ALL_CARDS),
    )
    .execute()
  let last: { viewer: string; day: string } | null = null
  for (;;) {
    let q = db.selectFrom('card_day_viewers').select(['viewer', 'day']).where('merchant_id', '=', merchantId).where('card_id', '=', ALL_CARDS).orderBy('viewer').orderBy('day').limit(PAGE)
    if (last !== null) {
      const { viewer, day } = last
      q = q.where((eb) => eb.or([eb('viewer', '>', viewer), eb.and([eb('viewer', '=', viewer), eb('day', '>', day)])]))
    }
    const page: { viewer: string; day: string }[] = await q.execute()
    if (page.length === 0) break
    for (const row of page) {
      addReach(`${ALL_CARDS}|view|${row.day}|${last !== null && last.viewer === row.viewer ? last.day : ''}`, 1)
      last = row
    }
  }
  const reachRows = [...reach].filter(([, people]) => people !== 0).map(([k, people]) => {
    const [card_id, action, day, prev_day] = k.split('|')
    return { merchant_id: merchantId, card_id, action, day, prev_day, people }
  })
  await insertInBatches(db, 'card_reach', reachRows)
}
