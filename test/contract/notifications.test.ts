import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { recordEvent } from '../../src/features/events/events.repository.ts'
import { deliverWebhooksOnce } from '../../src/features/webhooks/webhook-delivery.ts'
import { useReceiver } from '../helpers/webhook-receiver.ts'
import type { NotificationKind } from '../../src/features/notifications/notifications.table.ts'

const START = '2026-03-10T02:00:00Z'

for (const engine of ENGINES) {
  describe(`customer notifications on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })
    const receiver = useReceiver()

    /** What a feature does: tell a customer something inside the transaction of the change. */
    const notify = (m: { merchantId: string }, userId: string, kind: NotificationKind, extra: { dedupeKey?: string; fail?: boolean } = {}) =>
      t.ctx.database.db.transaction().execute(async (tx) => {
        const id = await t.ctx.notifier.notifyCustomer(tx, {
          merchantId: m.merchantId,
          userId,
          kind,
          title: `${kind} title`,
          body: `${kind} body`,
          data: { points: 10 },
          dedupeKey: extra.dedupeKey,
          now: clock.now(),
        })
        if (extra.fail) throw new Error('the change failed after notifying')
        return id
      })
    const walletOf = async (m: MerchantApi, userId: string) => {
      const token = expectStatus(await m.post('/v1/wallet-tokens', { user_id: userId }), 201).token as string
      return (method: string, url: string) => t.request(method, url, { key: token })
    }

    it('lists a customer’s notifications in the wallet, newest first, and marks them read', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const first = await notify(m, 'u1', 'points.changed')
      clock.advance(1000)
      const second = await notify(m, 'u1', 'member.level_changed')
      await notify(m, 'u2', 'points.changed')
      const wallet = await walletOf(m, 'u1')

      const listed = expectStatus(await wallet('GET', '/v1/wallet/notifications'), 200)
      assert.deepEqual(listed.data.map((n: { id: string }) => n.id), [second, first])
      assert.equal(listed.unread_count, 2)
      assert.deepEqual(listed.data[1], {
        id: first,
        kind: 'points.changed',
        title: 'points.changed title',
        body: 'points.changed body',
        data: { points: 10 },
        created_at: '2026-03-10T10:00:00+08:00',
        read_at: null,
      })
      const paged = expectStatus(await wallet('GET', '/v1/wallet/notifications?limit=1'), 200)
      assert.deepEqual(paged.data.map((n: { id: string }) => n.id), [second])
      assert.deepEqual(expectStatus(await wallet('GET', `/v1/wallet/notifications?limit=1&cursor=${paged.next_cursor}`), 200).data.map((n: { id: string }) => n.id), [first])

      clock.advance(60_000)
      const read = expectStatus(await wallet('POST', `/v1/wallet/notifications/${first}/read`), 200)
      assert.equal(read.read_at, '2026-03-10T10:01:01+08:00')
      clock.advance(60_000)
      assert.equal(expectStatus(await wallet('POST', `/v1/wallet/notifications/${first}/read`), 200).read_at, '2026-03-10T10:01:01+08:00', 'read once')
      const unread = expectStatus(await wallet('GET', '/v1/wallet/notifications?unread=true'), 200)
      assert.deepEqual([unread.data.map((n: { id: string }) => n.id), unread.unread_count], [[second], 1])
      assert.deepEqual(expectStatus(await wallet('POST', '/v1/wallet/notifications/read-all'), 200), { marked_read: 1 })
      assert.equal(expectStatus(await wallet('GET', '/v1/wallet/notifications'), 200).unread_count, 0)

      // Someone else's notification does not exist for this customer; merchant keys do not open the wallet.
      const [theirs] = expectStatus(await m.get('/v1/users/u2/notifications'), 200).data
      expectProblem(await wallet('POST', `/v1/wallet/notifications/${theirs.id}/read`), 404, 'notification_not_found')
      assert.equal(expectStatus(await (await walletOf(m, 'u2'))('GET', '/v1/wallet/notifications'), 200).data.length, 1)
      expectProblem(await t.request('GET', '/v1/wallet/notifications', { key: m.key }), 401, 'unauthenticated')
      expectProblem(await t.request('GET', '/v1/wallet/notifications'), 401, 'unauthenticated')
      const other = await newMerchant(t)
      assert.deepEqual(expectStatus(await other.get('/v1/users/u1/notifications'), 200).data, [])
    })

    it('passes every notification on to the merchant’s webhook, and says what must be said once only once', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const endpoint = expectStatus(await m.post('/v1/webhook-endpoints', { url: receiver.url, events: ['notification.created'] }), 201)
      const id = await notify(m, 'u1', 'member.birthday_gift', { dedupeKey: 'gift:1' })
      assert.equal(await notify(m, 'u1', 'member.birthday_gift', { dedupeKey: 'gift:1' }), null)
      await deliverWebhooksOnce(t.ctx)
      const relayed = receiver.received.filter((r) => r.body?.merchant_id === m.merchantId)
      assert.equal(relayed.length, 1)
      assert.equal(relayed[0].body.type, 'notification.created')
      assert.deepEqual(relayed[0].body.data, { notification_id: id, user_id: 'u1', kind: 'member.birthday_gift', title: 'member.birthday_gift title', body: 'member.birthday_gift body', data: { points: 10 } })
      assert.equal(expectStatus(await m.get('/v1/users/u1/notifications'), 200).data.length, 1)
      assert.equal(expectStatus(await m.get(`/v1/webhook-endpoints/${endpoint.id}`), 200).failing_since, null)
    })

    it('announces nothing that was rolled back: no notification, no event, no delivery', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      expectStatus(await m.post('/v1/webhook-endpoints', { url: receiver.url }), 201)
      const before = receiver.received.length
      await assert.rejects(notify(m, 'u1', 'points.changed', { fail: true }), /the change failed/)
      await assert.rejects(
        t.ctx.database.db.transaction().execute(async (tx) => {
          await recordEvent(tx, { merchantId: m.merchantId, type: 'points.changed', data: { delta: 5 }, now: clock.now() })
          throw new Error('rolled back')
        }),
        /rolled back/,
      )
      assert.equal(await deliverWebhooksOnce(t.ctx), 0)
      assert.equal(receiver.received.length, before)
      assert.deepEqual(await m.events(), [])
      assert.deepEqual(expectStatus(await m.get('/v1/users/u1/notifications'), 200).data, [])

      // A type from another feature (member cards) is delivered without any change here.
      await t.ctx.database.db.transaction().execute((tx) => recordEvent(tx, { merchantId: m.merchantId, type: 'member.level_changed', data: { level: 'Gold' }, now: clock.now() }))
      assert.equal(await deliverWebhooksOnce(t.ctx), 1)
      assert.equal(receiver.received.at(-1)?.body.type, 'member.level_changed')
    })
  })
}
