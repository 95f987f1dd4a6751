import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { createMemberCard, join, order, postPoints } from '../helpers/member-api.ts'
import { useReceiver, verifySignature } from '../helpers/webhook-receiver.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { deliverWebhooksOnce } from '../../src/features/webhooks/webhook-delivery.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { notifyExpiringPoints } from '../../src/jobs/notify-expiring-points.job.ts'

const START = '2026-03-01T02:00:00Z'

for (const engine of ENGINES) {
  describe(`member events through webhooks on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })
    const receiver = useReceiver()

    it('delivers member, points, stored-value and reward events to the endpoints subscribed to their families, signed', async () => {
      const m = await newMerchant(t)
      const endpoint = async (path: string, events: string[]) => expectStatus(await m.post('/v1/webhook-endpoints', { url: `${receiver.url}/${path}`, events }), 201)
      const members = await endpoint('members', ['points.*', 'member.*'])
      const money = await endpoint('money', ['stored_value.*', 'reward.*'])

      const memberCard = await createMemberCard(m, { points_expiry: { type: 'days', days: 30, notice_days: 7 } })
      const card = await m.createCard(cashCard({ stock: 10 }))
      const member = await join(m, memberCard.id, 'fan')
      expectStatus(await m.patch(`/v1/members/${member.id}`, { profile: { name: 'Wang' } }), 200)
      expectStatus(await postPoints(t, m.key, member.id, { delta: 300, reason: 'Welcome' }), 201)
      expectStatus(await m.post(`/v1/members/${member.id}/stored-value`, { delta: 5_000, reason: 'Top-up', payment_ref: 'p-1' }), 201)
      await order(m, member.id, { order_ref: 'big', order_amount: 150_000, stored_value_amount: 1_000 })
      const reward = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 200, stock: 5 }), 201)
      expectStatus(await m.post(`/v1/members/${member.id}/exchanges`, { reward_id: reward.id }), 201)
      clock.set('2026-03-25T00:00:00+08:00')
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      await deliverWebhooksOnce(t.ctx)

      const events = await m.events()
      const types = new Set(events.map((e) => e.type))
      for (const type of ['member.joined', 'member.profile_updated', 'member.level_changed', 'points.changed', 'points.expiring', 'stored_value.changed', 'reward.created', 'reward.exchanged']) {
        assert.ok(types.has(type), `${type} was written`)
      }
      const nowSeconds = Math.floor(clock.now() / 1000)
      for (const [subscribed, path, families] of [
        [members, '/hooks/members', ['points', 'member']],
        [money, '/hooks/money', ['stored_value', 'reward']],
      ] as const) {
        const received = receiver.received.filter((r) => r.path === path)
        const expected = events.filter((e) => (families as readonly string[]).includes(e.type.split('.')[0]))
        assert.deepEqual(received.map((r) => r.body.id).sort(), expected.map((e) => e.id).sort(), `${path} gets exactly its families`)
        for (const request of received) {
          assert.deepEqual(request.body, expected.find((e) => e.id === request.body.id), 'the body is the event as GET /v1/events lists it')
          assert.equal(request.headers['kabao-event-id'], request.body.id)
          assert.ok(verifySignature(request, subscribed.secret, nowSeconds), `${request.body.type} is signed with the endpoint’s secret`)
          assert.ok(!verifySignature(request, (subscribed === members ? money : members).secret, nowSeconds), 'and with no other')
        }
      }
      // The notifications the member got were written too, but neither endpoint asked for them.
      assert.ok(types.has('notification.created'))
      assert.ok(!receiver.received.some((r) => r.body?.type === 'notification.created'))
      const expiring = receiver.received.find((r) => r.body?.type === 'points.expiring')
      assert.deepEqual(expiring?.body.data, { member_id: member.id, member_card_id: memberCard.id, user_id: 'fan', points: 1_600, expires_at: '2026-03-31T00:00:00+08:00' })
      for (const e of [members, money]) assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${e.id}`), 200).failing_since, null)
    })
  })
}
