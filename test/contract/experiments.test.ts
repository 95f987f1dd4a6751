import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'

for (const engine of ENGINES) {
  describe(`A/B tests on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let api: MerchantApi
    let other: MerchantApi
    const walletToken = async (userId: string, m = api) => expectStatus(await t.request('POST', '/v1/wallet-tokens', { key: m.key, body: { user_id: userId } }), 201).token as string
    const claim = async (token: string, userId: string) => expectStatus(await t.request('POST', `/v1/claim/${token}`, { key: await walletToken(userId) }), 201)

    before(async () => {
      t = await startTestApp(engine)
      api = await newMerchant(t)
      other = await newMerchant(t)
    })
    after(() => t.close())

    it('assigns each visitor one variant, stable per user, counts the funnel per variant and keeps the winner when stopped', async () => {
      const a = await api.createCard(cashCard({ title: 'Ten off', stock: 1000, get_limit: 5 }))
      const b = await api.createCard(cashCard({ title: 'Twenty off', reduce_cost: 2000, stock: 1000, get_limit: 5 }))
      assertInvalidFields(await api.post('/v1/experiments', { name: 'x', variants: [{ card_id: a.id, weight: 1 }, { card_id: a.id, weight: 1 }] }), ['variants[1].card_id'])
      assertInvalidFields(await api.post('/v1/experiments', { name: 'x', variants: [{ card_id: a.id, weight: 1 }, { card_id: 'crd_nope', weight: 1 }] }), ['variants[1].card_id'])
      const foreignCard = await other.createCard(cashCard())
      assertInvalidFields(await api.post('/v1/experiments', { name: 'x', variants: [{ card_id: a.id, weight: 1 }, { card_id: foreignCard.id, weight: 1 }] }), ['variants[1].card_id'])

      const created = expectStatus(await api.post('/v1/experiments', { name: 'Value test', variants: [{ card_id: a.id, weight: 1 }, { card_id: b.id, weight: 1 }] }), 201)
      assert.match(created.token, /^[A-Za-z0-9_-]{32}$/)
      assert.ok(created.url.endsWith(`/wallet/claim/${created.token}`))

      // The claim page shows each signed-in visitor the variant they will claim, every time.
      const byUser = new Map<string, string>()
      for (let i = 0; i < 40; i++) {
        const user = `user-${i}`
        const page = expectStatus(await t.request('GET', `/v1/claim/${created.token}`, { key: await walletToken(user) }), 200)
        const again = expectStatus(await t.request('GET', `/v1/claim/${created.token}`, { key: await walletToken(user) }), 200)
        assert.equal(again.card.id, page.card.id)
        byUser.set(user, page.card.id)
      }
      const shown = [...byUser.values()]
      assert.ok(shown.includes(a.id) && shown.includes(b.id), 'both variants are shown')
      // Claims follow the same assignment; variant a's claimers all redeem, b's none.
      for (const [user, cardId] of byUser) {
        const coupon = await claim(created.token, user)
        assert.equal(coupon.card_id, cardId, user)
        if (cardId === a.id) {
          const code = expectStatus(await api.get(`/v1/users/${user}/coupons`), 200).data.find((c: any) => c.id === coupon.id).code
          expectStatus(await api.redeem({ code, order_amount: 20_000 }), 201)
        }
      }
      const nA = shown.filter((id) => id === a.id).length
      const nB = shown.length - nA

      const results = expectStatus(await api.get(`/v1/experiments/${created.id}`), 200)
      const va = results.variants.find((v: any) => v.card_id === a.id)
      const vb = results.variants.find((v: any) => v.card_id === b.id)
      assert.deepEqual([va.views, va.claims, va.redemptions, va.redemption_rate], [2 * nA, nA, nA, 1])
      assert.deepEqual([vb.views, vb.claims, vb.redemptions, vb.redemption_rate], [2 * nB, nB, 0, 0])
      assert.equal(va.claim_rate, 0.5)
      assert.ok(results.p_value !== null && results.p_value < 0.05, String(results.p_value))
      assert.equal(results.leader, a.id)
      const csv = (await api.get(`/v1/experiments/${created.id}?format=csv`)).text.trim().split('\r\n')
      assert.equal(csv[0], 'card_id,weight,views,claims,redemptions,claim_rate,redemption_rate')
      assert.equal(csv.length, 3)
      assert.equal(csv[1], [va.card_id, va.weight, va.views, va.claims, va.redemptions, va.claim_rate, va.redemption_rate].join(','))

      // Another merchant sees no such experiment.
      expectProblem(await other.get(`/v1/experiments/${created.id}`), 404, 'experiment_not_found')
      expectProblem(await other.post(`/v1/experiments/${created.id}/stop`, {}), 404, 'experiment_not_found')

      const stopped = expectStatus(await api.post(`/v1/experiments/${created.id}/stop`, {}), 200)
      assert.equal(stopped.status, 'stopped')
      assert.equal(stopped.winner_card_id, a.id)
      expectProblem(await api.post(`/v1/experiments/${created.id}/stop`, {}), 409, 'experiment_stopped')
      // From now on everyone gets the winner, including those who had b.
      const bUser = [...byUser].find(([, id]) => id === b.id)?.[0] as string
      assert.equal((await claim(created.token, bUser)).card_id, a.id)
      assert.equal(expectStatus(await t.request('GET', `/v1/claim/${created.token}`), 200).card.id, a.id)
    })

    it('lists the merchant’s experiments, oldest first, page by page, with their variants and status', async () => {
      const lister = await newMerchant(t)
      const a = await lister.createCard(cashCard({ stock: 100 }))
      const b = await lister.createCard(cashCard({ stock: 100 }))
      const made: any[] = []
      for (const name of ['First', 'Second', 'Third']) {
        made.push(expectStatus(await lister.post('/v1/experiments', { name, variants: [{ card_id: a.id, weight: 3 }, { card_id: b.id, weight: 1 }] }), 201))
      }
      expectStatus(await lister.post(`/v1/experiments/${made[1].id}/stop`, { keep_card_id: b.id }), 200)
      const first = expectStatus(await lister.get('/v1/experiments?limit=2'), 200)
      assert.deepEqual(first.data.map((e: any) => e.name), ['First', 'Second'])
      assert.deepEqual(first.data[0].variants, [{ card_id: a.id, weight: 3 }, { card_id: b.id, weight: 1 }])
      assert.equal(first.data[0].token, made[0].token)
      assert.deepEqual([first.data[0].status, first.data[0].winner_card_id, first.data[0].stopped_at], ['running', null, null])
      assert.deepEqual([first.data[1].status, first.data[1].winner_card_id], ['stopped', b.id])
      assert.ok(first.data[1].stopped_at)
      const second = expectStatus(await lister.get(`/v1/experiments?limit=2&cursor=${first.next_cursor}`), 200)
      assert.deepEqual(second.data.map((e: any) => e.id), [made[2].id])
      assert.equal(second.next_cursor, null)
      // Another merchant's list does not show them.
      assert.ok(!expectStatus(await other.get('/v1/experiments?limit=500'), 200).data.some((e: any) => made.some((m) => m.id === e.id)))
    })

    it('judges experiment claims by the risk rules as other claims', async () => {
      const a = await api.createCard(cashCard({ stock: 100, get_limit: 5 }))
      const b = await api.createCard(cashCard({ stock: 100, get_limit: 5 }))
      const created = expectStatus(await api.post('/v1/experiments', { name: 'Risk', variants: [{ card_id: a.id, weight: 1 }, { card_id: b.id, weight: 1 }] }), 201)
      expectStatus(await api.put('/v1/risk/rules', { rules: [{ name: 'users_per_device', limit: 1 }] }), 200)
      const headers = { 'kabao-device': 'device-shared-1' }
      expectStatus(await t.request('POST', `/v1/claim/${created.token}`, { key: await walletToken('r1'), headers }), 201)
      expectProblem(await t.request('POST', `/v1/claim/${created.token}`, { key: await walletToken('r2'), headers }), 403, 'risk_blocked')
      const results = expectStatus(await api.get(`/v1/experiments/${created.id}`), 200)
      assert.equal(results.variants.reduce((sum: number, v: any) => sum + v.claims, 0), 1)
    })
  })
}
