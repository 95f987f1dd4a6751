/**
 * Random histories of claims, voids, redemptions, reversals, views and shares over several cards, people and
 * local days (in a zone with daylight saving), against the real API, on both engines. Afterwards every
 * figure kept as it happened (a card's, the merchant's funnel, the overview) equals a recount from the rows,
 * and the counters equal those an upgrade would count afresh.
 */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectStatus, merchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { dayKey } from '../../src/domain/analytics.ts'
import { addCalendarDays, localDate } from '../../src/domain/time.ts'
import { FIGURES, assertMerchantFiguresEqualRecount, assertRollUpsEqualRecount, recount } from '../helpers/stats-recount.ts'

const HOUR = 3_600_000
const TZ = 'America/New_York'

type Step =
  | { kind: 'issue'; card: number; user: number }
  | { kind: 'void'; pick: number }
  | { kind: 'redeem'; pick: number }
  | { kind: 'reverse'; pick: number }
  | { kind: 'view'; card: number; device: number }
  | { kind: 'share'; user: number }
  | { kind: 'advance'; hours: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('issue' as const), card: fc.nat(2), user: fc.nat(4) }),
  fc.record({ kind: fc.constant('void' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('redeem' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('view' as const), card: fc.nat(2), device: fc.nat(3) }),
  fc.record({ kind: fc.constant('share' as const), user: fc.nat(4) }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 30 }) }),
)

for (const engine of ENGINES) {
  describe(`merchant statistics against a recount, random histories, on ${engine}`, await engineOptions(engine), () => {
    // Two days before New York springs forward (10 March 2030), so that many histories cross it.
    const clock = new ManualClock('2030-03-08T20:00:00Z')
    const t = useTestApp(engine, { clock })
    let runs = 0
    before(() => clock.set('2030-03-08T20:00:00Z'))

    it('agree figure by figure', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 30 }), async (steps) => {
          clock.set('2030-03-08T20:00:00Z')
          const { apiKey, merchantId } = await t.merchant(`Shop ${++runs}`, TZ)
          const api = merchantApi(t, apiKey)
          const cards: string[] = []
          const links: string[] = []
          for (let i = 0; i < 3; i++) {
            cards.push((await api.createCard(cashCard({ stock: 100, get_limit: 50, can_share: true }))).id)
            links.push(expectStatus(await api.post(`/v1/cards/${cards[i]}/claim-links`, {}), 201).token)
          }
          const coupons: { code: string; state: 'available' | 'redeemed' | 'voided'; redemption?: string }[] = []
          const first = clock.now()
          for (const s of steps) {
            if (s.kind === 'issue') coupons.push({ code: expectStatus(await api.post(`/v1/cards/${cards[s.card]}/issue`, { user_id: `u${s.user}` }), 201).code, state: 'available' })
            else if (s.kind === 'void' || s.kind === 'redeem') {
              const open = coupons.filter((c) => c.state === 'available')
              if (open.length === 0) continue
              const c = open[s.pick % open.length]
              if (s.kind === 'void') {
                expectStatus(await api.post(`/v1/coupons/${encodeURIComponent(c.code)}/void`), 200)
                c.state = 'voided'
              } else {
                c.redemption = expectStatus(await api.redeem({ code: c.code, order_amount: 10_000 + s.pick }), 201).id
                c.state = 'redeemed'
              }
            } else if (s.kind === 'reverse') {
              const redeemed = coupons.filter((c) => c.state === 'redeemed')
              if (redeemed.length === 0) continue
              const c = redeemed[s.pick % redeemed.length]
              expectStatus(await api.post(`/v1/redemptions/${c.redemption}/reverse`, {}), 200)
              c.state = 'available'
            } else if (s.kind === 'view') expectStatus(await t.request('GET', `/v1/claim/${links[s.card]}`, { headers: { 'kabao-device': `d${s.device}` } }), 200)
            else if (s.kind === 'share') {
              // A fresh token each time: the clock moves on past a token's life.
              const wallet = expectStatus(await api.post('/v1/wallet-tokens', { user_id: `u${s.user}` }), 201).token
              expectStatus(await t.request('POST', `/v1/wallet/cards/${cards[s.user % 3]}/share`, { key: wallet }), 201)
            } else clock.advance(s.hours * HOUR)
          }
          const db = t.db.database.db
          const [from, to] = [localDate(first, TZ), localDate(clock.now(), TZ)]
          const ranges = [[dayKey(from), dayKey(to)], [dayKey(to), dayKey(to)], [dayKey(addCalendarDays(from, 1)), dayKey(addCalendarDays(from, 2))]]
          await assertMerchantFiguresEqualRecount(api, db, merchantId, TZ, clock.now(), ranges)
          for (const card of cards) {
            for (const [f, tt] of ranges) {
              const got = expectStatus(await api.get(`/v1/stats/cards/${card}?from=${f}&to=${tt}`), 200)
              assert.deepEqual(Object.fromEntries(FIGURES.map((k) => [k, got[k]])), await recount(db, merchantId, card, TZ, f, tt))
            }
          }
          if (coupons.length > 0) await assertRollUpsEqualRecount(db, merchantId, TZ)
        }),
        { numRuns: 10 },
      )
    })
  })
}
