import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, merchantApi, type MerchantApi } from '../helpers/merchant-api.ts'
import { useReceiver } from '../helpers/webhook-receiver.ts'
import { deliverWebhooksOnce, webhookSettings } from '../../src/features/webhooks/webhook-delivery.ts'

// A holder removing a coupon from the wallet (DELETE /v1/wallet/coupons/{id}): irreversible, refused for
// what is not an unused coupon of theirs, the coupon unusable afterwards. The races (parallel removals, a
// removal against a redemption) are in wallet-removal-concurrency.test.ts.
for (const engine of ENGINES) {
  describe(`removing a coupon from the wallet on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)
    const receiver = useReceiver()
    let m: MerchantApi
    let merchantId: string

    before(async () => {
      const created = await t.merchant('Bakery')
      merchantId = created.merchantId
      m = merchantApi(t, created.apiKey)
    })

    const walletToken = async (userId: string, api = m) => expectStatus(await api.post('/v1/wallet-tokens', { user_id: userId, ttl_seconds: 3600 }), 201).token as string
    const remove = (token: string, couponId: string) => t.request('DELETE', `/v1/wallet/coupons/${couponId}`, { key: token })
    const stored = (couponId: string) => t.db.database.db.selectFrom('coupons').select(['state', 'voided_by', 'voided_at']).where('id', '=', couponId).executeTakeFirstOrThrow()
    const voidEvents = async (couponId: string) => (await m.events('coupon.voided')).filter((e) => e.data.coupon_id === couponId)

    it('removes an unused coupon irreversibly: voided by the holder, out of the wallet list, no longer redeemable, one event, counted as a void', async () => {
      const hook = expectStatus(await m.post('/v1/webhook-endpoints', { url: `${receiver.url}/voids`, events: ['coupon.voided'] }), 201)
      const card = await m.createCard(cashCard({ get_limit: 5 }))
      const kept = await m.issue(card.id, 'holder')
      const coupon = await m.issue(card.id, 'holder')
      const token = await walletToken('holder')

      const removed = expectStatus(await remove(token, coupon.id), 200)
      assert.deepEqual([removed.id, removed.state, removed.voided_by], [coupon.id, 'voided', 'holder'])
      assert.equal(removed.code, coupon.code, 'the owner still sees what was removed')
      const row = await stored(coupon.id)
      assert.deepEqual([row.state, row.voided_by], ['voided', 'holder'])

      // Gone from the wallet's list, in every state; the other coupon stays.
      const ids = async (query: string) => expectStatus(await t.request('GET', `/v1/wallet/coupons${query}`, { key: token }), 200).data.map((c: any) => c.id)
      assert.deepEqual(await ids(''), [kept.id])
      assert.deepEqual(await ids('?state=voided'), [])
      assert.deepEqual(await ids('?state=available'), [kept.id])

      // Unusable: the till refuses it, the merchant sees who voided it.
      expectProblem(await m.redeem({ code: coupon.code }), 409, 'voided')
      assert.equal(expectStatus(await m.coupon(coupon.code), 200).voided_by, 'holder')

      // Again: the same answer, nothing more written.
      const again = expectStatus(await remove(token, coupon.id), 200)
      assert.equal(again.voided_at, removed.voided_at)
      const events = await voidEvents(coupon.id)
      assert.equal(events.length, 1)
      assert.deepEqual(events[0].data, { coupon_id: coupon.id, card_id: card.id, user_id: 'holder', reason: null, by: 'holder' })

      // The merchant's webhook gets it as any void, saying who.
      await deliverWebhooksOnce(t.ctx, webhookSettings({ retrySchedule: [1], timeoutMs: 2000 }))
      const delivered = receiver.received.filter((r) => r.body?.data?.coupon_id === coupon.id)
      assert.deepEqual(delivered.map((r) => [r.body.type, r.body.data.by]), [['coupon.voided', 'holder']])
      assert.ok(hook.id)

      // The card's statistics treat it as any void: one claim less.
      const stats = expectStatus(await m.get(`/v1/stats/cards/${card.id}`), 200)
      assert.equal(stats.claims, 1)
      const [activity] = await t.db.database.db.selectFrom('card_activity_days').select(['issued', 'voided', 'claims_kept']).where('merchant_id', '=', merchantId).where('card_id', '=', card.id).execute()
      assert.deepEqual([Number(activity.issued), Number(activity.voided), Number(activity.claims_kept)], [2, 1, 1])
    })

    it('removes a coupon not yet valid, and a merchant’s void says `by: "merchant"`', async () => {
      const later = await m.createCard(cashCard({ validity: { type: 'fixed_term', days: 5, start_after_days: 2 } }))
      const coupon = await m.issue(later.id, 'patient')
      expectStatus(await remove(await walletToken('patient'), coupon.id), 200)
      assert.equal((await stored(coupon.id)).voided_by, 'holder')

      const card = await m.createCard(cashCard())
      const voided = await m.issue(card.id, 'voided-by-shop')
      expectStatus(await m.post(`/v1/coupons/${voided.code}/void`, { reason: 'fraud' }), 200)
      assert.equal((await voidEvents(voided.id))[0].data.by, 'merchant')
      assert.equal(expectStatus(await m.coupon(voided.code), 200).voided_by, 'merchant')
    })

    it('refuses used, expired, gifting, given, merchant-voided coupons with their codes, and anyone else’s as not found, changing nothing', async () => {
      const card = await m.createCard(cashCard({ get_limit: 10, can_gift: true }))
      const token = await walletToken('refused')
      const redeemed = await m.issue(card.id, 'refused')
      expectStatus(await m.redeem({ code: redeemed.code, order_amount: 20000 }), 201)
      const gifting = await m.issue(card.id, 'refused')
      expectStatus(await t.request('POST', `/v1/wallet/coupons/${gifting.id}/gift`, { key: token }), 201)
      const given = await m.issue(card.id, 'refused')
      const gift = expectStatus(await t.request('POST', `/v1/wallet/coupons/${given.id}/gift`, { key: token }), 201)
      expectStatus(await t.request('POST', `/v1/wallet/gifts/${gift.token}/accept`, { key: await walletToken('friend') }), 201)
      const voided = await m.issue(card.id, 'refused')
      expectStatus(await m.post(`/v1/coupons/${voided.code}/void`, {}), 200)
      const others = await m.issue(card.id, 'someone-else')
      const other = merchantApi(t, (await t.merchant('Elsewhere')).apiKey)
      const foreignCard = await other.createCard(cashCard())
      const foreign = await other.issue(foreignCard.id, 'refused')

      const before = await m.events('coupon.voided')
      expectProblem(await remove(token, redeemed.id), 409, 'already_redeemed')
      expectProblem(await remove(token, gifting.id), 409, 'coupon_gifting')
      expectProblem(await remove(token, given.id), 409, 'coupon_gifted')
      expectProblem(await remove(token, voided.id), 409, 'voided')
      expectProblem(await remove(token, others.id), 404, 'coupon_not_found')
      expectProblem(await remove(token, foreign.id), 404, 'coupon_not_found')
      expectProblem(await remove(token, 'cpn_00000000000000000000000000'), 404, 'coupon_not_found')
      assert.deepEqual(await m.events('coupon.voided'), before)
      assert.deepEqual(
        await Promise.all([redeemed, gifting, given, others].map(async (c) => (await stored(c.id)).state)),
        ['redeemed', 'gifting', 'gifted', 'available'],
      )
    })

    it('refuses an expired coupon', async () => {
      const card = await m.createCard(cashCard({ validity: { type: 'fixed_term', days: 3 } }))
      const coupon = await m.issue(card.id, 'late')
      await t.db.database.db.updateTable('coupons').set({ valid_until: Date.now() - 60_000 }).where('id', '=', coupon.id).execute()
      expectProblem(await remove(await walletToken('late'), coupon.id), 409, 'expired')
      assert.equal((await stored(coupon.id)).state, 'available', 'read as expired, nothing written')
    })
  })
}
