import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { expectProblem, expectStatus, merchantApi, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { rollUpDailyStats } from '../../src/jobs/daily-stats.job.ts'

const DAY = 86_400_000

/** Parses the CSV these routes write (no field of theirs needs quoting) into header-keyed rows. */
function csvRows(text: string): Record<string, string>[] {
  assert.ok(text.endsWith('\r\n'), 'rows end with CRLF')
  const [header, ...lines] = text.slice(0, -2).split('\r\n')
  const columns = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((field, i) => [columns[i], field])))
}

/** The JSON rows as CSV would write them: every value a string, null empty. */
const asCsv = (rows: Record<string, unknown>[]) => rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)])))

for (const engine of ENGINES) {
  describe(`card statistics, funnel and exposure on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z') // 10:00 on 1 March in Shanghai
    const t = useTestApp(engine, { clock })
    let api: MerchantApi
    let cardId: string
    let token: string

    const walletToken = async (userId: string, merchant = api) => expectStatus(await merchant.post('/v1/wallet-tokens', { user_id: userId }), 201).token as string
    const view = async (headers: Record<string, string> = {}, key?: string) => expectStatus(await t.request('GET', `/v1/claim/${token}`, { headers, key }), 200)
    const stats = async (query: string, merchant = api, id = cardId) => expectStatus(await merchant.get(`/v1/stats/cards/${id}?${query}`), 200)
    const redeem = async (code: string, orderAmount: number) => expectStatus(await api.redeem({ code, order_amount: orderAmount }), 201)

    before(async () => {
      const { apiKey } = await t.merchant('Tea House')
      api = merchantApi(t, apiKey)
      cardId = (await api.createCard(cashCard({ stock: 100, get_limit: 5 }))).id
      token = expectStatus(await api.post(`/v1/cards/${cardId}/claim-links`, {}), 201).token
    })

    it('counts a scripted programme figure by figure, reversals and voids subtracted, and the funnel', async () => {
      // 1 March: five claim-page views by three viewers (one anonymous view counts no viewer).
      const u1 = await walletToken('u1')
      await view({ 'kabao-device': 'device-1' })
      await view({ 'kabao-device': 'device-1' })
      await view({ 'kabao-device': 'device-2' })
      await view()
      await view({ 'kabao-device': 'device-3' }, u1) // signed in: the customer is the viewer, not the device
      const claimed = expectStatus(await t.request('POST', `/v1/claim/${token}`, { key: u1 }), 201)
      const c2 = await api.issue(cardId, 'u2')
      const c3 = await api.issue(cardId, 'u3')
      await redeem(claimed.code, 15000)
      const r2 = await redeem(c2.code, 30000)
      // The wallet's coupon page is a view too; u1 already counted as a viewer today.
      expectStatus(await t.request('GET', `/v1/wallet/coupons/${claimed.id}`, { key: u1 }), 200)

      // 2 March: the second redemption is reversed, the third coupon voided, one more claimed and used.
      clock.advance(DAY)
      expectStatus(await api.post(`/v1/redemptions/${r2.id}/reverse`, { reason: 'returned' }), 200)
      expectStatus(await api.post(`/v1/coupons/${encodeURIComponent(c3.code)}/void`), 200)
      await view({ 'kabao-device': 'device-1' })
      const c4 = await api.issue(cardId, 'u4')
      await redeem(c4.code, 20000)

      const expected = {
        card_id: cardId,
        timezone: 'Asia/Shanghai',
        from: '2030-03-01',
        to: '2030-03-02',
        views: 7,
        viewers: 3,
        claims: 3,
        claimers: 3,
        shares: 0,
        sharers: 0,
        gifts: 0,
        redemptions: 2,
        redeemers: 2,
        expired: 0,
        discount_amount: 4000,
        order_amount: 35000,
        claim_rate: 1,
        redemption_rate: 0.6667,
        share_rate: 0,
        cost_per_redemption: 2000,
        roi: 8.75,
        by_day: [
          { date: '2030-03-01', views: 6, viewers: 3, claims: 3, redemptions: 2, expired: 0, gifts: 0, discount_amount: 4000, order_amount: 45000 },
          { date: '2030-03-02', views: 1, viewers: 1, claims: 0, redemptions: 0, expired: 0, gifts: 0, discount_amount: 0, order_amount: -10000 },
        ],
        by_channel: [
          { channel: 'api', claims: 2, redemptions: 1, discount_amount: 2000, order_amount: 20000, redemption_rate: 0.5 },
          { channel: 'claim_link', claims: 1, redemptions: 1, discount_amount: 2000, order_amount: 15000, redemption_rate: 1 },
        ],
        by_campaign: [{ channel: null, campaign: null, claims: 3, redemptions: 2, discount_amount: 4000, order_amount: 35000, redemption_rate: 0.6667 }],
      }
      const live = await stats('from=2030-03-01&to=2030-03-02')
      assert.deepEqual(live, expected)
      const funnel = expectStatus(await api.get(`/v1/stats/funnel?card_id=${cardId}&from=2030-03-01&to=2030-03-02`), 200)
      assert.deepEqual(funnel, { card_id: cardId, from: '2030-03-01', to: '2030-03-02', steps: [{ name: 'view', users: 3 }, { name: 'claim', users: 3 }, { name: 'redeem', users: 2 }] })
      // One day alone: 2 March's viewer and the people of that day.
      const second = await stats('from=2030-03-02&to=2030-03-02')
      assert.deepEqual([second.views, second.viewers, second.claims, second.claimers, second.redemptions, second.redeemers], [1, 1, 0, 1, 0, 1])

      // The job rolls both days up on 3 March; a week later they are read from the roll-ups alone.
      clock.advance(DAY)
      await runJobsOnce(t.ctx, [rollUpDailyStats])
      clock.advance(7 * DAY)
      assert.deepEqual(await stats('from=2030-03-01&to=2030-03-02'), expected)
      const daily = expectStatus(await api.get(`/v1/stats/daily?card_id=${cardId}`), 200).data
      assert.deepEqual(daily.map((d: Record<string, unknown>) => [d.day, d.issued, d.redeemed, d.reversed, d.voided, d.discount_amount]), [
        ['2030-03-01', 3, 2, 0, 0, 4000],
        ['2030-03-02', 1, 1, 1, 1, 0],
      ])

      // Every list answers CSV too, with the same rows as the JSON.
      const csv = await api.get(`/v1/stats/cards/${cardId}?from=2030-03-01&to=2030-03-02&format=csv`)
      assert.equal(csv.status, 200)
      assert.match(String(csv.headers['content-type']), /^text\/csv/)
      assert.deepEqual(csvRows(csv.text), asCsv(expected.by_day))
      const byAccept = await t.request('GET', `/v1/stats/cards/${cardId}?from=2030-03-01&to=2030-03-02&list=by_channel`, { key: api.key, headers: { accept: 'text/csv' } })
      assert.deepEqual(csvRows(byAccept.text), asCsv(expected.by_channel))
      const funnelCsv = await api.get(`/v1/stats/funnel?card_id=${cardId}&from=2030-03-01&to=2030-03-02&format=csv`)
      assert.deepEqual(csvRows(funnelCsv.text), asCsv(funnel.steps))
      const dailyCsv = await api.get(`/v1/stats/daily?card_id=${cardId}&format=csv`)
      assert.deepEqual(csvRows(dailyCsv.text), asCsv(daily))
    })

    it('counts parallel views of one device as many views and one viewer', async () => {
      const before = await stats('')
      await Promise.all(Array.from({ length: 12 }, () => view({ 'kabao-device': 'device-parallel' })))
      const after = await stats('')
      assert.equal(after.views - before.views, 12)
      assert.equal(after.viewers - before.viewers, 1)
    })

    it('answers clear errors for a bad range or an unknown card', async () => {
      assertInvalidFields(await api.get(`/v1/stats/cards/${cardId}?from=2030-02-30`), ['from'])
      assertInvalidFields(await api.get(`/v1/stats/cards/${cardId}?from=2030-03-05&to=2030-03-01`), ['from'])
      assertInvalidFields(await api.get(`/v1/stats/cards/${cardId}?from=2028-01-01&to=2030-03-01`), ['from'])
      expectProblem(await api.get('/v1/stats/cards/crd_nope'), 404, 'card_not_found')
      expectProblem(await api.get('/v1/stats/funnel?card_id=crd_nope'), 404, 'card_not_found')
      const { apiKey } = await t.merchant('Stranger')
      expectProblem(await merchantApi(t, apiKey).get(`/v1/stats/cards/${cardId}`), 404, 'card_not_found')
    })

    it('records a merchant’s own events with an API key or a wallet token, and checks them', async () => {
      const tracked = expectStatus(await api.post('/v1/track', { event: 'banner.click', card_id: cardId, user_id: 'u9', props: { slot: 'top' } }), 201)
      assert.match(tracked.id, /^tev_/)
      assert.deepEqual([tracked.event, tracked.card_id, tracked.user_id], ['banner.click', cardId, 'u9'])
      const stored = await t.ctx.database.db.selectFrom('tracked_events').selectAll().where('id', '=', tracked.id).executeTakeFirstOrThrow()
      assert.deepEqual(typeof stored.props === 'string' ? JSON.parse(stored.props) : stored.props, { slot: 'top' })

      const u5 = await walletToken('u5')
      const mine = expectStatus(await t.request('POST', '/v1/track', { key: u5, body: { event: 'page_view' } }), 201)
      assert.equal(mine.user_id, 'u5')
      expectProblem(await t.request('POST', '/v1/track', { key: u5, body: { event: 'page_view', user_id: 'someone-else' } }), 403, 'forbidden')
      expectProblem(await t.request('POST', '/v1/track', { body: { event: 'page_view' } }), 401, 'unauthenticated')

      assertInvalidFields(await api.post('/v1/track', { event: 'view', card_id: cardId }), ['event'])
      assertInvalidFields(await api.post('/v1/track', { event: 'Bad Name' }), ['event'])
      assertInvalidFields(await api.post('/v1/track', { event: 'big', props: { blob: 'x'.repeat(2100) } }), ['props'])
      expectProblem(await api.post('/v1/track', { event: 'click', card_id: 'crd_nope' }), 404, 'card_not_found')
      // Nothing was written by the refused calls.
      const count = await t.ctx.database.db.selectFrom('tracked_events').select((eb) => eb.fn.countAll<number>().as('n')).where('event', '!=', 'view').executeTakeFirstOrThrow()
      assert.equal(Number(count.n), 2)
    })
  })

  describe(`card statistics across a daylight-saving change on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-10T04:30:00Z')
    const t = useTestApp(engine, { clock })

    it('buckets claims and views by the merchant’s local days, live and rolled up', async () => {
      const { apiKey } = await t.merchant('Deli', 'America/New_York')
      const nyc = merchantApi(t, apiKey)
      const card = await nyc.createCard(cashCard({ stock: 20, get_limit: 10 }))
      const { token } = expectStatus(await nyc.post(`/v1/cards/${card.id}/claim-links`, {}), 201)
      const claimAndView = async (at: string, user: string) => {
        clock.set(at)
        await nyc.issue(card.id, user)
        expectStatus(await t.request('GET', `/v1/claim/${token}`, { headers: { 'kabao-device': `dev-${user}` } }), 200)
      }
      // New York springs forward on 10 March 2030: that day has 23 hours.
      await claimAndView('2030-03-10T04:30:00Z', 'n1') // 23:30 on 9 March, EST
      await claimAndView('2030-03-10T05:00:00Z', 'n2') // 00:00 on 10 March, EST
      await claimAndView('2030-03-11T03:59:59Z', 'n3') // 23:59:59 on 10 March, EDT
      await claimAndView('2030-03-11T04:00:00Z', 'n4') // 00:00 on 11 March, EDT
      const perDay = (body: { by_day: { date: string; claims: number; views: number }[] }) => body.by_day.map((d) => [d.date, d.claims, d.views])
      const expected = [['2030-03-09', 1, 1], ['2030-03-10', 2, 2], ['2030-03-11', 1, 1]]
      const live = expectStatus(await nyc.get(`/v1/stats/cards/${card.id}?from=2030-03-09&to=2030-03-11`), 200)
      assert.deepEqual(perDay(live), expected)

      clock.set('2030-03-12T12:00:00Z') // the job rolls up 10 and 11 March
      await runJobsOnce(t.ctx, [rollUpDailyStats])
      clock.set('2030-03-20T12:00:00Z')
      const rolled = expectStatus(await nyc.get(`/v1/stats/cards/${card.id}?from=2030-03-10&to=2030-03-11`), 200)
      assert.deepEqual(perDay(rolled), expected.slice(1))
      assert.deepEqual([rolled.claims, rolled.claimers, rolled.views, rolled.viewers], [3, 3, 3, 3])
    })
  })
}
