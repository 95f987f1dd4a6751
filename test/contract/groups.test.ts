import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type TestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'

async function walletToken(m: MerchantApi, t: TestApp, userId: string): Promise<string> {
  return expectStatus(await t.request('POST', '/v1/wallet-tokens', { key: m.key, body: { user_id: userId, ttl_seconds: 86_400 } }), 201).token
}

for (const engine of ENGINES) {
  describe(`group coupons on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z')
    const t = useTestApp(engine, { clock })

    async function setup(group: { size: number; hours: number } = { size: 3, hours: 24 }, stock = 10) {
      const m = await newMerchant(t)
      const card = await m.createCard(cashCard({ stock, group }))
      const as = async (userId: string) => {
        const token = await walletToken(m, t, userId)
        return {
          open: (cardId = card.id) => t.request('POST', `/v1/wallet/cards/${cardId}/groups`, { key: token }),
          join: (groupId: string) => t.request('POST', `/v1/wallet/groups/${groupId}/join`, { key: token }),
          get: (groupId: string) => t.request('GET', `/v1/wallet/groups/${groupId}`, { key: token }),
          inbox: async () => expectStatus(await t.request('GET', '/v1/wallet/notifications', { key: token }), 200).data,
          coupons: async () => expectStatus(await t.request('GET', '/v1/wallet/coupons', { key: token }), 200).data,
        }
      }
      const stockOf = async () => expectStatus(await m.get(`/v1/cards/${card.id}`), 200)
      return { m, card, as, stockOf }
    }

    it('a card carries its group option, checked with the card rules', async () => {
      const m = await newMerchant(t)
      const card = await m.createCard(cashCard({ group: { size: 3, hours: 24 } }))
      assert.deepEqual(card.group, { size: 3, hours: 24 })
      assert.equal((await m.createCard(cashCard())).group, null)
      expectProblem(await m.post('/v1/cards', cashCard({ group: { size: 1, hours: 24 } })), 422, 'validation_failed')
      expectProblem(await m.post('/v1/cards', cashCard({ group: { size: 3, hours: 0 } })), 422, 'validation_failed')
      const changed = expectStatus(await m.patch(`/v1/cards/${card.id}`, { group: null }), 200)
      assert.equal(changed.group, null)
    })

    it('opens a group holding its stock; the size-th member completes it and every member gets one coupon; members are told', async () => {
      const { m, card, as, stockOf } = await setup()
      const [a, b, c, d] = await Promise.all(['alice-01', 'bob-0002', 'carol-03', 'dave-004'].map(as))
      const opened = expectStatus(await a.open(), 201)
      assert.match(opened.id, /^grp_/)
      assert.deepEqual({ size: opened.size, members: opened.members, state: opened.state, joined: opened.joined, needed: opened.members_needed }, { size: 3, members: 1, state: 'open', joined: true, needed: 2 })
      assert.equal(opened.expires_at, '2030-03-02T10:00:00+08:00')
      assert.equal(opened.url, `http://kabao.test/wallet/groups/${opened.id}?merchant=${encodeURIComponent(m.merchantId)}`)
      assert.equal((await stockOf()).stock_remaining, 7, 'the whole group’s stock is held from its first member')

      const seen = expectStatus(await b.get(opened.id), 200)
      assert.equal(seen.joined, false)
      assert.deepEqual(seen.member_list.map((x: any) => x.user), ['al***01'])

      expectProblem(await a.join(opened.id), 409, 'already_in_group')
      expectProblem(await a.open(), 409, 'already_in_group')
      const second = expectStatus(await b.join(opened.id), 200)
      assert.equal(second.members, 2)
      assert.equal((await b.coupons()).length, 0, 'nothing is issued before the group fills')
      const done = expectStatus(await c.join(opened.id), 200)
      assert.equal(done.state, 'completed')
      assert.equal(done.members, 3)
      assert.match(done.my_coupon_id, /^cpn_/)
      expectProblem(await d.join(opened.id), 409, 'group_closed')

      for (const member of [a, b, c]) {
        const coupons = await member.coupons()
        assert.equal(coupons.length, 1)
        assert.equal(coupons[0].source, 'group')
        const inbox = await member.inbox()
        assert.equal(inbox.filter((n: any) => n.kind === 'group.completed').length, 1)
        assert.equal(inbox.find((n: any) => n.kind === 'group.completed').title, '拼团成功')
      }
      assert.equal((await d.coupons()).length, 0)
      const after = await stockOf()
      assert.equal(after.stock_remaining, 7)
      assert.equal(after.issued_count, 3)
      const [completed] = await m.events('group.completed')
      assert.equal(completed.data.group_id, opened.id)
      assert.equal(completed.data.coupons.length, 3)
      const merchantView = expectStatus(await m.get(`/v1/groups/${opened.id}`), 200)
      assert.deepEqual(merchantView.member_list.map((x: any) => x.user_id), ['alice-01', 'bob-0002', 'carol-03'])
      assert.ok(merchantView.member_list.every((x: any) => x.coupon_id !== null))
    })

    it('a group still short at its deadline fails: nothing issued, stock and allowance given back, members told', async () => {
      const { m, as, stockOf } = await setup({ size: 3, hours: 2 })
      const [a, b] = await Promise.all(['u-fail-a', 'u-fail-b'].map(as))
      const opened = expectStatus(await a.open(), 201)
      expectStatus(await b.join(opened.id), 200)
      assert.equal((await stockOf()).stock_remaining, 7)
      clock.advance(2 * 3_600_000)
      assert.equal(expectStatus(await a.get(opened.id), 200).state, 'failed', 'reads as failed from its deadline on')
      expectProblem(await b.join(opened.id), 409, 'group_closed')
      const ran = await runJobsOnce(t.ctx)
      assert.ok(ran['fail-expired-groups'] >= 1)
      assert.equal((await stockOf()).stock_remaining, 10)
      assert.equal((await stockOf()).issued_count, 0)
      assert.equal((await a.coupons()).length, 0)
      const failed = (await m.events('group.failed')).filter((e) => e.data.group_id === opened.id)
      assert.equal(failed.length, 1)
      assert.equal(failed[0].data.stock_returned, 3)
      assert.equal((await b.inbox()).filter((n: any) => n.kind === 'group.failed').length, 1)
      // Freed: the members may open a new group (their allowance came back).
      expectStatus(await a.open(), 201)
      assert.equal((await runJobsOnce(t.ctx))['fail-expired-groups'], 0)
    })

    it('bad input: unknown ids, another merchant’s card or group, a card without groups, not enough stock; nothing written', async () => {
      const { card, as, stockOf } = await setup({ size: 3, hours: 24 }, 4)
      const other = await setup()
      const a = await as('bad-a')
      expectProblem(await a.open('crd_nope'), 404, 'card_not_found')
      expectProblem(await a.open(other.card.id), 404, 'card_not_found')
      const plain = await (await newMerchant(t)).createCard(cashCard())
      expectProblem(await a.open(plain.id), 404, 'card_not_found')
      expectProblem(await a.join('grp_nope'), 404, 'group_not_found')
      const foreign = expectStatus(await (await other.as('o-1')).open(), 201)
      expectProblem(await a.join(foreign.id), 404, 'group_not_found')
      expectProblem(await a.get(foreign.id), 404, 'group_not_found')
      expectStatus(await a.open(), 201)
      expectProblem(await (await as('bad-b')).open(card.id), 409, 'out_of_stock')
      assert.equal((await stockOf()).stock_remaining, 1)
      const { m } = await setup()
      const noGroups = await m.createCard(cashCard())
      const token = await walletToken(m, t, 'x')
      expectProblem(await t.request('POST', `/v1/wallet/cards/${noGroups.id}/groups`, { key: token }), 409, 'group_not_offered')
      assert.equal((await m.events('group.opened')).length, 0)
    })
  })
}
