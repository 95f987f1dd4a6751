import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const HOUR = 60 * 60 * 1000

interface Day {
  date: string
  claims: number
  redemptions: number
  redeemed: number
  redemption_rate: number | null
}

for (const engine of ENGINES) {
  describe(`dashboard statistics on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let api: MerchantApi

    const overview = async (query = '', merchant = api) => expectStatus(await merchant.get(`/v1/stats/overview${query}`), 200)
    const day = (body: { daily: Day[] }, date: string) => {
      const found = body.daily.find((d) => d.date === date)
      assert.ok(found, `no ${date} in ${body.daily.map((d) => d.date).join(', ')}`)
      return found
    }

    before(async () => {
      clock = new ManualClock('2030-03-01T15:59:59Z') // 23:59:59 on 1 March in Shanghai
      t = await startTestApp(engine, { clock })
      api = await newMerchant(t)
    })
    after(() => t.close())

    it('answers an empty month for a new merchant: 30 local days ending today', async () => {
      const body = await overview()
      assert.equal(body.timezone, 'Asia/Shanghai')
      assert.equal(body.days, 30)
      assert.equal(body.daily.length, 30)
      assert.equal(body.from, '2030-01-31')
      assert.equal(body.to, '2030-03-01')
      assert.deepEqual(body.today, { date: '2030-03-01', claims: 0, redemptions: 0, redeemed: 0, redemption_rate: null })
      assert.deepEqual(body.totals, { claims: 0, redemptions: 0, redeemed: 0, redemption_rate: null })
      assert.deepEqual(body.cards, [])
      assertInvalidFields(await api.get('/v1/stats/overview?days=0'), ['days'])
      assertInvalidFields(await api.get('/v1/stats/overview?days=400'), ['days'])
    })

    it('counts claims and redemptions per local day, the rate, and the stock left per card', async () => {
      const card = await api.createCard(cashCard({ stock: 10, get_limit: 10 }))
      const other = await api.createCard(cashCard({ title: '满200减50', reduce_cost: 5000, least_cost: 20000, stock: 5 }))
      const ended = await api.createCard(cashCard({ title: 'Ended', stock: 5 }))
      expectStatus(await api.post(`/v1/cards/${ended.id}/end`), 200)
      const redeem = async (code: string) => expectStatus(await api.redeem({ code, order_amount: 20000 }), 201)

      // Last second of 1 March in Shanghai: two claims, one redeemed at once.
      const a = await api.issue(card.id, 'u1')
      await api.issue(card.id, 'u2')
      await redeem(a.code)
      // The next second is 2 March there, although it is still 1 March in UTC.
      clock.advance(1000)
      const c = await api.issue(card.id, 'u3')
      const d = await api.issue(other.id, 'u4')
      await api.issue(other.id, 'u5')
      await redeem(c.code)
      const undone = await redeem(d.code)
      // A reversed redemption no longer counts.
      expectStatus(await api.post(`/v1/redemptions/${undone.id}/reverse`), 200)
      clock.advance(2 * HOUR)
      // The first of 1 March's coupons is used on 2 March: a redemption of 2 March, a redeemed claim of 1 March.
      const late = await api.issue(card.id, 'u6')
      await redeem(late.code)

      const body = await overview()
      assert.equal(body.to, '2030-03-02')
      assert.deepEqual(day(body, '2030-03-01'), { date: '2030-03-01', claims: 2, redemptions: 1, redeemed: 1, redemption_rate: 0.5 })
      assert.deepEqual(body.today, { date: '2030-03-02', claims: 4, redemptions: 2, redeemed: 2, redemption_rate: 0.5 })
      assert.deepEqual(body.totals, { claims: 6, redemptions: 3, redeemed: 3, redemption_rate: 0.5 })
      assert.ok(body.daily.filter((d: Day) => d.date < '2030-03-01').every((d: Day) => d.claims === 0 && d.redemptions === 0))
      assert.deepEqual(
        body.cards.map((c: Record<string, unknown>) => [c.card_id, c.title, c.status, c.stock_remaining, c.issued_count, c.redeemed_count]),
        [
          [other.id, '满200减50', 'active', 3, 2, 0],
          [card.id, '满100减20', 'active', 6, 4, 3],
        ],
        'newest first, ended cards left out',
      )

      const week = await overview('?days=7')
      assert.equal(week.daily.length, 7)
      assert.equal(week.from, '2030-02-24')
      assert.deepEqual(week.totals, body.totals)
    })

    it('keeps each merchant’s numbers to itself', async () => {
      const stranger = await newMerchant(t)
      const body = await overview('', stranger)
      assert.deepEqual(body.totals, { claims: 0, redemptions: 0, redeemed: 0, redemption_rate: null })
      assert.deepEqual(body.cards, [])
    })

    it('follows the merchant’s days across a daylight-saving change', async () => {
      const nyc = await newMerchant(t, 'America/New_York')
      const card = await nyc.createCard(cashCard({ stock: 10, get_limit: 10 }))
      // New York springs forward on 10 March 2030: that day has 23 hours.
      clock.set('2030-03-10T04:30:00Z') // 23:30 on 9 March, EST
      await nyc.issue(card.id, 'n1')
      clock.set('2030-03-10T05:00:00Z') // 00:00 on 10 March, EST
      await nyc.issue(card.id, 'n2')
      clock.set('2030-03-11T03:59:59Z') // 23:59:59 on 10 March, EDT
      await nyc.issue(card.id, 'n3')
      clock.set('2030-03-11T04:00:00Z') // 00:00 on 11 March, EDT
      await nyc.issue(card.id, 'n4')
      const body = await overview('?days=3', nyc)
      assert.deepEqual(body.daily.map((d: Day) => [d.date, d.claims]), [['2030-03-09', 1], ['2030-03-10', 2], ['2030-03-11', 1]])
    })
  })
}
