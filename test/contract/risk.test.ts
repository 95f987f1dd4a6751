import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { DEVICE, claimSetup } from '../helpers/risk.ts'
import { DEFAULT_RISK_RULES, RISK_RULE_NAMES } from '../../src/domain/risk.ts'

async function setRules(m: MerchantApi, rules: object[]) {
  return expectStatus(await m.put('/v1/risk/rules', { rules }), 200)
}

for (const engine of ENGINES) {
  describe(`risk control on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z')
    const t = useTestApp(engine, { clock })

    it('answers the default rules, changes the named ones, refuses unknown names and bad values', async () => {
      const m = await newMerchant(t)
      const defaults = expectStatus(await m.get('/v1/risk/rules'), 200)
      assert.deepEqual(defaults.rules, RISK_RULE_NAMES.map((name) => DEFAULT_RISK_RULES[name]))
      assert.deepEqual(defaults.rules.find((r: any) => r.name === 'wrong_codes'), { name: 'wrong_codes', enabled: true, limit: 20, window_seconds: 600, action: 'block' })
      assert.equal(defaults.rules.find((r: any) => r.name === 'discount_per_store_day').enabled, false)

      const changed = await setRules(m, [{ name: 'claims_per_address', limit: 50 }, { name: 'redemptions_per_clerk', action: 'block', enabled: false }])
      assert.deepEqual(changed.rules.find((r: any) => r.name === 'claims_per_address'), { name: 'claims_per_address', enabled: true, limit: 50, window_seconds: 3600, action: 'block' })
      assert.deepEqual(changed.rules.find((r: any) => r.name === 'redemptions_per_clerk'), { name: 'redemptions_per_clerk', enabled: false, limit: 60, window_seconds: 600, action: 'block' })
      assert.deepEqual(expectStatus(await m.get('/v1/risk/rules'), 200), changed)

      expectProblem(await m.put('/v1/risk/rules', { rules: [{ name: 'claims_per_moon', limit: 1 }] }), 422, 'validation_failed')
      expectProblem(await m.put('/v1/risk/rules', { rules: [{ name: 'wrong_codes', limit: -1 }] }), 422, 'validation_failed')
      expectProblem(await m.put('/v1/risk/rules', { rules: [{ name: 'wrong_codes', action: 'allow' }] }), 422, 'validation_failed')
      expectProblem(await m.put('/v1/risk/rules', { rules: [{ name: 'wrong_codes', limit: 1 }, { name: 'wrong_codes', limit: 2 }] }), 422, 'validation_failed')
      // A refused change changes nothing.
      assert.deepEqual(expectStatus(await m.get('/v1/risk/rules'), 200), changed)

      const readKey = expectStatus(await m.post('/v1/api-keys', { name: 'report', scope: 'read' }), 201).api_key
      expectProblem(await t.request('PUT', '/v1/risk/rules', { key: readKey, body: { rules: [{ name: 'wrong_codes', limit: 1 }] } }), 403, 'forbidden')
      expectStatus(await t.request('GET', '/v1/risk/rules', { key: readKey }), 200)
    })

    it('users_per_device: a fourth user claiming on one device is blocked, the first three go on; recorded with risk.flagged', async () => {
      const { m, claim } = await claimSetup(t)
      for (const user of ['u1', 'u2', 'u3']) expectStatus(await claim(user), 201)
      const refused = expectProblem(await claim('u4'), 403, 'risk_blocked')
      assert.doesNotMatch(refused.detail, /\d/, 'the detail names no threshold')
      expectStatus(await claim('u1'), 201)
      expectStatus(await claim('u4', 'another-device-1'), 201)
      // A malformed device id is a clear error, not a way round the rule.
      expectProblem(await claim('u5', 'bad device!'), 422, 'validation_failed')

      const events = expectStatus(await m.get('/v1/risk/events?decision=block&rule=users_per_device'), 200)
      assert.equal(events.data.length, 1)
      assert.deepEqual({ ...events.data[0], id: undefined, created_at: undefined }, {
        id: undefined, created_at: undefined, decision: 'block', rule: 'users_per_device', activity: 'claim', subject: { type: 'device', value: DEVICE }, confirmed_at: null, confirmed_by: null,
      })
      assert.equal(expectStatus(await m.get('/v1/risk/events?rule=wrong_codes'), 200).data.length, 0)
      assert.equal(expectStatus(await m.get('/v1/risk/events?since=2030-03-02T00:00:00Z'), 200).data.length, 0)
      const [flagged] = await m.events('risk.flagged')
      assert.equal(flagged.data.risk_event_id, events.data[0].id)
      assert.deepEqual(flagged.data.subject, { type: 'device', value: DEVICE })
    })

    it('users_per_device: a parallel burst of users on one device lets exactly the limit through', async () => {
      const { claim, walletToken } = await claimSetup(t)
      const users = Array.from({ length: 12 }, (_, i) => `burst-${i}`)
      for (const user of users) await walletToken(user)
      const replies = await Promise.all(users.map((user) => claim(user)))
      const statuses = replies.map((r) => r.status).sort()
      assert.deepEqual(statuses, [201, 201, 201, ...Array(9).fill(403)])
    })

    it('claims_per_address counts claims from one client address', async () => {
      const { m, claim } = await claimSetup(t)
      await setRules(m, [{ name: 'claims_per_address', limit: 2 }])
      expectStatus(await claim('a1', null), 201)
      expectStatus(await claim('a2', null), 201)
      expectProblem(await claim('a3', null), 403, 'risk_blocked')
      await setRules(m, [{ name: 'claims_per_address', enabled: false }])
      expectStatus(await claim('a3', null), 201)
    })

    it('the block list refuses a user until the block is removed', async () => {
      const { m, claim } = await claimSetup(t)
      const block = expectStatus(await m.post('/v1/risk/blocks', { type: 'user', value: 'bad-user' }), 201)
      assert.deepEqual({ ...block, id: undefined }, { id: undefined, type: 'user', value: 'bad-user', until: null, rule: null, created_at: '2030-03-01T10:00:00+08:00' })
      expectProblem(await claim('bad-user', null), 403, 'risk_blocked')
      assert.deepEqual(expectStatus(await m.get('/v1/risk/blocks'), 200).data.map((b: any) => b.id), [block.id])
      expect204(await t.request('DELETE', `/v1/risk/blocks/${block.id}`, { key: m.key }))
      expectStatus(await claim('bad-user', null), 201)
      expectProblem(await t.request('DELETE', `/v1/risk/blocks/${block.id}`, { key: m.key }), 404, 'risk_block_not_found')
      expectProblem(await m.post('/v1/risk/blocks', { type: 'key', value: 'x' }), 422, 'validation_failed')
      expectProblem(await m.post('/v1/risk/blocks', { type: 'user', value: 'x', until: '2020-01-01T00:00:00Z' }), 422, 'validation_failed')
      // A block that ends lets its subject through again.
      const until = expectStatus(await m.post('/v1/risk/blocks', { type: 'device', value: DEVICE, until: '2030-03-01T03:00:00Z' }), 201)
      assert.equal(until.until, '2030-03-01T11:00:00+08:00')
      expectProblem(await claim('someone', DEVICE), 403, 'risk_blocked')
    })

    it('wrong_codes: past the limit the key and the address are blocked for 15 minutes, redemptions and checks alike', async () => {
      const m = await newMerchant(t)
      await setRules(m, [{ name: 'wrong_codes', limit: 3 }])
      const card = await m.createCard(cashCard())
      const { code } = await m.issue(card.id, 'shopper')
      for (let i = 0; i < 2; i++) expectProblem(await m.redeem({ code: `NOTACODE${i}`, order_amount: 10000 }), 404, 'code_not_found')
      expectProblem(await m.post('/v1/redemptions/check', { code: 'NOTACODE9', order_amount: 10000 }), 404, 'code_not_found')
      expectProblem(await m.redeem({ code: 'NOTACODE3', order_amount: 10000 }), 403, 'risk_blocked')
      // A real code is refused too while the block lasts.
      expectProblem(await m.redeem({ code, order_amount: 10000 }), 403, 'risk_blocked')
      expectProblem(await m.post('/v1/redemptions/check', { code, order_amount: 10000 }), 403, 'risk_blocked')
      const listed = async () => expectStatus(await m.get('/v1/risk/blocks'), 200).data.map((b: any) => [b.type, b.rule, b.until]).sort()
      assert.deepEqual(await listed(), [['key', 'wrong_codes', '2030-03-01T10:15:00+08:00']])
      // The address used up its count too: another key from it is blocked at its first unknown code, and so is the address.
      const other = expectStatus(await m.post('/v1/api-keys', { name: 'other till', scope: 'redeem' }), 201).api_key
      expectProblem(await t.request('POST', '/v1/redemptions', { key: other, body: { code: 'NOTACODE4', order_amount: 10000 } }), 403, 'risk_blocked')
      assert.deepEqual(await listed(), [['address', 'wrong_codes', '2030-03-01T10:15:00+08:00'], ['key', 'wrong_codes', '2030-03-01T10:15:00+08:00']])
      expectProblem(await t.request('POST', '/v1/redemptions', { key: other, body: { code, order_amount: 10000 } }), 403, 'risk_blocked')
      clock.advance(15 * 60_000)
      try {
        expectStatus(await m.redeem({ code, order_amount: 10000 }), 201)
      } finally {
        clock.set('2030-03-01T02:00:00Z')
      }
    })

    it('redemptions_per_clerk: past the limit a redemption is challenged, then confirmed once by a full key', async () => {
      const m = await newMerchant(t)
      await setRules(m, [{ name: 'redemptions_per_clerk', limit: 1 }])
      const card = await m.createCard(cashCard())
      const till = expectStatus(await m.post('/v1/api-keys', { name: 'till', scope: 'redeem' }), 201).api_key
      const redeemAtTill = (body: object) => t.request('POST', '/v1/redemptions', { key: till, body: { order_amount: 10000, ...body } })
      expectStatus(await redeemAtTill({ code: (await m.issue(card.id, 'c1')).code }), 201)
      const { code } = await m.issue(card.id, 'c2')
      const challenged = expectProblem(await redeemAtTill({ code }), 428, 'confirmation_required')
      assert.match(challenged.challenge_id, /^rsk_/)
      assert.equal(expectStatus(await m.coupon(code), 200).state, 'available', 'a challenged redemption writes nothing')

      // The till cannot confirm its own challenge; a confirmation is for the challenged code only.
      expectProblem(await redeemAtTill({ code, confirm: challenged.challenge_id }), 403, 'forbidden')
      const other = (await m.issue(card.id, 'c3')).code
      expectProblem(await m.redeem({ code: other, order_amount: 10000, confirm: challenged.challenge_id }), 422, 'validation_failed')
      const done = expectStatus(await m.redeem({ code, order_amount: 10000, confirm: challenged.challenge_id }), 201)
      assert.equal(done.code, code)
      expectProblem(await m.redeem({ code: other, order_amount: 10000, confirm: challenged.challenge_id }), 422, 'validation_failed')

      const [event] = expectStatus(await m.get('/v1/risk/events?decision=challenge'), 200).data
      assert.equal(event.id, challenged.challenge_id)
      assert.equal(event.rule, 'redemptions_per_clerk')
      assert.equal(event.confirmed_at, '2030-03-01T10:00:00+08:00')
      assert.match(event.confirmed_by, /^key_/)
    })
  })
}

function expect204(res: { status: number; text: string }) {
  assert.equal(res.status, 204, res.text)
}
