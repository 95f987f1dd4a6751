import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectStatus } from '../helpers/merchant-api.ts'
import { wechatApp, wxCashCard } from '../helpers/wechat-app.ts'
import { createMemberCard, join } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { backfillGifts } from '../../src/db/migrations/0030-wallet-removal-view-pushes-gifts.ts'

// Asia/Shanghai (the merchants' zone): noon on 1 and 2 March.
const DAY1 = '2026-03-01T04:00:00Z'
const DAY2 = '2026-03-02T04:00:00Z'

for (const engine of ENGINES) {
  describe(`WeChat datacube on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(DAY2)
    const t = useTestApp(engine, { clock })

    it('answers each day and card from the native statistics, which it agrees with', async () => {
      const { wx, m } = await wechatApp(t)
      clock.set(DAY1)
      const a = (await wx('/card/create', wxCashCard)).card_id as string
      const b = m.createCard(cashCard())
      const nativeCard = (await b).id as string
      const issue = async (card: string, openid: string) => {
        const res = await wx('/kabao/card/issue', { card_id: card, openid })
        assert.equal(res.errcode, 0, JSON.stringify(res))
        return res.code as string
      }
      const a1 = await issue(a, 'u1')
      const a2 = await issue(a, 'u2')
      const b1 = await issue(nativeCard, 'u1')
      assert.equal((await wx('/card/code/consume', { code: a1 })).errcode, 0)
      const club = await createMemberCard(m)
      await join(m, club.id, 'u1')
      await join(m, club.id, 'u2')

      clock.set(DAY2)
      const a3 = await issue(a, 'u3')
      assert.equal((await wx('/card/code/consume', { code: a3 })).errcode, 0)
      assert.equal((await wx('/card/code/consume', { code: b1 })).errcode, 0)
      assert.equal((await wx('/card/code/unavailable', { code: a2 })).errcode, 0)
      await join(m, club.id, 'u3')

      const range = { begin_date: '2026-03-01', end_date: '2026-03-02' }
      const perCard = await wx('/datacube/getcardcardinfo', range)
      assert.equal(perCard.errcode, 0, JSON.stringify(perCard))
      assert.equal(perCard.errmsg, 'ok')
      const native = async (card: string, from = '2026-03-01', to = '2026-03-02') => expectStatus(await m.get(`/v1/stats/cards/${card}?from=${from}&to=${to}`), 200)
      for (const card of [a, nativeCard]) {
        const stats = await native(card)
        for (const day of stats.by_day) {
          const row = perCard.list.find((r: any) => r.card_id === card && r.ref_date === day.date)
          assert.ok(row, `a row for ${card} on ${day.date}`)
          const oneDay = await native(card, day.date, day.date)
          assert.deepEqual(
            [row.view_cnt, row.view_user, row.receive_cnt, row.receive_user, row.verify_cnt, row.verify_user, row.expire_cnt, row.card_type],
            [day.views, day.viewers, day.claims, oneDay.claimers, day.redemptions, oneDay.redeemers, day.expired, 1],
          )
        }
      }
      // Per the script: A got 2 on day 1 and 1 on day 2 (less the one voided that day), B 1 on day 1.
      const figures = (card: string) => perCard.list.filter((r: any) => r.card_id === card).map((r: any) => [r.ref_date, r.receive_cnt, r.verify_cnt])
      assert.deepEqual(figures(a), [['2026-03-01', 2, 1], ['2026-03-02', 0, 1]])
      assert.deepEqual(figures(nativeCard), [['2026-03-01', 1, 0], ['2026-03-02', 0, 1]])

      const biz = await wx('/datacube/getcardbizuininfo', range)
      assert.equal(biz.errcode, 0)
      assert.deepEqual(biz.list.map((r: any) => r.ref_date), ['2026-03-01', '2026-03-02'])
      for (const row of biz.list) {
        const cards = perCard.list.filter((r: any) => r.ref_date === row.ref_date)
        for (const field of ['view_cnt', 'receive_cnt', 'verify_cnt', 'given_cnt', 'expire_cnt']) assert.equal(row[field], cards.reduce((sum: number, r: any) => sum + r[field], 0), field)
        const funnel = expectStatus(await m.get(`/v1/stats/funnel?from=${row.ref_date}&to=${row.ref_date}`), 200)
        const users = Object.fromEntries(funnel.steps.map((s: any) => [s.name, s.users]))
        assert.deepEqual([row.view_user, row.receive_user, row.verify_user], [users.view, users.claim, users.redeem])
      }
      // Claimers are those still holding a coupon not voided (u2's was voided): u1, then u3; redeemers u1, then u3 and u1.
      assert.deepEqual(biz.list.map((r: any) => [r.receive_user, r.verify_user]), [[1, 1], [1, 2]])

      // One card: every day, zeros included; cond_source splits facade-made from the rest.
      const onlyA = await wx('/datacube/getcardcardinfo', { ...range, card_id: a })
      assert.deepEqual(onlyA.list.map((r: any) => r.card_id), [a, a])
      assert.deepEqual([...new Set((await wx('/datacube/getcardcardinfo', { ...range, cond_source: 1 })).list.map((r: any) => r.card_id))], [a])
      assert.deepEqual([...new Set((await wx('/datacube/getcardcardinfo', { ...range, cond_source: '0' })).list.map((r: any) => r.card_id))], [nativeCard])

      const members = await wx('/datacube/getcardmembercardinfo', range)
      const metrics = expectStatus(await m.get(`/v1/member-cards/${club.id}/metrics?from=2026-03-01&to=2026-03-02`), 200)
      assert.deepEqual(members.list.map((r: any) => [r.ref_date, r.receive_cnt, r.total_user]), metrics.by_day.map((d: any) => [d.date, d.new_members, d.members]))
      assert.deepEqual(members.list.map((r: any) => [r.receive_cnt, r.active_user, r.total_user]), [[2, 2, 2], [1, 1, 3]])
    })

    it('counts accepted gifts per card and day in the native statistics, given_cnt agreeing; the migration counts earlier gifts alike', async () => {
      const { wx, m } = await wechatApp(t)
      clock.set(DAY1)
      const card = (await wx('/card/create', wxCashCard)).card_id as string
      const other = (await wx('/card/create', wxCashCard)).card_id as string
      const tokenOf = async (userId: string) => expectStatus(await m.post('/v1/wallet-tokens', { user_id: userId, ttl_seconds: 86_400 }), 201).token as string
      const wallet = async (userId: string, path: string, status = 201) => expectStatus(await t.request('POST', path, { key: await tokenOf(userId) }), status)
      const couponOf = async (cardId: string, openid: string) => {
        const issued = await wx('/kabao/card/issue', { card_id: cardId, openid })
        assert.equal(issued.errcode, 0, JSON.stringify(issued))
        return expectStatus(await m.coupon(issued.code), 200).id as string
      }
      const give = async (cardId: string, giver: string, receiver: string | null) => {
        const sent = await wallet(giver, `/v1/wallet/coupons/${await couponOf(cardId, giver)}/gift`)
        if (receiver) await wallet(receiver, `/v1/wallet/gifts/${sent.token}/accept`)
        return sent
      }
      await give(card, 'g1', 'r1')
      await give(card, 'g2', 'r2')
      await give(other, 'g3', null)
      clock.set(DAY2)
      await give(card, 'g4', 'r4')
      const cancelled = await couponOf(card, 'g5')
      await wallet('g5', `/v1/wallet/coupons/${cancelled}/gift`)
      await wallet('g5', `/v1/wallet/coupons/${cancelled}/gift/cancel`, 200)

      const stats = expectStatus(await m.get(`/v1/stats/cards/${card}?from=2026-03-01&to=2026-03-02`), 200)
      assert.equal(stats.gifts, 3)
      assert.deepEqual(stats.by_day.map((d: any) => [d.date, d.gifts]), [['2026-03-01', 2], ['2026-03-02', 1]])
      assert.equal(expectStatus(await m.get(`/v1/stats/cards/${other}?from=2026-03-01&to=2026-03-02`), 200).gifts, 0, 'a pending gift is not given yet')

      const range = { begin_date: '2026-03-01', end_date: '2026-03-02' }
      const perCard = await wx('/datacube/getcardcardinfo', range)
      const given = (id: string) => perCard.list.filter((r: any) => r.card_id === id).map((r: any) => [r.ref_date, r.given_cnt, r.given_user])
      assert.deepEqual(given(card), [['2026-03-01', 2, 2], ['2026-03-02', 1, 1]])
      assert.deepEqual((await wx('/datacube/getcardcardinfo', { ...range, card_id: card })).list.map((r: any) => r.given_cnt), [2, 1])
      const biz = await wx('/datacube/getcardbizuininfo', range)
      assert.deepEqual(biz.list.map((r: any) => [r.ref_date, r.given_cnt, r.given_user]), [['2026-03-01', 2, 2], ['2026-03-02', 1, 1]])

      // The migration's backfill finds the same counts from the gifts themselves.
      const db = t.db.database.db
      const { merchant_id: merchantId } = await db.selectFrom('cards').select('merchant_id').where('id', '=', card).executeTakeFirstOrThrow()
      const counted = async () => (await db.selectFrom('card_activity_days').select(['card_id', 'day', 'channel', 'gifted']).where('merchant_id', '=', merchantId).where('gifted', '!=', 0).orderBy('card_id').orderBy('day').execute()).map((r) => [r.card_id, r.day, r.channel, Number(r.gifted)])
      const live = await counted()
      assert.deepEqual(live, [[card, '2026-03-01', 'api', 2], [card, '2026-03-02', 'api', 1]])
      await db.updateTable('card_activity_days').set({ gifted: 0 }).where('merchant_id', '=', merchantId).execute()
      await backfillGifts(db, merchantId, 'Asia/Shanghai')
      assert.deepEqual(await counted(), live)
    })

    it('refuses bad dates and ranges (61500, 61501), stops at today, and knows no other merchant’s card', async () => {
      const { wx } = await wechatApp(t)
      const other = await wechatApp(t)
      const card = (await other.wx('/card/create', wxCashCard)).card_id
      for (const path of ['/datacube/getcardbizuininfo', '/datacube/getcardcardinfo', '/datacube/getcardmembercardinfo']) {
        assert.equal((await wx(path, { begin_date: '2026/03/01', end_date: '2026-03-02' })).errcode, 61500)
        assert.equal((await wx(path, { begin_date: '2026-02-30', end_date: '2026-03-02' })).errcode, 61500)
        assert.equal((await wx(path, { end_date: '2026-03-02' })).errcode, 61500)
        assert.equal((await wx(path, { begin_date: '2026-03-02', end_date: '2026-03-01' })).errcode, 61501)
        assert.equal((await wx(path, { begin_date: '2025-12-29', end_date: '2026-03-01' })).errcode, 61501, '62 days is the most')
        assert.equal((await wx(path, { begin_date: '2025-12-30', end_date: '2026-03-01' })).errcode, 0)
        assert.deepEqual((await wx(path, { begin_date: '2026-03-03', end_date: '2026-03-04' })).list, [])
      }
      const biz = await wx('/datacube/getcardbizuininfo', { begin_date: '2026-03-01', end_date: '2026-03-09' })
      assert.deepEqual(biz.list.map((r: any) => r.ref_date), ['2026-03-01', '2026-03-02'], 'days after today give no rows')
      assert.ok(biz.list.every((r: any) => r.receive_cnt === 0 && r.verify_user === 0))
      assert.equal((await wx('/datacube/getcardcardinfo', { begin_date: '2026-03-01', end_date: '2026-03-02', card_id: card })).errcode, 40073)
      assert.equal((await wx('/datacube/getcardcardinfo', { begin_date: '2026-03-01', end_date: '2026-03-02', cond_source: 7 })).errcode, 40097)
    })
  })
}
