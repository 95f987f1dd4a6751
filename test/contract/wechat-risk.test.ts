/**
 * Wrong codes through the WeChat-compatible facade (card/code/get, card/code/consume) count for the
 * native risk rule `wrong_codes`, by the facade's app and the client address, and its block holds on both
 * sides: the facade answers it 48001, the native routes 403 risk_blocked.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'

for (const engine of ENGINES) {
  describe(`wrong codes through the WeChat-compatible facade on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock('2030-03-01T02:00:00Z')
    const t = useTestApp(engine, { clock })

    async function setup(limit: number) {
      const m = await newMerchant(t)
      expectStatus(await m.put('/v1/risk/rules', { rules: [{ name: 'wrong_codes', limit }] }), 200)
      const card = await m.createCard(cashCard({ stock: 100, get_limit: 10 }))
      const codes: string[] = []
      for (let i = 0; i < 3; i++) codes.push((await m.issue(card.id, `shopper-${i}`)).code)
      const app = expectStatus(await m.post('/v1/wechat-apps', {}), 201)
      const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.appid}&secret=${app.secret}`)).body.access_token as string
      const wx = async (path: string, body: Record<string, unknown>) => {
        const res = await t.request('POST', `${path}?access_token=${token}`, { body })
        assert.equal(res.status, 200, res.text)
        return res.body as { errcode: number; errmsg: string }
      }
      return { m, codes, appid: app.appid as string, wx }
    }

    it('N unknown codes through code/get and code/consume: the next is blocked (48001), a right code too, and the native routes see the block', async () => {
      const { m, codes, appid, wx } = await setup(3)
      // A right code is answered and counts nothing.
      assert.equal((await wx('/card/code/get', { code: codes[0] })).errcode, 0)
      assert.equal((await wx('/card/code/get', { code: 'NOTACODE1' })).errcode, 40056)
      assert.equal((await wx('/card/code/consume', { code: 'NOTACODE2' })).errcode, 40056)
      assert.equal((await wx('/card/code/get', { code: 'NOTACODE3', check_consume: false })).errcode, 40056)
      // The fourth guess is refused, and blocks the app and the address for 15 minutes.
      const refused = await wx('/card/code/get', { code: 'NOTACODE4' })
      assert.equal(refused.errcode, 48001)
      // Like the native 403, it names no rule and no threshold.
      assert.equal(refused.errmsg, 'api unauthorized: This request was refused by the merchant’s risk control.')
      const listed = async () => expectStatus(await m.get('/v1/risk/blocks'), 200).data.map((b: any) => [b.type, b.value === `wechat:${appid}` ? 'the app' : b.value, b.rule, b.until]).sort()
      assert.deepEqual(await listed(), [['key', 'the app', 'wrong_codes', '2030-03-01T10:15:00+08:00']])
      const events = expectStatus(await m.get('/v1/risk/events?rule=wrong_codes'), 200).data
      assert.deepEqual(events.map((e: any) => [e.decision, e.activity, e.subject.type]), [['block', 'wrong_code', 'key']])
      // A right code from the blocked app is refused while the block lasts, and nothing is consumed.
      assert.equal((await wx('/card/code/get', { code: codes[1] })).errcode, 48001)
      assert.equal((await wx('/card/code/consume', { code: codes[1] })).errcode, 48001)
      assert.equal(expectStatus(await m.coupon(codes[1]), 200).state, 'available')
      // The native routes share the address's count: its window is full, so the next unknown code sent natively
      // from it blocks the address, and then a right code is refused natively and through any app.
      expectProblem(await m.redeem({ code: 'NOTACODE5', order_amount: 10000 }), 403, 'risk_blocked')
      assert.deepEqual(await listed(), [['address', '127.0.0.1', 'wrong_codes', '2030-03-01T10:15:00+08:00'], ['key', 'the app', 'wrong_codes', '2030-03-01T10:15:00+08:00']])
      expectProblem(await m.redeem({ code: codes[1], order_amount: 10000 }), 403, 'risk_blocked')
      expectProblem(await m.post('/v1/redemptions/check', { code: codes[1], order_amount: 10000 }), 403, 'risk_blocked')
      clock.advance(15 * 60_000)
      try {
        assert.equal((await wx('/card/code/consume', { code: codes[1] })).errcode, 0)
        assert.equal(expectStatus(await m.coupon(codes[1]), 200).state, 'redeemed')
      } finally {
        clock.set('2030-03-01T02:00:00Z')
      }
    })

    it('a block added natively (an address) refuses the facade’s code calls; removed, they go on', async () => {
      const { m, codes, wx } = await setup(20)
      const block = expectStatus(await m.post('/v1/risk/blocks', { type: 'address', value: '127.0.0.1' }), 201)
      assert.equal((await wx('/card/code/get', { code: codes[0] })).errcode, 48001)
      assert.equal((await wx('/card/code/consume', { code: codes[0] })).errcode, 48001)
      expectStatus(await t.request('DELETE', `/v1/risk/blocks/${block.id}`, { key: m.key }), 204)
      assert.equal((await wx('/card/code/consume', { code: codes[0] })).errcode, 0)
    })

    it('wrong codes sent natively count with the facade’s: one address, one count', async () => {
      const { m, codes, wx } = await setup(2)
      expectProblem(await m.redeem({ code: 'NOTACODE1', order_amount: 10000 }), 404, 'code_not_found')
      assert.equal((await wx('/card/code/consume', { code: 'NOTACODE2' })).errcode, 40056)
      // The address's window holds its limit: the next unknown code through the facade blocks it.
      assert.equal((await wx('/card/code/get', { code: 'NOTACODE3' })).errcode, 48001)
      assert.equal((await wx('/card/code/get', { code: codes[0] })).errcode, 48001)
      expectProblem(await m.redeem({ code: codes[0], order_amount: 10000 }), 403, 'risk_blocked')
    })

    it('a parallel burst of unknown codes through the facade lets exactly the limit be looked up', async () => {
      const { wx } = await setup(5)
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => wx(i % 2 ? '/card/code/get' : '/card/code/consume', { code: `NOTACODE${i}` })))
      const errcodes = answers.map((a) => a.errcode).sort()
      assert.deepEqual(errcodes, [...Array(5).fill(40056), ...Array(7).fill(48001)])
    })
  })
}
