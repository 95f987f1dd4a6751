import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { codeFormat, hasValidCheckDigit } from '../../src/domain/codes.ts'

// `code_format: numeric` on a card: its coupons carry 20-digit codes with a check digit; redemption takes
// them; a wrong check digit is refused before any lookup, clearly, and counts as a wrong code for risk.

/** The code with its check digit changed (every other digit kept). */
const wrongCheckDigit = (code: string) => code.slice(0, 19) + String((Number(code[19]) + 1) % 10)

for (const engine of ENGINES) {
  describe(`numeric codes on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(Date.parse('2030-05-01T02:00:00Z'))
    const t = useTestApp(engine, { clock })

    it('a numeric card issues 20-digit codes that redeem; alphanumeric stays the default', async () => {
      const m = await newMerchant(t)
      const plain = await m.createCard(cashCard())
      assert.equal(plain.code_format, 'alphanumeric')
      const card = await m.createCard(cashCard({ code_format: 'numeric' }))
      assert.equal(card.code_format, 'numeric')
      assert.equal(expectStatus(await m.get(`/v1/cards/${card.id}`), 200).code_format, 'numeric')
      const codes: string[] = []
      for (let i = 0; i < 5; i++) codes.push((await m.issue(card.id, `user-${i}`)).code)
      for (const code of codes) {
        assert.match(code, /^[1-9][0-9]{19}$/)
        assert.ok(hasValidCheckDigit(code))
        assert.equal(codeFormat(code), 'numeric')
      }
      const other = (await m.issue(plain.id, 'user-0')).code as string
      assert.match(other, /^[0-9A-Z]{15}$/)
      assert.equal(codeFormat(other), 'current')

      // Typed with spaces as printed, the code still reads.
      const typed = codes[0].replace(/(.{4})/g, '$1 ').trim()
      assert.equal(expectStatus(await m.coupon(typed), 200).state, 'available')
      const redeemed = expectStatus(await m.redeem({ code: codes[0], order_amount: 20000 }), 201)
      assert.equal(redeemed.discount_amount, 2000)
      assert.equal(expectStatus(await m.coupon(codes[0]), 200).state, 'redeemed')
      expectProblem(await m.redeem({ code: codes[0], order_amount: 20000 }), 409, 'already_redeemed')
    })

    it('a change of code_format applies to coupons issued afterwards', async () => {
      const m = await newMerchant(t)
      const card = await m.createCard(cashCard())
      const before = (await m.issue(card.id, 'a')).code as string
      assert.equal(expectStatus(await m.patch(`/v1/cards/${card.id}`, { code_format: 'numeric' }), 200).code_format, 'numeric')
      const after = (await m.issue(card.id, 'b')).code as string
      assert.equal(codeFormat(before), 'current')
      assert.equal(codeFormat(after), 'numeric')
      expectStatus(await m.redeem({ code: before, order_amount: 20000 }), 201)
      expectStatus(await m.redeem({ code: after, order_amount: 20000 }), 201)
      const native = expectStatus(await m.get(`/v1/cards/${card.id}`), 200)
      assert.equal(native.version, 1, 'the code format is a setting, not a promised term')
    })

    it('refuses an unknown code_format', async () => {
      const m = await newMerchant(t)
      expectProblem(await m.post('/v1/cards', cashCard({ code_format: 'hex' })), 422, 'validation_failed')
    })

    it('a wrong check digit is a clear 404 before any lookup, and counts as a wrong code for risk', async () => {
      const m = await newMerchant(t)
      const card = await m.createCard(cashCard({ code_format: 'numeric', stock: 100 }))
      const code = (await m.issue(card.id, 'holder')).code as string
      const wrong = wrongCheckDigit(code)
      const refused = expectProblem(await m.redeem({ code: wrong, order_amount: 20000 }), 404, 'code_not_found')
      assert.match(refused.detail, /check digit/)
      // A 20-digit code with a right check digit that was never issued is looked up: another answer.
      const unknown = code.slice(0, 18) + (code[18] === '0' ? '1' : '0')
      const fixed = unknown.slice(0, 19)
      const candidate = [...'0123456789'].map((d) => fixed + d).find(hasValidCheckDigit) as string
      const notIssued = expectProblem(await m.redeem({ code: candidate, order_amount: 20000 }), 404, 'code_not_found')
      assert.doesNotMatch(notIssued.detail, /check digit/)
      // Default rule: 20 wrong codes in 10 minutes from one key, then the key is blocked.
      for (let i = 2; i < 20; i++) {
        clock.advance(1000)
        expectProblem(await m.redeem({ code: wrong, order_amount: 20000 }), 404, 'code_not_found')
      }
      clock.advance(1000)
      expectProblem(await m.redeem({ code: wrong, order_amount: 20000 }), 403, 'risk_blocked')
      // Blocked for every code now, the right one too: nothing was redeemed by the wrong ones.
      expectProblem(await m.redeem({ code, order_amount: 20000 }), 403, 'risk_blocked')
      assert.equal(expectStatus(await m.coupon(code), 200).state, 'available')
    })
  })
}
