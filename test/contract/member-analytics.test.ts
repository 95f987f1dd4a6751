import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { createMemberCard, join, order } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const DAY = 86_400_000

/** Parses the API's RFC 4180 CSV (no quoted fields in these lists) into rows of strings. */
function csvRows(text: string): string[][] {
  assert.ok(text.endsWith('\r\n'), 'rows end with CRLF')
  return text.slice(0, -2).split('\r\n').map((line) => line.split(','))
}

for (const engine of ENGINES) {
  describe(`member analytics on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let api: MerchantApi
    let other: MerchantApi
    let mc: any
    const members: Record<string, any> = {}
    let ref = 0
    const buy = (who: string, amount: number) => order(api, members[who].id, { order_ref: `o-${++ref}`, order_amount: amount })
    const segments = async () => expectStatus(await api.get(`/v1/member-cards/${mc.id}/segments`), 200)
    const countOf = (body: any) => Object.fromEntries(body.segments.filter((s: any) => s.members > 0).map((s: any) => [s.segment, s.members]))

    before(async () => {
      clock = new ManualClock('2030-01-10T02:00:00Z') // 10:00 in Shanghai
      t = await startTestApp(engine, { clock })
      api = await newMerchant(t)
      other = await newMerchant(t)
      mc = await createMemberCard(api, { profile_fields: { gender: 'optional' } })
      members.a = await join(api, mc.id, 'u-a', { profile: { gender: 'female', birthday: '1990-05-01' } })
      members.b = await join(api, mc.id, 'u-b', { profile: { gender: 'male', birthday: '2005-01-01' } })
      for (const who of ['c', 'd', 'e']) members[who] = await join(api, mc.id, `u-${who}`)
      // 10 January: c buys three times (¥900 in all), d once (¥600); then 60 days pass.
      for (let i = 0; i < 3; i++) await buy('c', 30_000)
      await buy('d', 60_000)
      clock.advance(60 * DAY) // 11 March
      for (let i = 0; i < 3; i++) await buy('a', 20_000)
      await buy('b', 80_000)
    })
    after(() => t.close())

    it('counts members per segment against the default thresholds, and the CSV says the same', async () => {
      const body = await segments()
      assert.deepEqual(body.thresholds, { window_days: 365, recency_days: 30, frequency: 3, monetary: 50_000 })
      assert.equal(body.thresholds_are_default, true)
      assert.equal(body.members, 5)
      assert.deepEqual(countOf(body), { high_value: 1, potential: 1, at_risk: 1, win_back: 1, no_orders: 1 })
      const highValue = body.segments.find((s: any) => s.segment === 'high_value')
      assert.deepEqual([highValue.name, highValue.recency, highValue.frequency, highValue.monetary, highValue.share], ['重要价值客户', 'high', 'high', 'high', 0.2])
      assert.equal(body.segments.length, 9)

      const csv = await api.get(`/v1/member-cards/${mc.id}/segments?format=csv`)
      assert.equal(csv.status, 200)
      assert.match(String(csv.headers['content-type']), /^text\/csv/)
      const rows = csvRows(csv.text)
      assert.deepEqual(rows[0], ['segment', 'name', 'recency', 'frequency', 'monetary', 'members', 'share'])
      assert.deepEqual(
        rows.slice(1).map((r) => [r[0], Number(r[5]), r[6] === '' ? null : Number(r[6])]),
        body.segments.map((s: any) => [s.segment, s.members, s.share]),
      )
    })

    it('lists the members of a segment, of one card or of all, as JSON and CSV', async () => {
      const list = async (query: string) => expectStatus(await api.get(`/v1/members?${query}`), 200)
      assert.deepEqual((await list('segment=at_risk')).data.map((m: any) => m.user_id), ['u-c'])
      assert.deepEqual((await list(`segment=high_value&member_card_id=${mc.id}`)).data.map((m: any) => m.user_id), ['u-a'])
      assert.deepEqual((await list('segment=no_orders')).data.map((m: any) => m.user_id), ['u-e'])
      assert.deepEqual((await list('segment=loyal')).data, [])
      // Paged like every list.
      const first = await list('segment=no_orders&limit=1')
      assert.equal(first.next_cursor, null)
      const all = await list('limit=2')
      assert.equal(all.data.length, 2)
      assert.ok(all.next_cursor)
      assertInvalidFields(await api.get('/v1/members?segment=vip'), ['segment'])
      const csv = await api.get('/v1/members?segment=win_back&format=csv')
      assert.equal(csv.status, 200)
      const rows = csvRows(csv.text)
      assert.deepEqual(rows[0].slice(0, 4), ['id', 'member_card_id', 'user_id', 'member_number'])
      assert.deepEqual(rows.slice(1).map((r) => r[2]), ['u-d'])
      // Another merchant sees none of it.
      expectProblem(await other.get(`/v1/member-cards/${mc.id}/segments`), 404, 'member_card_not_found')
      expectProblem(await other.get(`/v1/members?segment=at_risk&member_card_id=${mc.id}`), 404, 'member_card_not_found')
      assert.deepEqual(expectStatus(await other.get('/v1/members?segment=at_risk'), 200).data, [])
    })

    it('moves members when the merchant changes the thresholds; bad thresholds change nothing', async () => {
      assertInvalidFields(await api.put(`/v1/member-cards/${mc.id}/segment-thresholds`, { window_days: 20, recency_days: 30 }), ['recency_days'])
      assertInvalidFields(await api.put(`/v1/member-cards/${mc.id}/segment-thresholds`, { frequency: 0 }), ['frequency'])
      assert.equal(expectStatus(await api.get(`/v1/member-cards/${mc.id}/segment-thresholds`), 200).is_default, true)
      expectProblem(await other.put(`/v1/member-cards/${mc.id}/segment-thresholds`, { monetary: 1 }), 404, 'member_card_not_found')

      const changed = expectStatus(await api.put(`/v1/member-cards/${mc.id}/segment-thresholds`, { monetary: 100_000 }), 200)
      assert.deepEqual(changed, { member_card_id: mc.id, window_days: 365, recency_days: 30, frequency: 3, monetary: 100_000, is_default: false })
      assert.deepEqual(countOf(await segments()), { loyal: 1, promising: 1, needs_attention: 1, hibernating: 1, no_orders: 1 })
      assert.deepEqual(expectStatus(await api.get(`/v1/member-cards/${mc.id}/segment-thresholds`), 200), changed)
    })

    it('bulk issues a card to the members of a segment', async () => {
      const card = await api.createCard(cashCard())
      const report = expectStatus(await api.post(`/v1/cards/${card.id}/bulk-issue`, { segment: { member_card_id: mc.id, segment: 'loyal' } }), 200)
      assert.equal(report.total_rows, 1)
      assert.equal(report.issued, 1)
      for (const [user, held] of [['u-a', 1], ['u-b', 0], ['u-c', 0]] as const) {
        const coupons = expectStatus(await api.get(`/v1/users/${user}/coupons`), 200).data.filter((c: any) => c.card_id === card.id)
        assert.equal(coupons.length, held, user)
      }
      assertInvalidFields(await api.post(`/v1/cards/${card.id}/bulk-issue`, { segment: { member_card_id: mc.id, segment: 'vip' } }), ['segment.segment'])
      assertInvalidFields(await api.post(`/v1/cards/${card.id}/bulk-issue`, { user_ids: ['x'], segment: { member_card_id: mc.id, segment: 'loyal' } }), ['segment'])
      assertInvalidFields(await api.post(`/v1/cards/${card.id}/bulk-issue`, {}), ['user_ids'])
      expectProblem(await api.post(`/v1/cards/${card.id}/bulk-issue`, { segment: { member_card_id: 'mcd_nope', segment: 'loyal' } }), 404, 'member_card_not_found')
      expectProblem(await other.post(`/v1/cards/${card.id}/bulk-issue`, { segment: { member_card_id: mc.id, segment: 'loyal' } }), 404, 'member_card_not_found')
    })

    it('answers member growth, active share, points exchange rate and member against other spend', async () => {
      const card = await api.createCard(cashCard({ title: 'Reward', stock: 10 }))
      const reward = expectStatus(await api.post('/v1/rewards', { member_card_id: mc.id, card_id: card.id, points_cost: 100, stock: 5 }), 201)
      expectStatus(await api.post(`/v1/members/${members.a.id}/exchanges`, { reward_id: reward.id }), 201)
      // A customer who is no member redeems a coupon: their order counts as others' spend.
      const coupon = await api.issue(card.id, 'walk-in')
      expectStatus(await api.redeem({ code: coupon.code, order_amount: 20_000 }), 201)
      // A sixth member joins today without buying.
      await join(api, mc.id, 'u-f')

      const today = expectStatus(await api.get(`/v1/member-cards/${mc.id}/metrics?from=2030-03-11&to=2030-03-11`), 200)
      assert.equal(today.members, 6)
      assert.equal(today.new_members, 1)
      assert.equal(today.member_growth_rate, 0.2)
      assert.equal(today.active_members, 2)
      assert.equal(today.active_share, 0.3333)
      assert.equal(today.points_earned, 1400) // ¥600 + ¥800 at a point per yuan
      assert.equal(today.points_exchanged, 100)
      assert.equal(today.points_exchange_rate, 0.0714)
      assert.deepEqual(today.member_spend, { orders: 4, amount: 140_000, average_order: 35_000 })
      assert.deepEqual(today.other_spend, { orders: 1, amount: 20_000, average_order: 20_000 })
      assert.deepEqual(today.by_day, [{ date: '2030-03-11', new_members: 1, members: 6 }])

      const quarter = expectStatus(await api.get(`/v1/member-cards/${mc.id}/metrics?from=2030-01-09&to=2030-03-11`), 200)
      assert.equal(quarter.new_members, 6)
      assert.equal(quarter.member_growth_rate, null)
      assert.equal(quarter.active_members, 4)
      assert.deepEqual(quarter.member_spend, { orders: 8, amount: 290_000, average_order: 36_250 })
      assert.deepEqual(quarter.by_day.slice(0, 2), [{ date: '2030-01-09', new_members: 0, members: 0 }, { date: '2030-01-10', new_members: 5, members: 5 }])
      assert.equal(quarter.by_day.length, 62)
      const csv = csvRows((await api.get(`/v1/member-cards/${mc.id}/metrics?from=2030-01-09&to=2030-03-11&format=csv`)).text)
      assert.deepEqual(csv[0], ['date', 'new_members', 'members'])
      assert.deepEqual(csv.slice(1).map((r) => ({ date: r[0], new_members: Number(r[1]), members: Number(r[2]) })), quarter.by_day)
      assertInvalidFields(await api.get(`/v1/member-cards/${mc.id}/metrics?from=2030-03-12&to=2030-03-11`), ['from'])
      expectProblem(await other.get(`/v1/member-cards/${mc.id}/metrics`), 404, 'member_card_not_found')
    })

    it('splits redeemers by gender and age band where members gave them with consent', async () => {
      const card = await api.createCard(cashCard({ title: 'Profiles' }))
      for (const user of ['u-a', 'u-b', 'walk-in-2']) {
        const coupon = await api.issue(card.id, user)
        expectStatus(await api.redeem({ code: coupon.code, order_amount: 20_000 }), 201)
      }
      const undone = await api.issue(card.id, 'u-c')
      const redemption = expectStatus(await api.redeem({ code: undone.code, order_amount: 20_000 }), 201)
      expectStatus(await api.post(`/v1/redemptions/${redemption.id}/reverse`), 200)

      const body = expectStatus(await api.get(`/v1/stats/redeemers?card_id=${card.id}`), 200)
      assert.equal(body.redeemers, 3)
      const of = (list: any[], key: string) => Object.fromEntries(list.filter((r) => r.redeemers > 0).map((r) => [r[key], r.redeemers]))
      assert.deepEqual(of(body.by_gender, 'gender'), { female: 1, male: 1, unknown: 1 })
      // 11 March 2030: born 1 May 1990 is 39, born 1 January 2005 is 25.
      assert.deepEqual(of(body.by_age_band, 'age_band'), { '35_44': 1, '25_34': 1, unknown: 1 })
      const csv = csvRows((await api.get(`/v1/stats/redeemers?card_id=${card.id}&list=by_age_band&format=csv`)).text)
      assert.deepEqual(csv[0], ['age_band', 'redeemers', 'share'])
      assert.deepEqual(csv.slice(1).map((r) => [r[0], Number(r[1])]), body.by_age_band.map((r: any) => [r.age_band, r.redeemers]))
      assertInvalidFields(await api.post(`/v1/member-cards/${mc.id}/members`, { user_id: 'u-g', profile: { gender: 'x' } }), ['profile.gender'])
      expectProblem(await other.get(`/v1/stats/redeemers?card_id=${card.id}`), 404, 'card_not_found')
    })
  })
}
