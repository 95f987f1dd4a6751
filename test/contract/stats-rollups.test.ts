import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, useTestApp, type TestApp } from '../helpers/app.ts'
import { expectStatus, merchantApi, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { FIGURES, assertMerchantFiguresEqualRecount, assertRollUpsEqualRecount, recount, recountFunnel } from '../helpers/stats-recount.ts'

const DAY = 86_400_000

for (const engine of ENGINES) {
  describe(`card statistics roll-ups on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-05-01T01:00:00Z') // 09:00 on 1 May in Shanghai
    const t = useTestApp(engine, { clock })
    const TZ = 'Asia/Shanghai'
    let api: MerchantApi
    let merchantId: string
    let cardId: string
    let token: string
    let otherCardId: string
    let otherToken: string

    before(async () => {
      const merchant = await t.merchant('Noodle Bar', TZ)
      merchantId = merchant.merchantId
      api = merchantApi(t, merchant.apiKey)
      cardId = (await api.createCard(cashCard({ stock: 200, get_limit: 10, can_share: true }))).id
      token = expectStatus(await api.post(`/v1/cards/${cardId}/claim-links`, {}), 201).token
      otherCardId = (await api.createCard(cashCard({ stock: 200, get_limit: 10, title: 'Second bowl half price' }))).id
      otherToken = expectStatus(await api.post(`/v1/cards/${otherCardId}/claim-links`, {}), 201).token
    })

    it('equal a recount from the raw rows after days of claims, views, voids, reversals and redemptions again', async () => {
      const issue = async (user: string, tags: Record<string, string> = {}) => expectStatus(await api.post(`/v1/cards/${cardId}/issue`, { user_id: user, ...tags }), 201)
      const redeem = async (code: string, order: number) => expectStatus(await api.redeem({ code, order_amount: order }), 201)
      const reverse = async (id: string) => expectStatus(await api.post(`/v1/redemptions/${id}/reverse`, { reason: 'returned' }), 200)
      const voidIt = async (code: string) => expectStatus(await api.post(`/v1/coupons/${encodeURIComponent(code)}/void`), 200)
      const view = async (device: string, link = token) => expectStatus(await t.request('GET', `/v1/claim/${link}`, { headers: { 'kabao-device': device } }), 200)
      const issueOther = async (user: string) => expectStatus(await api.post(`/v1/cards/${otherCardId}/issue`, { user_id: user }), 201)
      const share = async (user: string) => {
        const wallet = expectStatus(await api.post('/v1/wallet-tokens', { user_id: user }), 201).token
        expectStatus(await t.request('POST', `/v1/wallet/cards/${cardId}/share`, { key: wallet }), 201)
      }

      // 1 May
      const a1 = await issue('u1', { channel: 'menu', campaign: 'spring' })
      const a2 = await issue('u1')
      const b1 = await issue('u2', { channel: 'livestream' })
      const c1 = await issue('u3')
      for (const device of ['d1', 'd1', 'd2', 'd3']) await view(device)
      const ra1 = await redeem(a1.code, 12000)
      const rb1 = await redeem(b1.code, 30000)
      // The other card: u1 again (one claimer of the merchant, two of its cards), u5, and a viewer of both cards.
      const o1 = await issueOther('u1')
      await issueOther('u5')
      for (const device of ['d1', 'd5']) await view(device, otherToken)
      await share('u1')
      await share('u1')
      await share('u2')
      // 2 May: a reversal and a void of 1 May's, a new claim and a redemption
      clock.advance(DAY)
      await reverse(ra1.id)
      await voidIt(c1.code)
      const c2 = await issue('u3', { channel: 'menu', campaign: 'spring' })
      await redeem(a2.code, 18000)
      await view('d2')
      await share('u1')
      const o2 = await issueOther('u2')
      // 3 May: nothing. 4 May: the reversed coupon redeemed again, u2's redemption reversed, a viewer back
      clock.advance(2 * DAY)
      const ra1again = await redeem(a1.code, 15000)
      await reverse(rb1.id)
      await view('d1')
      await view('d4')
      const ro1 = await redeem(o1.code, 11000)
      await redeem(o2.code, 10000)
      await view('d2', otherToken)
      // 5 May: u3's second coupon redeemed, reversed and voided the same day; the coupon redeemed again reversed
      clock.advance(DAY)
      const rc2 = await redeem(c2.code, 19000)
      await reverse(rc2.id)
      await voidIt(c2.code)
      await reverse(ra1again.id)
      await issue('u4')
      await reverse(ro1.id)
      await share('u3')

      const ranges = [['2030-05-01', '2030-05-05'], ['2030-05-01', '2030-05-01'], ['2030-05-02', '2030-05-04'], ['2030-05-03', '2030-05-03'], ['2030-05-04', '2030-05-05'], ['2030-04-20', '2030-05-02']]
      for (const [from, to] of ranges) {
        const got = expectStatus(await api.get(`/v1/stats/cards/${cardId}?from=${from}&to=${to}`), 200)
        const want = await recount(t.db.database.db, merchantId, cardId, TZ, from, to)
        assert.deepEqual(Object.fromEntries(FIGURES.map((f) => [f, got[f]])), want, `${from}..${to}`)
        const funnel = expectStatus(await api.get(`/v1/stats/funnel?card_id=${cardId}&from=${from}&to=${to}`), 200)
        assert.deepEqual(funnel.steps.map((s: { users: number }) => s.users), [want.viewers, want.claimers, want.redeemers])
      }
      await assertMerchantFiguresEqualRecount(api, t.db.database.db, merchantId, TZ, clock.now(), ranges)
      // Known figures: across both cards, u1 is one claimer and d1 one viewer; u3 (both coupons voided) claims no more,
      // and of the redeemers only u1 (a2) and u2 (the other card) still stand.
      const merchantFunnel = expectStatus(await api.get('/v1/stats/funnel?from=2030-05-01&to=2030-05-05'), 200)
      assert.deepEqual(merchantFunnel.steps.map((s: { users: number }) => s.users), [5, 4, 2])
      const all = expectStatus(await api.get(`/v1/stats/cards/${cardId}?from=2030-05-01&to=2030-05-05`), 200)
      assert.deepEqual([all.shares, all.sharers], [5, 3])
      // Per campaign: what still stands of the range's claims and redemptions.
      assert.deepEqual(all.by_campaign.map((c: Record<string, unknown>) => [c.channel, c.campaign, c.claims, c.redemptions, c.discount_amount]), [
        [null, null, 2, 1, 2000],
        ['livestream', null, 1, 0, 0],
        ['menu', 'spring', 1, 0, 0],
      ])
      await assertRollUpsEqualRecount(t.db.database.db, merchantId, TZ)
      // Counted afresh, the answers stay the same.
      assert.deepEqual(expectStatus(await api.get(`/v1/stats/cards/${cardId}?from=2030-05-01&to=2030-05-05`), 200), all)
      await assertMerchantFiguresEqualRecount(api, t.db.database.db, merchantId, TZ, clock.now(), ranges)
    })
  })

  describe(`merchant-wide roll-ups across a daylight-saving change on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-09T12:00:00Z')
    const t = useTestApp(engine, { clock })
    const TZ = 'America/New_York'

    it('count claims, redemptions, viewers and shares in the merchant’s local days, reversals and voids subtracted', async () => {
      const { apiKey, merchantId } = await t.merchant('Deli', TZ)
      const nyc = merchantApi(t, apiKey)
      const cards = [(await nyc.createCard(cashCard({ stock: 50, get_limit: 10, can_share: true }))).id, (await nyc.createCard(cashCard({ stock: 50, get_limit: 10 }))).id]
      const links = [] as string[]
      for (const id of cards) links.push(expectStatus(await nyc.post(`/v1/cards/${id}/claim-links`, {}), 201).token)
      const at = (instant: string) => clock.set(instant)
      const issue = async (card: number, user: string) => expectStatus(await nyc.post(`/v1/cards/${cards[card]}/issue`, { user_id: user }), 201)
      const redeem = async (code: string) => expectStatus(await nyc.redeem({ code, order_amount: 10000 }), 201)
      const view = async (card: number, device: string) => expectStatus(await t.request('GET', `/v1/claim/${links[card]}`, { headers: { 'kabao-device': device } }), 200)
      const share = async (user: string) => {
        const wallet = expectStatus(await nyc.post('/v1/wallet-tokens', { user_id: user }), 201).token
        expectStatus(await t.request('POST', `/v1/wallet/cards/${cards[0]}/share`, { key: wallet }), 201)
      }
      // New York springs forward on 10 March 2030: that day has 23 hours.
      at('2030-03-10T04:30:00Z') // 23:30 on 9 March, EST
      const n1 = await issue(0, 'n1')
      await issue(1, 'n1')
      await view(0, 'd1')
      await share('n1')
      at('2030-03-10T05:00:00Z') // 00:00 on 10 March, EST
      const n2 = await issue(1, 'n2')
      const r1 = await redeem(n1.code)
      await view(1, 'd1')
      await view(0, 'd2')
      at('2030-03-11T03:59:59Z') // 23:59:59 on 10 March, EDT
      const n3 = await issue(0, 'n3')
      await redeem(n2.code)
      await share('n1')
      await share('n3')
      at('2030-03-11T04:00:00Z') // 00:00 on 11 March, EDT
      await issue(0, 'n1')
      await redeem(n3.code)
      await view(1, 'd3')
      // 12 March: 10 March's first redemption reversed, and n2's other coupon voided on its day of issue.
      at('2030-03-12T15:00:00Z')
      expectStatus(await nyc.post(`/v1/redemptions/${r1.id}/reverse`, {}), 200)
      const n2b = await issue(1, 'n2')
      expectStatus(await nyc.post(`/v1/coupons/${encodeURIComponent(n2b.code)}/void`), 200)

      const ranges = [['2030-03-09', '2030-03-12'], ['2030-03-09', '2030-03-09'], ['2030-03-10', '2030-03-10'], ['2030-03-11', '2030-03-12'], ['2030-03-12', '2030-03-12']]
      const db = t.db.database.db
      await assertMerchantFiguresEqualRecount(nyc, db, merchantId, TZ, clock.now(), ranges)
      const funnel = async (from: string, to: string) => expectStatus(await nyc.get(`/v1/stats/funnel?from=${from}&to=${to}`), 200).steps.map((s: { users: number }) => s.users)
      assert.deepEqual(await funnel('2030-03-09', '2030-03-09'), [1, 1, 0])
      assert.deepEqual(await funnel('2030-03-10', '2030-03-10'), [2, 2, 1])
      assert.deepEqual(await funnel('2030-03-09', '2030-03-12'), [3, 3, 2])
      const overview = expectStatus(await nyc.get('/v1/stats/overview?days=4'), 200)
      assert.deepEqual(overview.daily.map((d: Record<string, unknown>) => [d.date, d.claims, d.redemptions, d.redeemed]), [
        ['2030-03-09', 2, 0, 0],
        ['2030-03-10', 2, 1, 2],
        ['2030-03-11', 1, 1, 0],
        ['2030-03-12', 1, 0, 0],
      ])
      const stats = expectStatus(await nyc.get(`/v1/stats/cards/${cards[0]}?from=2030-03-10&to=2030-03-10`), 200)
      assert.deepEqual([stats.shares, stats.sharers], [2, 2])
      await assertRollUpsEqualRecount(db, merchantId, TZ)
      await assertMerchantFiguresEqualRecount(nyc, db, merchantId, TZ, clock.now(), ranges)
    })
  })

  describe(`card statistics roll-ups when a redemption is not the redeemer's latest day on ${engine}`, await engineOptions(engine), () => {
    // A clock set back (or a merchant moved to another zone) counts a redemption on a day before one
    // the redeemer already has: their later day is relinked to it.
    const clock = new ManualClock('2030-05-31T04:00:00Z')
    const t = useTestApp(engine, { clock })
    const TZ = 'Asia/Shanghai'

    it('relink the later day, and stay exact', async () => {
      const merchant = await t.merchant('Tea House', TZ)
      const api = merchantApi(t, merchant.apiKey)
      const cardId = (await api.createCard(cashCard({ stock: 20, get_limit: 10 }))).id
      const codes: string[] = []
      for (let i = 0; i < 4; i++) codes.push(expectStatus(await api.post(`/v1/cards/${cardId}/issue`, { user_id: 'v1' }), 201).code)
      const redeem = async (code: string) => expectStatus(await api.redeem({ code, order_amount: 10000 }), 201)
      clock.advance(3 * DAY)
      await redeem(codes[0]) // 3 June
      clock.advance(-DAY)
      await redeem(codes[1]) // 2 June, before v1's 3 June
      await redeem(codes[2]) // 2 June again
      clock.advance(-2 * DAY)
      const first = await redeem(codes[3]) // 31 May, before both
      for (const [from, to] of [['2030-05-31', '2030-06-03'], ['2030-06-01', '2030-06-03'], ['2030-06-03', '2030-06-03'], ['2030-06-02', '2030-06-02']]) {
        const got = expectStatus(await api.get(`/v1/stats/cards/${cardId}?from=${from}&to=${to}`), 200)
        const want = await recount(t.db.database.db, merchant.merchantId, cardId, TZ, from, to)
        assert.deepEqual(Object.fromEntries(FIGURES.map((f) => [f, got[f]])), want, `${from}..${to}`)
      }
      await assertRollUpsEqualRecount(t.db.database.db, merchant.merchantId, TZ)
      // The earliest day undone: the later ones are linked as they were.
      expectStatus(await api.post(`/v1/redemptions/${first.id}/reverse`, {}), 200)
      await assertRollUpsEqualRecount(t.db.database.db, merchant.merchantId, TZ)
    })
  })

  describe(`card statistics roll-ups under parallel requests on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let base: string
    let key: string
    let merchantId: string
    const TZ = 'Asia/Shanghai'
    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      base = await t.listen()
      const merchant = await t.merchant('Busy Bakery', TZ)
      merchantId = merchant.merchantId
      key = merchant.apiKey
    })
    after(() => t?.close())

    const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    }

    it('stay exact when many claims, redemptions, reversals and views arrive at once', async () => {
      const card = await send('POST', '/v1/cards', cashCard({ stock: 1000, get_limit: 10 }))
      assert.equal(card.status, 201)
      const cardId = card.body.id
      const link = await send('POST', `/v1/cards/${cardId}/claim-links`, {})
      // 40 claims at once by 8 customers (5 each), over two channel tags.
      const issued = await Promise.all(Array.from({ length: 40 }, (_, i) => send('POST', `/v1/cards/${cardId}/issue`, { user_id: `p${i % 8}`, ...(i % 2 ? { channel: 'menu' } : {}) })))
      assert.deepEqual(issued.map((r) => r.status), Array(40).fill(201))
      // 30 redemptions at once (customers p0..p5), and 24 views by 6 devices at once.
      const owners = issued.map((r, i) => ({ code: r.body.code as string, user: `p${i % 8}` })).filter((o) => Number(o.user.slice(1)) < 6)
      const codes = owners.map((o) => o.code)
      const [redeemed] = await Promise.all([
        Promise.all(codes.map((code) => send('POST', '/v1/redemptions', { code, order_amount: 10000 }))),
        Promise.all(Array.from({ length: 24 }, (_, i) => fetch(`${base}/v1/claim/${link.body.token}`, { headers: { 'kabao-device': `dev-${i % 6}` } }).then((r) => r.text()))),
      ])
      assert.deepEqual(redeemed.map((r) => r.status), Array(30).fill(201))
      // Every redemption of p0 and p1 reversed at once: they are redeemers no more.
      const toReverse = redeemed.filter((_, i) => ['p0', 'p1'].includes(owners[i].user))
      const reversed = await Promise.all(toReverse.map((r) => send('POST', `/v1/redemptions/${r.body.id}/reverse`, {})))
      assert.deepEqual(reversed.map((r) => r.status), Array(toReverse.length).fill(200))

      const stats = await send('GET', `/v1/stats/cards/${cardId}`)
      assert.equal(stats.status, 200)
      const { views, viewers, claims, claimers, redemptions, redeemers, discount_amount, order_amount } = stats.body
      assert.deepEqual(
        { views, viewers, claims, claimers, redemptions, redeemers, discount_amount, order_amount },
        { views: 24, viewers: 6, claims: 40, claimers: 8, redemptions: 20, redeemers: 4, discount_amount: 20 * 2000, order_amount: 20 * 10000 },
      )
      assert.deepEqual(stats.body, { ...stats.body, ...(await recount(t.db.database.db, merchantId, cardId, TZ, stats.body.from, stats.body.to)) })
      const funnel = await send('GET', '/v1/stats/funnel')
      assert.deepEqual(funnel.body.steps.map((s: { users: number }) => s.users), [6, 8, 4])
      assert.deepEqual(funnel.body.steps.map((s: { users: number }) => s.users), await recountFunnel(t.db.database.db, merchantId, TZ, funnel.body.from, funnel.body.to))
      const overview = await send('GET', '/v1/stats/overview?days=1')
      assert.deepEqual([overview.body.today.claims, overview.body.today.redemptions, overview.body.today.redeemed, overview.body.cards[0].redeemed_count], [40, 20, 20, 20])

      // Reversals and redemptions at once, touching the same counter rows: p2's redemptions reversed while
      // p6 and p7 redeem theirs (10 coupons), none waiting on another for ever.
      const p2 = redeemed.filter((_, i) => owners[i].user === 'p2')
      const rest = issued.map((r, i) => ({ code: r.body.code as string, user: `p${i % 8}` })).filter((o) => ['p6', 'p7'].includes(o.user))
      const mixed = await Promise.all([
        ...p2.map((r) => send('POST', `/v1/redemptions/${r.body.id}/reverse`, {})),
        ...rest.map((o) => send('POST', '/v1/redemptions', { code: o.code, order_amount: 10000 })),
      ])
      assert.deepEqual(mixed.map((r) => r.status), [...Array(p2.length).fill(200), ...Array(rest.length).fill(201)])
      const after = await send('GET', '/v1/stats/overview?days=1')
      assert.deepEqual([after.body.today.redemptions, after.body.today.redeemed], [20 - p2.length + rest.length, 20 - p2.length + rest.length])
      const funnelAfter = await send('GET', '/v1/stats/funnel')
      assert.deepEqual(funnelAfter.body.steps.map((s: { users: number }) => s.users), [6, 8, 5])
      assert.deepEqual(funnelAfter.body.steps.map((s: { users: number }) => s.users), await recountFunnel(t.db.database.db, merchantId, TZ, funnelAfter.body.from, funnelAfter.body.to))
      const statsAfter = await send('GET', `/v1/stats/cards/${cardId}`)
      assert.deepEqual(statsAfter.body, { ...statsAfter.body, ...(await recount(t.db.database.db, merchantId, cardId, TZ, statsAfter.body.from, statsAfter.body.to)) })
      await assertRollUpsEqualRecount(t.db.database.db, merchantId, TZ)
    })
  })
}
