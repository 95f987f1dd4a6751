import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { memberCardBody } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { claimThroughLink } from '../../src/features/claim-links/claim-links.service.ts'
import { joinMember, signIn } from '../../src/features/members/members.service.ts'
import { adjustPoints } from '../../src/features/points/points.service.ts'
import { reverseRedemption } from '../../src/features/redemptions/redemptions.service.ts'
import { exchangeReward, pickUpExchange } from '../../src/features/rewards/rewards.service.ts'
import { changeStoredValue } from '../../src/features/stored-value/stored-value.service.ts'
import { changeStock } from '../../src/features/cards/cards.service.ts'
import { rotateWalletSecret } from '../../src/features/customers/wallet-secrets.ts'
import { createStaff } from '../../src/features/staff/staff.service.ts'
import { apiKeyOnce, insertApiKey } from '../../src/features/merchants/merchants.service.ts'
import { createEndpoint, rotateEndpointSecret } from '../../src/features/webhooks/webhooks.service.ts'

/**
 * A process that dies after committing but before storing the response leaves its Idempotency-Key
 * "running". A retry after the lease takes over, and must find what the first run did rather than act
 * twice or report its own success as a failure.
 */
for (const engine of ENGINES) {
  describe(`retry after a crash between commit and stored response, on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let key: string
    let merchantId: string
    const clock = new ManualClock('2030-05-01T04:00:00Z')

    before(async () => {
      t = await startTestApp(engine, { clock })
      ;({ apiKey: key, merchantId } = await t.merchant())
      await t.request('PUT', '/v1/merchant/policy', { key, body: { allow_no_threshold: true } })
    })
    after(() => t.close())

    /**
     * Puts the key back into the state a killed process leaves: running, no response, lease about to end.
     * A customer's key (`userId`) is kept apart by user, as the server stores it.
     */
    async function loseResponse(idempotencyKey: string, userId?: string): Promise<void> {
      const updated = await t.db.database.db
        .updateTable('idempotency_keys')
        .set({ state: 'running', status_code: null, response_body: null, locked_until: clock.now() + 1000 })
        .where('merchant_id', '=', merchantId)
        .where('key', '=', userId === undefined ? `k:${idempotencyKey}` : `c:${userId}:${idempotencyKey}`)
        .executeTakeFirst()
      assert.equal(Number(updated.numUpdatedRows), 1)
    }

    /**
     * Sends a keyed request, loses its answer as a process killed after its commit would, lets the lease run
     * out and sends it again; the retry must be answered as the first run was, and is replayed from then on.
     */
    async function crashAndRetry(method: string, url: string, options: { key: string; body?: unknown; idempotencyKey: string; userId?: string; retryAfterMs?: number }) {
      const request = { key: options.key, body: options.body, headers: { 'idempotency-key': options.idempotencyKey } }
      const first = await t.request(method, url, request)
      assert.ok(first.status < 300, first.text)
      await loseResponse(options.idempotencyKey, options.userId)
      clock.advance(options.retryAfterMs ?? 2000)
      const retried = await t.request(method, url, request)
      assert.equal(retried.status, first.status, retried.text)
      assert.equal(retried.headers['idempotent-replayed'], undefined)
      assert.deepEqual(retried.body, first.body)
      assert.equal((await t.request(method, url, request)).text, retried.text, 'and replayed from then on')
      return { first, retried, again: (idempotencyKey: string) => t.request(method, url, { ...request, headers: { 'idempotency-key': idempotencyKey } }) }
    }

    async function newMember(userId: string, overrides: Record<string, unknown> = {}): Promise<string> {
      const memberCard = await t.request('POST', '/v1/member-cards', { key, body: memberCardBody(overrides) })
      assert.equal(memberCard.status, 201, memberCard.text)
      const member = await t.request('POST', `/v1/member-cards/${memberCard.body.id}/members`, { key, body: { user_id: userId } })
      assert.equal(member.status, 201, member.text)
      return member.body.id
    }

    async function walletToken(userId: string): Promise<string> {
      const res = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: userId } })
      assert.equal(res.status, 201, res.text)
      return res.body.token
    }

    const db = () => t.db.database.db

    it('a redemption retried after its lease ends is answered with the redemption it made', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ least_cost: null, reduce_cost: 500 }) })
      const coupon = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u1' } })
      const body = { code: coupon.body.code }
      const headers = { 'idempotency-key': 'till-1-order-9' }
      const first = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(first.status, 201)
      await loseResponse('till-1-order-9')

      const tooSoon = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(tooSoon.status, 409)
      assert.equal(tooSoon.body.code, 'request_in_progress')

      clock.advance(2000)
      const retried = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.body.id, first.body.id)
      const rows = await t.db.database.db.selectFrom('redemptions').select('id').where('merchant_id', '=', merchantId).where('coupon_id', '=', coupon.body.id).execute()
      assert.equal(rows.length, 1)

      const replay = await t.request('POST', '/v1/redemptions', { key, body, headers })
      assert.equal(replay.text, retried.text)
      const otherKey = await t.request('POST', '/v1/redemptions', { key, body, headers: { 'idempotency-key': 'till-1-order-10' } })
      assert.equal(otherKey.body.code, 'already_redeemed')
    })

    it('an issue retried after its lease ends returns the same coupon and issues nothing more', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ get_limit: 5, stock: 10 }) })
      const headers = { 'idempotency-key': 'welcome-u2' }
      const first = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u2' }, headers })
      assert.equal(first.status, 201)
      await loseResponse('welcome-u2')
      clock.advance(2000)

      const retried = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u2' }, headers })
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.body.code, first.body.code)
      const after = await t.request('GET', `/v1/cards/${card.body.id}`, { key })
      assert.equal(after.body.issued_count, 1)
      assert.equal(after.body.stock_remaining, 9)
    })

    it('a points burn retried after its lease ends is answered with the entry it made and burns nothing more', async () => {
      const memberCard = await t.request('POST', '/v1/member-cards', { key, body: memberCardBody() })
      const member = await t.request('POST', `/v1/member-cards/${memberCard.body.id}/members`, { key, body: { user_id: 'u4' } })
      const path = `/v1/members/${member.body.id}/points`
      assert.equal((await t.request('POST', path, { key, body: { delta: 1000, reason: 'Welcome' } })).status, 201)
      const body = { delta: -300, reason: 'Manual burn' }
      const headers = { 'idempotency-key': 'burn-u4-1' }
      const first = await t.request('POST', path, { key, body, headers })
      assert.equal(first.status, 201)
      await loseResponse('burn-u4-1')
      clock.advance(2000)

      const retried = await t.request('POST', path, { key, body, headers })
      assert.equal(retried.status, 201, retried.text)
      assert.equal(retried.text, first.text)
      const balance = (await t.request('GET', `/v1/members/${member.body.id}`, { key })).body.points_balance
      assert.equal(balance, 700)
      const entries = await t.db.database.db.selectFrom('points_entries').select('delta').where('member_id', '=', member.body.id).orderBy('seq').execute()
      assert.deepEqual(entries.map((e) => Number(e.delta)), [1000, -300])
      assert.equal((await t.request('POST', path, { key, body, headers })).text, first.text, 'and replayed from then on')

      // The same burn under another key is another burn.
      const again = await t.request('POST', path, { key, body, headers: { 'idempotency-key': 'burn-u4-2' } })
      assert.equal(again.status, 201)
      assert.equal(again.body.points_balance, 400)
    })

    it('a member’s redemption retried after its lease ends is answered with what the member earned', async () => {
      const memberId = await newMember('u14')
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ least_cost: null, reduce_cost: 500 }) })
      const coupon = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u14' } })
      const body = { code: coupon.body.code, order_amount: 12_000, member_id: memberId }
      const { first } = await crashAndRetry('POST', '/v1/redemptions', { key, body, idempotencyKey: 'till-2-order-1' })
      assert.equal(first.status, 201)
      assert.equal(first.body.member.points_earned, 115, 'on the ¥115 paid')
      assert.equal(first.body.member.points_balance, 115)
      const entries = await db().selectFrom('points_entries').select('delta').where('member_id', '=', memberId).execute()
      assert.deepEqual(entries.map((e) => Number(e.delta)), [115])
    })

    it('a stored-value payment retried after its lease ends is answered with the entry it made and charges nothing more', async () => {
      const memberId = await newMember('u5')
      const path = `/v1/members/${memberId}/stored-value`
      assert.equal((await t.request('POST', path, { key, body: { delta: 7000, reason: 'Top-up', payment_ref: 'wx-u5-1' } })).status, 201)
      const { first, again } = await crashAndRetry('POST', path, { key, body: { delta: -3000, reason: 'Lunch' }, idempotencyKey: 'pay-u5-1' })
      assert.equal(first.status, 201)
      assert.equal(first.body.stored_value_balance, 4000)
      const entries = await db().selectFrom('stored_value_entries').select('delta').where('member_id', '=', memberId).orderBy('seq').execute()
      assert.deepEqual(entries.map((e) => Number(e.delta)), [7000, -3000])
      assert.equal((await t.request('GET', `/v1/members/${memberId}`, { key })).body.stored_value_balance, 4000)
      // The same payment under another key is another payment.
      assert.equal((await again('pay-u5-2')).body.stored_value_balance, 1000)
    })

    it('top-ups and a stored-value refund retried after their lease ends are answered as the first time', async () => {
      const memberId = await newMember('u6')
      const path = `/v1/members/${memberId}/stored-value`
      // With the payment's reference the first run answered 201: so does its retry (a repeat under another key is the 200).
      const referenced = await crashAndRetry('POST', path, { key, body: { delta: 5000, reason: 'Top-up', payment_ref: 'wx-u6-1' }, idempotencyKey: 'top-u6-1' })
      assert.equal(referenced.first.status, 201)
      assert.equal((await referenced.again('top-u6-1b')).status, 200)
      const unreferenced = await crashAndRetry('POST', path, { key, body: { delta: 2000, reason: 'Cash top-up' }, idempotencyKey: 'top-u6-2' })
      assert.equal(unreferenced.first.body.stored_value_balance, 7000)
      const refund = await crashAndRetry('POST', `${path}/refunds`, { key, body: { amount: 1000, reason: 'Moving away' }, idempotencyKey: 'refund-u6-1' })
      assert.equal(refund.first.status, 201)
      assert.deepEqual([refund.first.body.amount, refund.first.body.fee, refund.first.body.payout, refund.first.body.stored_value_balance], [1000, 50, 950, 6000])
      const entries = await db().selectFrom('stored_value_entries').select('delta').where('member_id', '=', memberId).orderBy('seq').execute()
      assert.deepEqual(entries.map((e) => Number(e.delta)), [5000, 2000, -1000])
    })

    it('an exchange retried after its lease ends is answered with the exchange it made and burns points and stock once', async () => {
      const memberId = await newMember('u7')
      assert.equal((await t.request('POST', `/v1/members/${memberId}/points`, { key, body: { delta: 1000, reason: 'Welcome' } })).status, 201)
      const memberCardId = (await t.request('GET', `/v1/members/${memberId}`, { key })).body.member_card_id
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ stock: 10 }) })
      const reward = await t.request('POST', '/v1/rewards', { key, body: { member_card_id: memberCardId, card_id: card.body.id, points_cost: 300, stock: 5 } })
      assert.equal(reward.status, 201, reward.text)
      const { first, again } = await crashAndRetry('POST', `/v1/members/${memberId}/exchanges`, { key, body: { reward_id: reward.body.id }, idempotencyKey: 'exchange-u7-1' })
      assert.equal(first.status, 201)
      assert.equal(first.body.points_balance, 700)
      assert.equal((await t.request('GET', `/v1/members/${memberId}`, { key })).body.points_balance, 700)
      const after = (await t.request('GET', `/v1/rewards/${reward.body.id}`, { key })).body
      assert.deepEqual([after.stock_remaining, after.exchanged_count], [4, 1])
      assert.equal((await t.request('GET', `/v1/cards/${card.body.id}`, { key })).body.issued_count, 1)
      assert.equal((await again('exchange-u7-2')).body.points_balance, 400)
    })

    it('goods picked up, retried after the lease ends, are answered with the pick-up rather than already_picked_up', async () => {
      const memberId = await newMember('u8')
      assert.equal((await t.request('POST', `/v1/members/${memberId}/points`, { key, body: { delta: 1000, reason: 'Welcome' } })).status, 201)
      const memberCardId = (await t.request('GET', `/v1/members/${memberId}`, { key })).body.member_card_id
      const goods = await t.request('POST', '/v1/rewards', { key, body: { member_card_id: memberCardId, type: 'goods', title: 'Tote bag', points_cost: 300, stock: 5 } })
      const exchanged = await t.request('POST', `/v1/members/${memberId}/exchanges`, { key, body: { reward_id: goods.body.id } })
      assert.equal(exchanged.status, 201, exchanged.text)
      const body = { pickup_code: exchanged.body.pickup_code }
      const { first, again } = await crashAndRetry('POST', '/v1/reward-exchanges/pick-up', { key, body, idempotencyKey: 'pickup-u8-1' })
      assert.equal(first.body.id, exchanged.body.id)
      assert.equal((await again('pickup-u8-2')).body.code, 'already_picked_up')
    })

    it('a claim through a link retried after its lease ends returns the same coupon and counts one claim', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ get_limit: 3, stock: 10 }) })
      const link = await t.request('POST', `/v1/cards/${card.body.id}/claim-links`, { key, body: { max_claims: 5 } })
      assert.equal(link.status, 201, link.text)
      const { first, again } = await crashAndRetry('POST', `/v1/claim/${link.body.token}`, { key: await walletToken('u9'), idempotencyKey: 'claim-u9-1', userId: 'u9' })
      assert.equal(first.status, 201)
      assert.equal((await t.request('GET', `/v1/claim-links/${link.body.id}`, { key })).body.claimed_count, 1)
      assert.equal((await t.request('GET', `/v1/cards/${card.body.id}`, { key })).body.issued_count, 1)
      const coupons = await db().selectFrom('coupons').select('id').where('merchant_id', '=', merchantId).where('card_id', '=', card.body.id).execute()
      assert.deepEqual(coupons.map((c) => c.id), [first.body.id])
      // Another claim by the same customer is another coupon (up to the card's limit).
      assert.notEqual((await again('claim-u9-2')).body.id, first.body.id)
    })

    it('a daily sign-in retried after its lease ends is answered with its points, not already_signed_in', async () => {
      const day = 24 * 60 * 60 * 1000
      const memberId = await newMember('u10', { points_rules: { sign_in: 5 } })
      // Retried after midnight (in the merchant's zone), it is still the first day's sign-in, and leaves the new day's to come.
      const { first, again } = await crashAndRetry('POST', `/v1/members/${memberId}/sign-ins`, { key, idempotencyKey: 'sign-in-u10-1', retryAfterMs: 13 * 60 * 60 * 1000 })
      assert.equal(first.status, 201)
      assert.equal(first.body.points_balance, 5)
      assert.equal((await again('sign-in-u10-2')).body.points_balance, 10)
      // In the wallet too, as the member signs in there.
      clock.advance(day)
      const wallet = await crashAndRetry('POST', `/v1/wallet/members/${memberId}/sign-in`, { key: await walletToken('u10'), idempotencyKey: 'sign-in-u10-3', userId: 'u10' })
      assert.equal(wallet.first.body.points_balance, 15)
      assert.equal((await wallet.again('sign-in-u10-4')).body.code, 'already_signed_in')
      const entries = await db().selectFrom('points_entries').select('delta').where('member_id', '=', memberId).execute()
      assert.deepEqual(entries.map((e) => Number(e.delta)), [5, 5, 5])
    })

    it('a reversal retried after its lease ends is answered with the reversal, not already_reversed', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ least_cost: null, reduce_cost: 500 }) })
      const coupon = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u11' } })
      const redemption = await t.request('POST', '/v1/redemptions', { key, body: { code: coupon.body.code } })
      assert.equal(redemption.status, 201, redemption.text)
      const { first, again } = await crashAndRetry('POST', `/v1/redemptions/${redemption.body.id}/reverse`, { key, body: { reason: 'Wrong coupon' }, idempotencyKey: 'reverse-u11-1' })
      assert.equal(first.status, 200)
      assert.equal(first.body.coupon.state, 'available')
      assert.equal((await again('reverse-u11-2')).body.code, 'already_reversed')
      const reversed = await db().selectFrom('events').select('id').where('merchant_id', '=', merchantId).where('type', '=', 'coupon.reversed').execute()
      assert.equal(reversed.length, 1)
    })

    it('a join retried after its lease ends is answered with the membership, not already_member', async () => {
      const memberCard = await t.request('POST', '/v1/member-cards', { key, body: memberCardBody() })
      const path = `/v1/member-cards/${memberCard.body.id}/members`
      const { first, again } = await crashAndRetry('POST', path, { key, body: { user_id: 'u12' }, idempotencyKey: 'join-u12-1' })
      assert.equal(first.status, 201)
      assert.equal((await again('join-u12-2')).body.code, 'already_member')
      const wallet = await crashAndRetry('POST', `/v1/wallet/member-cards/${memberCard.body.id}/join`, { key: await walletToken('u13'), body: {}, idempotencyKey: 'join-u13-1', userId: 'u13' })
      assert.equal(wallet.first.status, 201)
      assert.equal((await t.request('GET', `/v1/member-cards/${memberCard.body.id}`, { key })).body.member_count, 2)
    })

    it('a creation retried after its lease ends is answered with what the first run made, and nothing is made twice', async () => {
      const card = (await t.request('POST', '/v1/cards', { key, body: cashCard() })).body
      const memberCard = (await t.request('POST', '/v1/member-cards', { key, body: memberCardBody() })).body
      const creations: [string, Record<string, unknown>, 'cards' | 'stores' | 'rewards' | 'member_cards' | 'claim_links' | 'payment_rules' | 'webhook_endpoints' | 'staff'][] = [
        ['/v1/cards', cashCard(), 'cards'],
        ['/v1/stores', { name: 'Xuhui' }, 'stores'],
        ['/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 100, stock: 5 }, 'rewards'],
        ['/v1/member-cards', memberCardBody(), 'member_cards'],
        [`/v1/cards/${card.id}/claim-links`, { max_claims: 10 }, 'claim_links'],
        ['/v1/payment-rules', { card_id: card.id, min_amount: 10_000 }, 'payment_rules'],
        ['/v1/webhook-endpoints', { url: 'https://shop.example/kabao' }, 'webhook_endpoints'],
        ['/v1/staff', { login: 'clerk-retry', password: 'correct horse battery', role: 'operator' }, 'staff'],
      ]
      for (const [path, body, table] of creations) {
        const count = async () => (await db().selectFrom(table).select('id').where('merchant_id', '=', merchantId).execute()).length
        const before = await count()
        const { first } = await crashAndRetry('POST', path, { key, body, idempotencyKey: `create-${table}` })
        assert.equal(first.status, 201, path)
        assert.equal(await count(), before + 1, `${table}: one made`)
      }
    })

    it('a stock change retried after its lease ends is applied once', async () => {
      const card = (await t.request('POST', '/v1/cards', { key, body: cashCard({ stock: 100 }) })).body
      const { first } = await crashAndRetry('POST', `/v1/cards/${card.id}/stock`, { key, body: { delta: 50 }, idempotencyKey: 'stock-card-1' })
      assert.equal(first.body.stock_remaining, 150)
      assert.equal((await t.request('GET', `/v1/cards/${card.id}`, { key })).body.stock_remaining, 150)
      const memberCard = (await t.request('POST', '/v1/member-cards', { key, body: memberCardBody() })).body
      const reward = (await t.request('POST', '/v1/rewards', { key, body: { member_card_id: memberCard.id, type: 'goods', title: 'Cap', points_cost: 100, stock: 5 } })).body
      const taken = await crashAndRetry('POST', `/v1/rewards/${reward.id}/stock`, { key, body: { delta: -3 }, idempotencyKey: 'stock-reward-1' })
      assert.equal(taken.first.body.stock_remaining, 2)
      assert.equal((await t.request('GET', `/v1/rewards/${reward.id}`, { key })).body.stock_remaining, 2)
      // The same change under another key is another change (and here there is not enough left for it).
      assert.equal((await taken.again('stock-reward-2')).body.code, 'insufficient_stock')
    })

    it('a secret rotation retried after its lease ends answers the secret it made, and the one before keeps working', async () => {
      const first = (await t.request('POST', '/v1/wallet-secret/rotate', { key })).body.secret
      const rotated = await crashAndRetry('POST', '/v1/wallet-secret/rotate', { key, idempotencyKey: 'rotate-wallet-1' })
      const signing = await db().selectFrom('merchants').select(['wallet_secret_enc', 'wallet_secret_prev_enc']).where('id', '=', merchantId).executeTakeFirstOrThrow()
      assert.equal(t.ctx.secrets.unseal(signing.wallet_secret_enc as string), rotated.first.body.secret)
      assert.equal(t.ctx.secrets.unseal(signing.wallet_secret_prev_enc as string), first, 'the secret in use still verifies for its grace period')

      const endpoint = (await t.request('POST', '/v1/webhook-endpoints', { key, body: { url: 'https://shop.example/hooks' } })).body
      const again = await crashAndRetry('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { key, idempotencyKey: 'rotate-webhook-1' })
      const secrets = await db().selectFrom('webhook_endpoints').select(['secret_enc', 'prev_secret_enc']).where('id', '=', endpoint.id).executeTakeFirstOrThrow()
      assert.equal(t.ctx.secrets.unseal(secrets.secret_enc), again.first.body.secret)
      assert.equal(t.ctx.secrets.unseal(secrets.prev_secret_enc as string), endpoint.secret)
    })

    it('an API key creation or rotation retried after its lease ends answers a fresh key and revokes the one nobody saw', async () => {
      /** Sends a keyed request, loses its answer as a killed process would, and retries it after the lease. */
      async function lostThenRetried(url: string, body: unknown, idempotencyKey: string) {
        const request = { key, body, headers: { 'idempotency-key': idempotencyKey } }
        const first = await t.request('POST', url, request)
        assert.equal(first.status, 201, first.text)
        await loseResponse(idempotencyKey)
        clock.advance(2000)
        const retried = await t.request('POST', url, request)
        assert.equal(retried.status, 201, retried.text)
        assert.equal(retried.headers['idempotent-replayed'], undefined)
        assert.equal((await t.request('POST', url, request)).text, retried.text, 'and replayed from then on')
        return { orphan: first.body, answered: retried.body }
      }
      const listed = async () => (await t.request('GET', '/v1/api-keys?limit=500', { key })).body.data as { id: string; name: string; revoked_at: string | null; expires_at: string | null }[]
      const store = (await t.request('POST', '/v1/stores', { key, body: { name: 'Jing’an' } })).body
      // A store's page answers every key of the merchant, till keys included.
      const works = async (apiKey: string) => (await t.request('GET', `/v1/stores/${store.id}`, { key: apiKey })).status
      const { orphan, answered } = await lostThenRetried('/v1/api-keys', { name: 'till 7', scope: 'redeem', store_id: store.id }, 'create-key-1')
      assert.notEqual(answered.api_key, orphan.api_key)
      assert.deepEqual([answered.name, answered.scope, answered.store_id], ['till 7', 'redeem', store.id])
      assert.equal(await works(answered.api_key), 200)
      assert.equal(await works(orphan.api_key), 401, 'the key in the lost answer is revoked')
      const tills = (await listed()).filter((k) => k.name === 'till 7')
      assert.deepEqual(tills.filter((k) => k.revoked_at === null).map((k) => k.id), [answered.id], 'one active key for the request')
      assert.deepEqual(tills.filter((k) => k.revoked_at !== null).map((k) => k.id), [orphan.id])

      const old = (await t.request('POST', '/v1/api-keys', { key, body: { name: 'back office', scope: 'read' } })).body
      const rotatedAt = clock.now()
      const rotation = await lostThenRetried(`/v1/api-keys/${old.id}/rotate`, undefined, 'rotate-key-1')
      assert.equal(rotation.answered.replaces, old.id)
      assert.deepEqual([rotation.answered.name, rotation.answered.scope], ['back office', 'read'])
      assert.equal(await works(rotation.answered.api_key), 200)
      assert.equal(await works(rotation.orphan.api_key), 401)
      assert.equal(await works(old.api_key), 200, 'the old key is in its grace period')
      const offices = (await listed()).filter((k) => k.name === 'back office')
      assert.deepEqual(offices.filter((k) => k.revoked_at === null && k.expires_at === null).map((k) => k.id), [rotation.answered.id], 'one new active key')
      const oldRow = offices.find((k) => k.id === old.id)
      assert.equal(oldRow?.revoked_at, null)
      assert.equal(Date.parse(oldRow?.expires_at as string), rotatedAt + 24 * 60 * 60 * 1000, 'its grace neither restarted nor cut')
    })

    it('a run of a key creation whose lease was taken over does not revoke the key the run that took over answers', async () => {
      const now = clock.now()
      const make = (requestRef: string | null) => insertApiKey(db(), { merchantId, name: 'slow till', scope: 'redeem', storeId: null, now, requestRef })
      const answered = await apiKeyOnce(db(), { merchantId, requestRef: 'k:slow-key@1', now, holdsLease: async () => true }, make)
      await assert.rejects(apiKeyOnce(db(), { merchantId, requestRef: 'k:slow-key@1', now, holdsLease: async () => false }, make), { code: 'request_in_progress' })
      const rows = await db().selectFrom('api_keys').select(['id', 'revoked_at']).where('merchant_id', '=', merchantId).where('name', '=', 'slow till').execute()
      assert.deepEqual(rows.map((row) => [row.id, row.revoked_at]), [[answered.id, null]])
    })

    it('two runs of one request at once (a lease that ran out under a slow run) act once and answer alike', async () => {
      const { ctx } = t
      const scope = { merchantId, merchantTz: 'Asia/Shanghai' }
      /** Both runs start before either commits; the one that loses finds what the other did (`answered`: what the route answers from it). */
      async function bothRuns<T>(run: (requestRef: string) => Promise<T>, requestRef: string, answered: (result: T) => unknown = (result) => result): Promise<T> {
        const [a, b] = await Promise.all([run(requestRef), run(requestRef)])
        // As plain data: one answer is built in memory, the other read back from the database.
        const plain = (result: T) => JSON.parse(JSON.stringify(answered(result)))
        assert.deepEqual(plain(a), plain(b))
        return a
      }
      const memberId = await newMember('u15', { points_rules: { sign_in: 5 } })
      await changeStoredValue(ctx, scope, memberId, { delta: 7000, reason: 'Top-up', paymentRef: 'wx-u15' })
      const paid = await bothRuns((ref) => changeStoredValue(ctx, scope, memberId, { delta: -3000, reason: 'Lunch', paymentRef: null, requestRef: ref }), 'k:pay-u15@1')
      assert.equal(paid.entry.balance_after, 4000)
      await bothRuns((ref) => signIn(ctx, scope, memberId, ref), 'k:sign-in-u15@1', ({ entry, member }) => [entry, member.growth])
      await adjustPoints(ctx, scope, memberId, { delta: 1000, reason: 'Welcome', sourceRef: null })
      const memberCardId = (await t.request('GET', `/v1/members/${memberId}`, { key })).body.member_card_id
      const goods = await t.request('POST', '/v1/rewards', { key, body: { member_card_id: memberCardId, type: 'goods', title: 'Mug', points_cost: 300, stock: 5 } })
      const exchanged = await bothRuns((ref) => exchangeReward(ctx, scope, memberId, goods.body.id, { requestRef: ref }), 'k:exchange-u15@1')
      const pickupCode = ctx.secrets.decryptCode(exchanged.exchange.pickup_code_enc as string)
      await bothRuns((ref) => pickUpExchange(ctx, merchantId, pickupCode, ref), 'k:pickup-u15@1')
      const member = (await t.request('GET', `/v1/members/${memberId}`, { key })).body
      assert.deepEqual([member.stored_value_balance, member.points_balance], [4000, 705])
      assert.equal((await t.request('GET', `/v1/rewards/${goods.body.id}`, { key })).body.stock_remaining, 4)

      await bothRuns((ref) => joinMember(ctx, scope, memberCardId, { userId: 'u16', profile: {}, consent: false, referrerMemberId: null, requestRef: ref }), 'k:join-u16@1', (joined) => joined.member)
      assert.equal((await t.request('GET', `/v1/member-cards/${memberCardId}`, { key })).body.member_count, 2)

      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ get_limit: 3, stock: 10 }) })
      const link = await t.request('POST', `/v1/cards/${card.body.id}/claim-links`, { key, body: {} })
      const customer = { kind: 'customer' as const, ...scope, userId: 'u15' }
      await bothRuns((ref) => claimThroughLink(ctx, customer, link.body.token, ref), 'c:u15:claim@1')
      assert.equal((await t.request('GET', `/v1/claim-links/${link.body.id}`, { key })).body.claimed_count, 1)
      assert.equal((await t.request('GET', `/v1/cards/${card.body.id}`, { key })).body.issued_count, 1)

      const cashback = await t.request('POST', '/v1/cards', { key, body: cashCard({ least_cost: null, reduce_cost: 500 }) })
      const coupon = await t.request('POST', `/v1/cards/${cashback.body.id}/issue`, { key, body: { user_id: 'u15' } })
      const redeemed = await t.request('POST', '/v1/redemptions', { key, body: { code: coupon.body.code } })
      await bothRuns((ref) => reverseRedemption(ctx, { merchantId, merchantTz: scope.merchantTz, storeId: null }, redeemed.body.id, null, ref), 'k:reverse-u15@1')
      const events = await db().selectFrom('events').select('type').where('merchant_id', '=', merchantId).where('type', '=', 'coupon.reversed').execute()
      assert.equal(events.length, 2, 'this reversal and the one of the earlier test')

      // Creations, a stock change and a secret rotation.
      await bothRuns((ref) => changeStock(ctx, merchantId, card.body.id, 5, ref), 'k:stock-u15@1', ({ card }) => card.stock_remaining)
      assert.equal((await t.request('GET', `/v1/cards/${card.body.id}`, { key })).body.stock_remaining, 14)
      const staff = await bothRuns((ref) => createStaff(ctx, merchantId, { login: 'clerk-twice', password: 'correct horse battery', role: 'operator' }, ref), 'k:staff-u15@1')
      assert.match(staff.id, /^stf_/)
      const { endpoint } = await bothRuns((ref) => createEndpoint(ctx, merchantId, { url: 'https://shop.example/twice' }, ref), 'k:endpoint-u15@1')
      const endpoints = await db().selectFrom('webhook_endpoints').select('id').where('merchant_id', '=', merchantId).where('url', '=', 'https://shop.example/twice').execute()
      assert.deepEqual(endpoints.map((e) => e.id), [endpoint.id])
      await bothRuns((ref) => rotateWalletSecret(ctx, merchantId, ref), 'k:rotate-u15@1')
      await bothRuns((ref) => rotateEndpointSecret(ctx, merchantId, endpoint.id, ref), 'k:rotate-endpoint-u15@1', ({ secret }) => secret)
    })

    it('a different body under the key of a crashed request is still refused', async () => {
      const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ get_limit: 5 }) })
      const headers = { 'idempotency-key': 'welcome-u3' }
      assert.equal((await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u3' }, headers })).status, 201)
      await loseResponse('welcome-u3')
      clock.advance(2000)
      const other = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'someone-else' }, headers })
      assert.equal(other.status, 422)
      assert.equal(other.body.code, 'idempotency_key_reused')
    })
  })
}
