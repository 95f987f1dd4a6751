import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type TestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, ms, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'

const START = '2030-03-01T02:00:00Z' // 10:00 in Shanghai
const HOUR = 3_600_000

/** One merchant with a giftable card, and wallet calls for its customers. */
async function giftShop(t: TestApp, timezone?: string) {
  const m = await newMerchant(t, timezone)
  const card = await m.createCard(cashCard({ can_gift: true, get_limit: 10, stock: 1000 }))
  // Minted at the clock's time of each call (the tests move the clock by days).
  const walletToken = async (userId: string): Promise<string> => expectStatus(await m.post('/v1/wallet-tokens', { user_id: userId, ttl_seconds: 86_400 }), 201).token
  const as = async (userId: string) => {
    const key = await walletToken(userId)
    return {
      get: (url: string) => t.request('GET', url, { key }),
      post: (url: string, body?: unknown) => t.request('POST', url, { key, body }),
    }
  }
  return { m, card, walletToken, as }
}

/** How many rows the gift tables, coupons and events hold: a refused request changes none of them. */
async function rowCounts(t: TestApp) {
  const { db } = t.db.database
  const count = async (table: 'gifts' | 'coupons' | 'events' | 'gift_user_days' | 'notifications') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  return { gifts: await count('gifts'), coupons: await count('coupons'), events: await count('events'), days: await count('gift_user_days'), notifications: await count('notifications') }
}

async function writesNothing(t: TestApp, attempt: () => Promise<unknown>): Promise<void> {
  const before = await rowCounts(t)
  await attempt()
  assert.deepEqual(await rowCounts(t), before)
}

const redeem = (m: MerchantApi, code: string) => m.redeem({ code, order_amount: 12000 })

for (const engine of ENGINES) {
  describe(`gifts on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    it('sends a gift: a one-time link, the coupon gifting and unredeemable until accepted', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const coupon = await m.issue(card.id, 'giver')
      const giver = await as('giver')
      const sent = expectStatus(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      assert.match(sent.gift_id, /^gft_/)
      assert.match(sent.token, /^[A-Za-z0-9_-]{32}$/)
      assert.equal(sent.url, `http://kabao.test/wallet/gift/${sent.token}`)
      assert.equal(ms(sent.expires_at), ms(START) + 24 * HOUR)
      assert.equal(expectStatus(await giver.get(`/v1/wallet/coupons/${coupon.id}`), 200).state, 'gifting')
      expectProblem(await redeem(m, coupon.code), 409, 'coupon_gifting')
      expectProblem(await m.post(`/v1/coupons/${encodeURIComponent(coupon.code)}/void`), 409, 'coupon_gifting')
      // The giver's wallet shows the same link again; the token is stored only hashed and sealed.
      assert.deepEqual(expectStatus(await giver.get(`/v1/wallet/coupons/${coupon.id}/gift`), 200), sent)
      const row = await t.db.database.db.selectFrom('gifts').selectAll().where('id', '=', sent.gift_id).executeTakeFirstOrThrow()
      assert.ok(!JSON.stringify(row).includes(sent.token), 'the plain token is in the database')
      const [event] = await m.events('coupon.gift_sent')
      assert.deepEqual(event.data, { gift_id: sent.gift_id, coupon_id: coupon.id, card_id: card.id, giver_user_id: 'giver', expires_at: sent.expires_at })
      // The page the receiver opens, signed in or not.
      const page = expectStatus(await t.request('GET', `/v1/wallet/gifts/${sent.token}`), 200)
      assert.deepEqual([page.state, page.acceptable, page.giver, page.card.title, page.valid_until], ['pending', true, 'gi***', '满100减20', coupon.valid_until])
    })

    it('accepts a gift: the receiver gets a new code of the same version and validity, the giver’s code is dead', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const coupon = await m.issue(card.id, 'giver')
      const stockBefore = expectStatus(await m.get(`/v1/cards/${card.id}`), 200).stock_remaining
      const sent = expectStatus(await (await as('giver')).post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      clock.set(ms(START) + HOUR)
      const receiver = await as('friend')
      const received = expectStatus(await receiver.post(`/v1/wallet/gifts/${sent.token}/accept`), 201)
      assert.notEqual(received.id, coupon.id)
      assert.notEqual(received.code, coupon.code)
      assert.deepEqual(
        [received.user_id, received.source, received.gifted_by, received.state, received.card_version_id, received.valid_from, received.valid_until],
        ['friend', 'gift', 'giver', 'available', coupon.card_version_id, coupon.valid_from, coupon.valid_until],
      )
      assert.equal(expectStatus(await m.coupon(coupon.code), 200).state, 'gifted')
      expectProblem(await redeem(m, coupon.code), 409, 'coupon_gifted')
      expectProblem(await m.post(`/v1/coupons/${encodeURIComponent(coupon.code)}/void`), 409, 'coupon_gifted')
      // Nothing was issued: the value moved.
      assert.equal(expectStatus(await m.get(`/v1/cards/${card.id}`), 200).stock_remaining, stockBefore)
      expectStatus(await redeem(m, received.code), 201)

      const [gifted] = await m.events('coupon.gifted')
      assert.deepEqual(gifted.data, { gift_id: sent.gift_id, coupon_id: coupon.id, card_id: card.id, giver_user_id: 'giver', receiver_user_id: 'friend', received_coupon_id: received.id })
      const audit = expectStatus(await m.get(`/v1/gifts/${sent.gift_id}`), 200)
      assert.deepEqual(
        [audit.state, audit.giver_user_id, audit.receiver_user_id, audit.coupon_id, audit.received_coupon_id, ms(audit.created_at), ms(audit.closed_at)],
        ['accepted', 'giver', 'friend', coupon.id, received.id, ms(START), ms(START) + HOUR],
      )
      assert.deepEqual(expectStatus(await m.get(`/v1/gifts?coupon_id=${received.id}`), 200).data.map((g: { id: string }) => g.id), [sent.gift_id])
      assert.deepEqual(expectStatus(await m.get('/v1/gifts?user_id=friend'), 200).data.map((g: { id: string }) => g.id), [sent.gift_id])

      // Both sides are told, in the merchant's language (zh-CN by default).
      const inbox = async (userId: string) => expectStatus(await (await as(userId)).get('/v1/wallet/notifications'), 200).data.map((n: { kind: string; title: string }) => [n.kind, n.title])
      assert.deepEqual(await inbox('giver'), [['coupon.gifted', '转赠成功']])
      assert.deepEqual(await inbox('friend'), [['coupon.gift_received', '您收到一份转赠']])
    })

    it('a replayed accept, another receiver after it, the giver on their own gift: refused, nothing written', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const coupon = await m.issue(card.id, 'giver')
      const giver = await as('giver')
      const sent = expectStatus(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      await writesNothing(t, async () => expectProblem(await giver.post(`/v1/wallet/gifts/${sent.token}/accept`), 409, 'gift_not_allowed'))
      const friend = await as('friend')
      expectStatus(await friend.post(`/v1/wallet/gifts/${sent.token}/accept`), 201)
      await writesNothing(t, async () => {
        expectProblem(await friend.post(`/v1/wallet/gifts/${sent.token}/accept`), 409, 'gift_closed')
        expectProblem(await (await as('late')).post(`/v1/wallet/gifts/${sent.token}/accept`), 409, 'gift_closed')
        expectProblem(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift/cancel`), 409, 'gift_closed')
        expectProblem(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift`), 409, 'gift_not_allowed')
      })
      assert.equal(expectStatus(await t.request('GET', `/v1/wallet/gifts/${sent.token}`), 200).acceptable, false)
    })

    it('single hop: a coupon received as a gift cannot be given on', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const coupon = await m.issue(card.id, 'giver')
      const sent = expectStatus(await (await as('giver')).post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      const friend = await as('friend')
      const received = expectStatus(await friend.post(`/v1/wallet/gifts/${sent.token}/accept`), 201)
      await writesNothing(t, async () => {
        const refused = expectProblem(await friend.post(`/v1/wallet/coupons/${received.id}/gift`), 409, 'gift_not_allowed')
        assert.match(refused.detail, /cannot be given on/)
      })
    })

    it('refuses a card without can_gift, a redeemed or expired coupon, and another customer’s coupon', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const plain = await m.createCard(cashCard())
      const notGiftable = await m.issue(plain.id, 'giver')
      const redeemed = await m.issue(card.id, 'giver')
      expectStatus(await redeem(m, redeemed.code), 201)
      const expiring = await m.issue(card.id, 'giver')
      const theirs = await m.issue(card.id, 'someone')
      const giver = await as('giver')
      await writesNothing(t, async () => {
        assert.match(expectProblem(await giver.post(`/v1/wallet/coupons/${notGiftable.id}/gift`), 409, 'gift_not_allowed').detail, /cannot be given as gifts/)
        assert.match(expectProblem(await giver.post(`/v1/wallet/coupons/${redeemed.id}/gift`), 409, 'gift_not_allowed').detail, /redeemed/)
        expectProblem(await giver.post(`/v1/wallet/coupons/${theirs.id}/gift`), 404, 'coupon_not_found')
        expectProblem(await giver.post('/v1/wallet/coupons/cpn_nope/gift'), 404, 'coupon_not_found')
        expectProblem(await giver.post(`/v1/wallet/coupons/${expiring.id}/gift`, { expires_in_seconds: 10 }), 422, 'validation_failed')
        clock.set(ms(expiring.valid_until) + 1000)
        assert.match(expectProblem(await (await as('giver')).post(`/v1/wallet/coupons/${expiring.id}/gift`), 409, 'gift_not_allowed').detail, /expired/)
      })
    })

    it('another merchant’s coupons and tokens are unknown; malformed tokens are not looked up', async () => {
      clock.set(START)
      const shop = await giftShop(t)
      const other = await giftShop(t)
      const coupon = await shop.m.issue(shop.card.id, 'giver')
      const sent = expectStatus(await (await shop.as('giver')).post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      const stranger = await other.as('giver')
      await writesNothing(t, async () => {
        expectProblem(await stranger.post(`/v1/wallet/coupons/${coupon.id}/gift`), 404, 'coupon_not_found')
        expectProblem(await stranger.post(`/v1/wallet/coupons/${coupon.id}/gift/cancel`), 404, 'coupon_not_found')
        expectProblem(await stranger.post(`/v1/wallet/gifts/${sent.token}/accept`), 404, 'gift_not_found')
        expectProblem(await stranger.get(`/v1/wallet/gifts/${sent.token}`), 404, 'gift_not_found')
        expectProblem(await stranger.post(`/v1/wallet/gifts/${'x'.repeat(32)}/accept`), 404, 'gift_not_found')
        expectProblem(await stranger.post('/v1/wallet/gifts/short/accept'), 404, 'gift_not_found')
        expectProblem(await other.m.get(`/v1/gifts/${sent.gift_id}`), 404, 'gift_not_found')
        assert.deepEqual(expectStatus(await other.m.get(`/v1/gifts?coupon_id=${coupon.id}`), 200).data, [])
        // A merchant key is not a wallet sign-in.
        expectProblem(await shop.m.post(`/v1/wallet/gifts/${sent.token}/accept`), 401, 'unauthenticated')
      })
    })

    it('cancels a pending gift: the coupon is available and redeems again, the link is closed', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const coupon = await m.issue(card.id, 'giver')
      const giver = await as('giver')
      expectProblem(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift/cancel`), 404, 'gift_not_found')
      const sent = expectStatus(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      const back = expectStatus(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift/cancel`), 200)
      assert.deepEqual([back.id, back.state, back.code], [coupon.id, 'available', coupon.code])
      expectProblem(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift/cancel`), 409, 'gift_closed')
      expectProblem(await (await as('friend')).post(`/v1/wallet/gifts/${sent.token}/accept`), 409, 'gift_closed')
      expectProblem(await giver.get(`/v1/wallet/coupons/${coupon.id}/gift`), 404, 'gift_not_found')
      const [returned] = await m.events('coupon.gift_returned')
      assert.deepEqual(returned.data, { gift_id: sent.gift_id, coupon_id: coupon.id, card_id: card.id, giver_user_id: 'giver', reason: 'cancelled' })
      assert.equal(expectStatus(await m.get(`/v1/gifts/${sent.gift_id}`), 200).state, 'cancelled')
      expectStatus(await redeem(m, coupon.code), 201)
    })

    it('returns a gift nobody accepted by expires_at to the giver, and tells them (in English when the merchant speaks it)', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      expectStatus(await m.patch('/v1/merchant', { language: 'en' }), 200)
      const coupon = await m.issue(card.id, 'giver')
      const giver = await as('giver')
      const sent = expectStatus(await giver.post(`/v1/wallet/coupons/${coupon.id}/gift`, { expires_in_seconds: 3600 }), 201)
      assert.equal(ms(sent.expires_at), ms(START) + HOUR)
      clock.set(ms(START) + HOUR - 1)
      assert.equal((await runJobsOnce(t.ctx))['return-expired-gifts'], 0)
      clock.set(ms(START) + HOUR)
      // At the instant it expires, it can no longer be accepted, even before the job has run.
      await writesNothing(t, async () => expectProblem(await (await as('friend')).post(`/v1/wallet/gifts/${sent.token}/accept`), 409, 'gift_closed'))
      assert.equal((await runJobsOnce(t.ctx))['return-expired-gifts'], 1)
      assert.equal((await runJobsOnce(t.ctx))['return-expired-gifts'], 0)
      assert.equal(expectStatus(await giver.get(`/v1/wallet/coupons/${coupon.id}`), 200).state, 'available')
      assert.equal(expectStatus(await m.get(`/v1/gifts/${sent.gift_id}`), 200).state, 'returned')
      const [returned] = await m.events('coupon.gift_returned')
      assert.equal(returned.data.reason, 'expired')
      const inbox = expectStatus(await giver.get('/v1/wallet/notifications'), 200).data
      assert.deepEqual(inbox.map((n: { kind: string; title: string; body: string }) => [n.kind, n.title, n.body]), [
        ['coupon.gift_returned', 'Gift returned', 'Nobody accepted your gift “满100减20” in time; the coupon is back in your wallet.'],
      ])
      expectStatus(await redeem(m, coupon.code), 201)
    })

    it('never holds a coupon past its validity: the gift returns when the coupon expires, which then reads expired', async () => {
      clock.set(START)
      const { m, as } = await giftShop(t)
      expectStatus(await m.put('/v1/merchant/policy', { min_validity_days: null }), 200)
      const shortCard = await m.createCard(cashCard({ can_gift: true, validity: { type: 'fixed_range', begin_at: '2030-03-01T00:00:00+08:00', end_at: '2030-03-01T11:59:59+08:00' } }))
      const coupon = await m.issue(shortCard.id, 'giver')
      const sent = expectStatus(await (await as('giver')).post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      assert.equal(ms(sent.expires_at), ms(coupon.valid_until) + 1000)
      clock.set(ms(sent.expires_at))
      const handled = await runJobsOnce(t.ctx)
      assert.deepEqual([handled['return-expired-gifts'], handled['expire-coupons']], [1, 1])
      assert.equal(expectStatus(await m.coupon(coupon.code), 200).state, 'expired')
    })

    it('holds the merchant’s daily gift limit per user, counted in its time zone', async () => {
      clock.set('2030-03-01T15:00:00Z') // 23:00 in Shanghai
      const { m, card, as } = await giftShop(t)
      expectStatus(await m.put('/v1/merchant/policy', { max_gifts_per_user_day: 2 }), 200)
      assert.equal(expectStatus(await m.get('/v1/merchant/policy'), 200).max_gifts_per_user_day, 2)
      const giver = await as('giver')
      const coupons = [await m.issue(card.id, 'giver'), await m.issue(card.id, 'giver'), await m.issue(card.id, 'giver')]
      expectStatus(await giver.post(`/v1/wallet/coupons/${coupons[0].id}/gift`), 201)
      // A cancelled gift still counts: sending and taking back is not a way around the limit.
      expectStatus(await giver.post(`/v1/wallet/coupons/${coupons[1].id}/gift`), 201)
      expectStatus(await giver.post(`/v1/wallet/coupons/${coupons[1].id}/gift/cancel`), 200)
      await writesNothing(t, async () => assert.match(expectProblem(await giver.post(`/v1/wallet/coupons/${coupons[2].id}/gift`), 409, 'gift_not_allowed').detail, /at most 2 gifts a day/))
      // Another customer has their own allowance.
      const other = await m.issue(card.id, 'other')
      expectStatus(await (await as('other')).post(`/v1/wallet/coupons/${other.id}/gift`), 201)
      clock.set('2030-03-01T16:00:00Z') // midnight in Shanghai: a new day
      expectStatus(await giver.post(`/v1/wallet/coupons/${coupons[2].id}/gift`), 201)
      expectProblem(await m.put('/v1/merchant/policy', { max_gifts_per_user_day: -1 }), 422, 'validation_failed')
      expectStatus(await m.put('/v1/merchant/policy', { max_gifts_per_user_day: 0 }), 200)
      expectProblem(await giver.post(`/v1/wallet/coupons/${coupons[1].id}/gift`), 409, 'gift_not_allowed')
    })

    it('asks the risk rules: a wallet account that signed itself up less than a day ago cannot accept; a blocked user cannot send', async () => {
      clock.set(START)
      const { m, card, as } = await giftShop(t)
      const coupon = await m.issue(card.id, 'giver')
      const sent = expectStatus(await (await as('giver')).post(`/v1/wallet/coupons/${coupon.id}/gift`), 201)
      // A customer who signed up in the wallet an hour ago (a user id of the merchant's own is vouched for).
      await t.db.database.db.insertInto('customers').values({ id: 'cus_new', merchant_id: m.merchantId, user_id: 'newcomer', phone: '13800000000', email: null, created_at: ms(START) - HOUR }).execute()
      const before = await rowCounts(t)
      expectProblem(await (await as('newcomer')).post(`/v1/wallet/gifts/${sent.token}/accept`), 403, 'risk_blocked')
      assert.equal((await rowCounts(t)).gifts, before.gifts)
      assert.equal((await rowCounts(t)).coupons, before.coupons)
      const flagged = expectStatus(await m.get('/v1/risk/events?rule=new_account_gift'), 200).data
      assert.deepEqual(flagged.map((e: { activity: string; decision: string }) => [e.activity, e.decision]), [['accept_gift', 'block']])
      clock.set(ms(START) + 23 * HOUR)
      expectStatus(await (await as('newcomer')).post(`/v1/wallet/gifts/${sent.token}/accept`), 201)

      const other = await m.issue(card.id, 'blocked')
      expectStatus(await m.post('/v1/risk/blocks', { type: 'user', value: 'blocked' }), 201)
      await writesNothing(t, async () => expectProblem(await (await as('blocked')).post(`/v1/wallet/coupons/${other.id}/gift`), 403, 'risk_blocked'))
    })
  })
}
