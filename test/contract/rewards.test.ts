import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { assertLedgersConsistent, createMemberCard, getMember, join, ledger, postPoints } from '../helpers/member-api.ts'

for (const engine of ENGINES) {
  describe(`rewards (积分商城) on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)

    /** A member card, a coupon card and a member holding `points`. */
    async function world(m: MerchantApi, points: number, couponCard: Record<string, unknown> = {}) {
      const memberCard = await createMemberCard(m)
      const card = await m.createCard(cashCard({ stock: 100, get_limit: 10, ...couponCard }))
      const member = await join(m, memberCard.id, 'collector')
      if (points > 0) expectStatus(await postPoints(t, m.key, member.id, { delta: points, reason: 'Seed' }), 201)
      return { memberCard, card, member }
    }

    const exchange = (m: MerchantApi, memberId: string, rewardId: string) => m.post(`/v1/members/${memberId}/exchanges`, { reward_id: rewardId })
    const reward = async (m: MerchantApi, id: string) => expectStatus(await m.get(`/v1/rewards/${id}`), 200)

    it('creates coupon and goods rewards, refusing unknown cards and missing fields', async () => {
      const m = await newMerchant(t)
      const { memberCard, card } = await world(m, 0)
      const created = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 200, stock: 3 }), 201)
      assert.match(created.id, /^rwd_/)
      assert.deepEqual(
        [created.member_card_id, created.type, created.card_id, created.title, created.points_cost, created.stock, created.status],
        [memberCard.id, 'coupon', card.id, '满100减20', 200, 3, 'active'],
      )
      assert.deepEqual(await reward(m, created.id), created)
      const goods = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'goods', title: 'Tote bag', points_cost: 500, stock: 10, per_member_limit: 1 }), 201)
      assert.deepEqual([goods.type, goods.card_id, goods.per_member_limit], ['goods', null, 1])
      assert.deepEqual(expectStatus(await m.get(`/v1/rewards?member_card_id=${memberCard.id}`), 200).data.map((r: { id: string }) => r.id), [created.id, goods.id])

      expectProblem(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: 'crd_unknown', points_cost: 1, stock: 1 }), 404, 'card_not_found')
      expectProblem(await m.post('/v1/rewards', { member_card_id: 'mcd_unknown', card_id: card.id, points_cost: 1, stock: 1 }), 404, 'member_card_not_found')
      assertInvalidFields(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'goods', points_cost: 1, stock: 1 }), ['title'])
      assertInvalidFields(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'coupon', points_cost: 1, stock: 1 }), ['card_id'])
      assertInvalidFields(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 0, stock: -1 }), ['points_cost', 'stock'])
      assert.equal((await m.events('reward.created')).length, 2)
    })

    it('exchanges points for a coupon in one go: points burned, stock taken, coupon issued', async () => {
      const m = await newMerchant(t)
      const { memberCard, card, member } = await world(m, 500)
      const created = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 200, stock: 3 }), 201)

      const first = expectStatus(await exchange(m, member.id, created.id), 201)
      assert.equal(first.points_balance, 300)
      assert.deepEqual([first.coupon.card_id, first.coupon.user_id, first.coupon.state, first.coupon.source], [card.id, 'collector', 'available', 'points_exchange'])
      assert.match(first.coupon.code, /^[0-9A-HJKMNP-TV-Z]{15}$/)
      assert.equal(expectStatus(await m.coupon(first.coupon.code), 200).id, first.coupon.id)
      assert.equal(expectStatus(await exchange(m, member.id, created.id), 201).points_balance, 100)

      // 100 points left: refused, and nothing moves.
      expectProblem(await exchange(m, member.id, created.id), 409, 'insufficient_points')
      assert.equal((await reward(m, created.id)).stock_remaining, 1)
      assert.equal(expectStatus(await m.get(`/v1/cards/${card.id}`), 200).issued_count, 2)
      assert.equal((await getMember(m, member.id)).points_balance, 100)

      const rich = await join(m, memberCard.id, 'rich')
      expectStatus(await postPoints(t, m.key, rich.id, { delta: 1000, reason: 'Seed' }), 201)
      expectStatus(await exchange(m, rich.id, created.id), 201)
      expectProblem(await exchange(m, rich.id, created.id), 409, 'out_of_stock')
      assert.equal((await getMember(m, rich.id)).points_balance, 800)
      const after = await reward(m, created.id)
      assert.deepEqual([after.stock_remaining, after.exchanged_count], [0, 3])

      const exchanged = await m.events('reward.exchanged')
      assert.deepEqual(exchanged.map((e) => [e.data.member_id, e.data.points_cost, e.data.stock_remaining]), [[member.id, 200, 2], [member.id, 200, 1], [rich.id, 200, 0]])
      assert.deepEqual((await ledger(m, member.id)).filter((e) => e.type === 'exchange').map((e) => e.delta), [-200, -200])
      const listed = expectStatus(await m.get(`/v1/members/${member.id}/exchanges`), 200).data
      assert.deepEqual(listed.map((x: { coupon_id: string }) => x.coupon_id), [exchanged[1].data.coupon_id, exchanged[0].data.coupon_id])
      await assertLedgersConsistent(t.db.database.db, member.id)
    })

    it('does neither when the coupon cannot be issued: points and reward stock stay', async () => {
      const m = await newMerchant(t)
      const { memberCard, card, member } = await world(m, 500, { stock: 0 })
      const created = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 100, stock: 5 }), 201)
      expectProblem(await exchange(m, member.id, created.id), 409, 'out_of_stock')
      expectStatus(await m.post(`/v1/cards/${card.id}/pause`), 200)
      expectStatus(await m.post(`/v1/cards/${card.id}/stock`, { delta: 5 }), 200)
      expectProblem(await exchange(m, member.id, created.id), 409, 'card_not_active')
      assert.equal((await getMember(m, member.id)).points_balance, 500)
      assert.equal((await reward(m, created.id)).stock_remaining, 5)
      assert.deepEqual(await m.events('reward.exchanged'), [])
      assert.equal((await ledger(m, member.id)).length, 1)
    })

    it('keeps to the per-member limit (not the card’s own get_limit), the reward’s status and its member card', async () => {
      const m = await newMerchant(t)
      const { memberCard, card, member } = await world(m, 1000, { get_limit: 1 })
      const limited = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 10, stock: 10, per_member_limit: 2 }), 201)
      expectStatus(await exchange(m, member.id, limited.id), 201)
      expectStatus(await exchange(m, member.id, limited.id), 201)
      expectProblem(await exchange(m, member.id, limited.id), 409, 'exchange_limit_reached')
      assert.equal((await getMember(m, member.id)).points_balance, 980)

      const paused = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 10, stock: 10 }), 201)
      assert.equal(expectStatus(await m.post(`/v1/rewards/${paused.id}/pause`), 200).status, 'paused')
      expectProblem(await exchange(m, member.id, paused.id), 409, 'reward_not_active')
      expectStatus(await m.post(`/v1/rewards/${paused.id}/activate`), 200)
      expectStatus(await exchange(m, member.id, paused.id), 201)
      assert.equal(expectStatus(await m.get('/v1/users/collector/coupons'), 200).data.length, 3, 'exchanges are limited by the reward, not by the card’s get_limit')
      expectProblem(await m.post(`/v1/cards/${card.id}/issue`, { user_id: 'collector' }), 409, 'get_limit_reached')

      const otherCard = await createMemberCard(m, { title: 'Other club' })
      const foreign = expectStatus(await m.post('/v1/rewards', { member_card_id: otherCard.id, card_id: card.id, points_cost: 10, stock: 10 }), 201)
      expectProblem(await exchange(m, member.id, foreign.id), 404, 'reward_not_found')
      expectProblem(await exchange(m, member.id, 'rwd_unknown'), 404, 'reward_not_found')
      const stranger = await newMerchant(t)
      expectProblem(await exchange(stranger, member.id, limited.id), 404, 'member_not_found')
      expectProblem(await stranger.get(`/v1/rewards/${limited.id}`), 404, 'reward_not_found')
    })

    it('hands goods over once against their pick-up code', async () => {
      const m = await newMerchant(t)
      const { memberCard, member } = await world(m, 1000)
      const goods = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'goods', title: 'Tote bag', points_cost: 300, stock: 5 }), 201)
      const exchanged = expectStatus(await exchange(m, member.id, goods.id), 201)
      assert.equal(exchanged.coupon, null)
      assert.match(exchanged.pickup_code, /^[0-9A-HJKMNP-TV-Z]{15}$/)
      assert.equal(exchanged.points_balance, 700)
      const spaced = exchanged.pickup_code.toLowerCase().match(/.{1,4}/g).join('-')
      const picked = expectStatus(await m.post('/v1/reward-exchanges/pick-up', { pickup_code: spaced }), 200)
      assert.equal(picked.id, exchanged.id)
      assert.notEqual(picked.picked_up_at, null)
      expectProblem(await m.post('/v1/reward-exchanges/pick-up', { pickup_code: exchanged.pickup_code }), 409, 'already_picked_up')
      expectProblem(await m.post('/v1/reward-exchanges/pick-up', { pickup_code: 'ABCDEFGHJKMNPQ' }), 404, 'pickup_code_not_found')
      const stranger = await newMerchant(t)
      expectProblem(await stranger.post('/v1/reward-exchanges/pick-up', { pickup_code: exchanged.pickup_code }), 404, 'pickup_code_not_found')
    })

    it('lets a customer see the catalogue and exchange in the wallet', async () => {
      const m = await newMerchant(t)
      const { memberCard, card, member } = await world(m, 250)
      const cheap = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 200, stock: 5 }), 201)
      const dear = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'goods', title: 'Cake', points_cost: 900, stock: 5 }), 201)
      const token = expectStatus(await m.post('/v1/wallet-tokens', { user_id: 'collector' }), 201).token
      const catalogue = expectStatus(await t.request('GET', `/v1/wallet/members/${member.id}/rewards`, { key: token }), 200).data
      assert.deepEqual(catalogue.map((r: { id: string; affordable: boolean }) => [r.id, r.affordable]), [[cheap.id, true], [dear.id, false]])
      const bought = expectStatus(await t.request('POST', `/v1/wallet/members/${member.id}/exchanges`, { key: token, body: { reward_id: cheap.id } }), 201)
      assert.equal(bought.points_balance, 50)
      const coupons = expectStatus(await t.request('GET', '/v1/wallet/coupons', { key: token }), 200).data
      assert.deepEqual(coupons.map((c: { id: string }) => c.id), [bought.coupon.id])
      expectProblem(await t.request('POST', `/v1/wallet/members/${member.id}/exchanges`, { key: token, body: { reward_id: dear.id } }), 409, 'insufficient_points')
      const other = expectStatus(await m.post('/v1/wallet-tokens', { user_id: 'someone-else' }), 201).token
      expectProblem(await t.request('POST', `/v1/wallet/members/${member.id}/exchanges`, { key: other, body: { reward_id: cheap.id } }), 404, 'member_not_found')
      assert.equal((await getMember(m, member.id)).points_balance, 50)
    })
  })
}
