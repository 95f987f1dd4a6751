/**
 * The decision points beyond claims and redemptions' pace: wallet sign-in (asking for a code and
 * signing in with it) and member join, judged by user, device, address and phone; the location and
 * discount rules of a redemption.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { createMemberCard } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { DEVICE } from '../helpers/risk.ts'

async function setRules(m: MerchantApi, rules: object[]) {
  return expectStatus(await m.put('/v1/risk/rules', { rules }), 200)
}

for (const engine of ENGINES) {
  describe(`risk decisions on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z')
    const t = useTestApp(engine, { clock })

    describe('wallet sign-in', () => {
      let phoneSeq = 13_700_000_000
      const nextPhone = () => String(phoneSeq++)
      const requestCode = (merchantId: string, phone: string, device: string | null = DEVICE) =>
        t.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, phone }, headers: device ? { 'kabao-device': device } : {} })
      const signIn = (merchantId: string, challengeId: string, device: string | null = DEVICE) =>
        t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchantId, challenge_id: challengeId, code: t.notifier.sent[t.notifier.sent.length - 1].code }, headers: device ? { 'kabao-device': device } : {} })

      it('accounts_per_device: a sixth account asking for a code on one device is blocked, the first five go on', async () => {
        const m = await newMerchant(t)
        const device = 'otp-device-000001'
        const phones = Array.from({ length: 6 }, nextPhone)
        for (const phone of phones.slice(0, 5)) expectStatus(await requestCode(m.merchantId, phone, device), 202)
        const sent = t.notifier.sent.length
        const refused = expectProblem(await requestCode(m.merchantId, phones[5], device), 403, 'risk_blocked')
        assert.doesNotMatch(refused.detail, /\d/)
        assert.equal(t.notifier.sent.length, sent, 'no code is sent to a blocked request')
        // An account already counted on the device goes on; another device is another count.
        clock.advance(61_000)
        expectStatus(await requestCode(m.merchantId, phones[0], device), 202)
        expectStatus(await requestCode(m.merchantId, phones[5], 'otp-device-000002'), 202)
        const [event] = expectStatus(await m.get('/v1/risk/events?rule=accounts_per_device'), 200).data
        assert.deepEqual([event.decision, event.activity, event.subject], ['block', 'sign_in', { type: 'device', value: device }])
        // One subject's history, for the console.
        assert.deepEqual(expectStatus(await m.get(`/v1/risk/events?subject_type=device&subject_value=${device}`), 200).data.map((e: any) => e.id), [event.id])
        assert.equal(expectStatus(await m.get('/v1/risk/events?subject_type=device&subject_value=otp-device-000002'), 200).data.length, 0)
        expectProblem(await m.get('/v1/risk/events?subject_type=device'), 422, 'validation_failed')
      })

      it('a parallel burst of accounts on one device lets exactly the limit through', async () => {
        const m = await newMerchant(t)
        const replies = await Promise.all(Array.from({ length: 10 }, () => requestCode(m.merchantId, nextPhone(), 'otp-burst-device')))
        assert.deepEqual(replies.map((r) => r.status).sort(), [202, 202, 202, 202, 202, 403, 403, 403, 403, 403])
      })

      it('a blocked phone gets no code; a blocked device cannot sign in; a blocked user gets no token', async () => {
        const m = await newMerchant(t)
        const phone = nextPhone()
        const phoneBlock = expectStatus(await m.post('/v1/risk/blocks', { type: 'phone', value: phone }), 201)
        assert.equal(phoneBlock.value, `+86${phone}`, 'blocked in the form sign-ins are judged in')
        expectProblem(await requestCode(m.merchantId, phone), 403, 'risk_blocked')
        expectStatus(await t.request('DELETE', `/v1/risk/blocks/${phoneBlock.id}`, { key: m.key }), 204)

        const challenge = expectStatus(await requestCode(m.merchantId, phone), 202)
        const deviceBlock = expectStatus(await m.post('/v1/risk/blocks', { type: 'device', value: DEVICE }), 201)
        expectProblem(await signIn(m.merchantId, challenge.challenge_id), 403, 'risk_blocked')
        expectStatus(await t.request('DELETE', `/v1/risk/blocks/${deviceBlock.id}`, { key: m.key }), 204)
        const session = expectStatus(await signIn(m.merchantId, challenge.challenge_id), 201)

        expectStatus(await m.post('/v1/risk/blocks', { type: 'user', value: session.user_id }), 201)
        clock.advance(61_000)
        const again = expectStatus(await requestCode(m.merchantId, phone), 202)
        expectProblem(await signIn(m.merchantId, again.challenge_id), 403, 'risk_blocked')
        // Without a device header the block list still applies, by user.
        clock.advance(61_000)
        const third = expectStatus(await requestCode(m.merchantId, phone, null), 202)
        expectProblem(await signIn(m.merchantId, third.challenge_id, null), 403, 'risk_blocked')
        expectProblem(await requestCode(m.merchantId, nextPhone(), 'bad device!'), 422, 'validation_failed')
      })
    })

    describe('member join', () => {
      const profileCard = { profile_fields: { phone: 'optional' } }

      it('accounts_per_phone: a fourth user joining with one phone is blocked, whatever way the phone is written', async () => {
        const m = await newMerchant(t)
        const card = await createMemberCard(m, profileCard)
        const joinAs = (user: string, phone: string) => m.post(`/v1/member-cards/${card.id}/members`, { user_id: user, profile: { phone } })
        expectStatus(await joinAs('p1', '13800138000'), 201)
        expectStatus(await joinAs('p2', '+86 138 0013 8000'), 201)
        expectStatus(await joinAs('p3', '008613800138000'), 201)
        expectProblem(await joinAs('p4', '138-0013-8000'), 403, 'risk_blocked')
        expectStatus(await joinAs('p4', '13900139000'), 201)
        const [event] = expectStatus(await m.get('/v1/risk/events?rule=accounts_per_phone'), 200).data
        assert.deepEqual([event.activity, event.subject], ['join', { type: 'phone', value: '+8613800138000' }])
        assert.equal(expectStatus(await m.get(`/v1/members?member_card_id=${card.id}`), 200).data.length, 4, 'the refused join wrote no member')
      })

      it('the wallet join is refused for a blocked device or user; the merchant’s join for a blocked user', async () => {
        const m = await newMerchant(t)
        const card = await createMemberCard(m)
        const token = async (user: string) => expectStatus(await m.post('/v1/wallet-tokens', { user_id: user }), 201).token
        const walletJoin = async (user: string, device = DEVICE) =>
          t.request('POST', `/v1/wallet/member-cards/${card.id}/join`, { key: await token(user), body: {}, headers: { 'kabao-device': device } })
        const block = expectStatus(await m.post('/v1/risk/blocks', { type: 'device', value: DEVICE }), 201)
        expectProblem(await walletJoin('w1'), 403, 'risk_blocked')
        expectStatus(await walletJoin('w1', 'another-device-01'), 201)
        expectStatus(await t.request('DELETE', `/v1/risk/blocks/${block.id}`, { key: m.key }), 204)
        expectStatus(await m.post('/v1/risk/blocks', { type: 'user', value: 'w2' }), 201)
        expectProblem(await walletJoin('w2'), 403, 'risk_blocked')
        expectProblem(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'w2' }), 403, 'risk_blocked')
        expectStatus(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'w3' }), 201)
      })
    })

    it('二次确认 at a clerk’s terminal: an owner or operator confirms by name and password; a clerk cannot; the 428 names the rule', async () => {
      const m = await newMerchant(t)
      const store = await m.createStore()
      await setRules(m, [{ name: 'redemptions_per_clerk', limit: 1 }])
      const card = await m.createCard(cashCard({ get_limit: 50 }))
      expectStatus(await m.post('/v1/staff', { login: 'mgr@risk.example', password: 'manager-password-1', role: 'operator', name: 'Manager' }), 201)
      expectStatus(await m.post('/v1/staff', { login: 'clerk2@risk.example', password: 'clerk-password-2', role: 'clerk', store_id: store.id, name: 'Clerk' }), 201)
      const till = expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem', store_id: store.id }), 201).api_key
      const atTill = (body: object) => t.request('POST', '/v1/redemptions', { key: till, body: { order_amount: 10000, ...body } })
      expectStatus(await atTill({ code: (await m.issue(card.id, 'c1')).code }), 201)
      const { code } = await m.issue(card.id, 'c2')
      const challenged = expectProblem(await atTill({ code }), 428, 'confirmation_required')
      assert.equal(challenged.rule, 'redemptions_per_clerk')
      expectProblem(await atTill({ code, confirm: challenged.challenge_id, confirmer: { login: 'mgr@risk.example', password: 'wrong-password' } }), 401, 'invalid_credentials')
      expectProblem(await atTill({ code, confirm: challenged.challenge_id, confirmer: { login: 'clerk2@risk.example', password: 'clerk-password-2' } }), 403, 'forbidden')
      expectStatus(await atTill({ code, confirm: challenged.challenge_id, confirmer: { login: 'mgr@risk.example', password: 'manager-password-1' } }), 201)
      const [event] = expectStatus(await m.get('/v1/risk/events?decision=challenge'), 200).data
      assert.match(event.confirmed_by, /^stf_/)
      assert.ok(event.confirmed_at)
    })

    describe('redemption location and discount', () => {
      const STORE = { latitude: 31.2304, longitude: 121.4737 }
      const north = (metres: number) => ({ latitude: STORE.latitude + metres / 111_195, longitude: STORE.longitude })

      it('redemption_distance: a self-service redemption more than 1 km from the store is refused; near, or not self-service, it goes on', async () => {
        const m = await newMerchant(t)
        const store = await m.createStore(STORE)
        const card = await m.createCard(cashCard({ get_limit: 50 }))
        const redeem = async (extra: object) => m.redeem({ code: (await m.issue(card.id, 'walker')).code, store_id: store.id, order_amount: 10000, ...extra })
        expectStatus(await redeem({ channel: 'self_service', location: north(990) }), 201)
        const { code } = await m.issue(card.id, 'walker')
        expectProblem(await m.redeem({ code, store_id: store.id, order_amount: 10000, channel: 'self_service', location: north(1_010) }), 403, 'risk_blocked')
        assert.equal(expectStatus(await m.coupon(code), 200).state, 'available', 'a refused redemption writes nothing')
        // The location is judged for self-service only; without one there is nothing to judge.
        expectStatus(await redeem({ channel: 'scan', location: north(50_000) }), 201)
        expectStatus(await redeem({ channel: 'self_service' }), 201)
        // A store without coordinates cannot be too far.
        const bare = await m.createStore({ name: 'No map' })
        expectStatus(await m.redeem({ code: (await m.issue(card.id, 'walker')).code, store_id: bare.id, order_amount: 10000, channel: 'self_service', location: north(50_000) }), 201)
        const [event] = expectStatus(await m.get('/v1/risk/events?rule=redemption_distance'), 200).data
        assert.deepEqual([event.decision, event.activity, event.subject], ['block', 'redeem', { type: 'user', value: 'walker' }])
        expectProblem(await m.redeem({ code, store_id: store.id, channel: 'self_service', location: { latitude: 91, longitude: 0 } }), 422, 'validation_failed')
        await setRules(m, [{ name: 'redemption_distance', limit: 2_000 }])
        expectStatus(await m.redeem({ code, store_id: store.id, order_amount: 10000, channel: 'self_service', location: north(1_010) }), 201)
      })

      it('discount_per_store_day: off by default; on, the store may give its limit in the merchant’s day, the next redemption is challenged and confirmed', async () => {
        const m = await newMerchant(t)
        const store = await m.createStore()
        const other = await m.createStore({ name: 'Other' })
        const card = await m.createCard(cashCard({ stock: 1000, get_limit: 50 }))
        const code = async () => (await m.issue(card.id, 'spender')).code
        const redeemAt = async (storeId: string, extra: object = {}) => m.redeem({ code: await code(), store_id: storeId, order_amount: 10000, ...extra })
        for (let i = 0; i < 3; i++) expectStatus(await redeemAt(store.id), 201)
        await setRules(m, [{ name: 'discount_per_store_day', enabled: true, limit: 8000 }])
        // 6000 given, 2000 more reaches the limit; 2000 more would pass it.
        expectStatus(await redeemAt(store.id), 201)
        const challenged = await code()
        const refused = expectProblem(await m.redeem({ code: challenged, store_id: store.id, order_amount: 10000 }), 428, 'confirmation_required')
        expectStatus(await redeemAt(other.id), 201)
        expectStatus(await m.redeem({ code: challenged, store_id: store.id, order_amount: 10000, confirm: refused.challenge_id }), 201)
        const [event] = expectStatus(await m.get('/v1/risk/events?rule=discount_per_store_day'), 200).data
        assert.deepEqual([event.decision, event.subject, event.id], ['challenge', { type: 'store', value: store.id }, refused.challenge_id])
        // A reversed redemption gives its discount back.
        const { data: [last] } = expectStatus(await m.get(`/v1/redemptions?store_id=${store.id}&limit=1`), 200)
        expectStatus(await m.post(`/v1/redemptions/${last.id}/reverse`, { reason: 'test' }), 200)
        expectProblem(await redeemAt(store.id), 428, 'confirmation_required')
        // The merchant's next day (Shanghai: midnight is 16:00 UTC) starts from nothing.
        clock.set('2030-03-01T16:00:00Z')
        try {
          expectStatus(await redeemAt(store.id), 201)
        } finally {
          clock.set('2030-03-01T02:00:00Z')
        }
      })
    })
  })
}
