import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { formatInstant } from '../../src/domain/time.ts'

const HOUR = 60 * 60 * 1000

/** Signs a wallet token the way docs/wallet-tokens.md tells a merchant backend to. */
function signToken(secret: string, merchantId: string, userId: string, expiresAtSeconds: number): string {
  const signed = `wt1.${merchantId}.${Buffer.from(userId, 'utf8').toString('base64url')}.${expiresAtSeconds}`
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('hex')}`
}

for (const engine of ENGINES) {
  describe(`customer identity on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let key: string
    let merchantId: string
    const nowSeconds = () => Math.floor(clock.now() / 1000)
    const me = (token: string) => t.request('GET', '/v1/wallet/me', { key: token })

    before(async () => {
      clock = new ManualClock('2030-03-01T02:00:00Z')
      t = await startTestApp(engine, { clock })
      ;({ apiKey: key, merchantId } = await t.merchant('Tea House'))
    })
    after(() => t.close())

    describe('wallet tokens', () => {
      it('mints a token for a merchant user that signs them in to the wallet', async () => {
        const minted = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'openid-42', ttl_seconds: 600 } })
        assert.equal(minted.status, 201, minted.text)
        assert.equal(minted.body.user_id, 'openid-42')
        assert.equal(minted.body.expires_at, '2030-03-01T10:10:00+08:00')
        assert.match(minted.body.token, new RegExp(`^wt1\\.${merchantId}\\.${Buffer.from('openid-42').toString('base64url')}\\.${nowSeconds() + 600}\\.[0-9a-f]{64}$`))

        const who = await me(minted.body.token)
        assert.equal(who.status, 200, who.text)
        assert.deepEqual(who.body, { merchant: { id: merchantId, name: 'Tea House' }, user_id: 'openid-42' })
      })

      it('defaults to one hour and stops working when it expires', async () => {
        const minted = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'u-expiry' } })
        assert.equal(minted.status, 201, minted.text)
        assert.equal(minted.body.token.split('.')[3], String(nowSeconds() + 3600))
        clock.advance(HOUR - 1000)
        assert.equal((await me(minted.body.token)).status, 200)
        clock.advance(1000)
        const expired = await me(minted.body.token)
        assert.equal(expired.status, 401)
        assert.equal(expired.body.code, 'unauthenticated')
      })

      it('refuses a tampered signature, a changed user id and a token of another merchant', async () => {
        const { token } = (await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'alice' } })).body
        const parts = token.split('.')
        const flipped = parts[4].replace(/^./, (c: string) => (c === '0' ? '1' : '0'))
        assert.equal((await me([...parts.slice(0, 4), flipped].join('.'))).status, 401)
        assert.equal((await me([parts[0], parts[1], Buffer.from('mallory').toString('base64url'), parts[3], parts[4]].join('.'))).status, 401)

        const other = await t.merchant('Other Shop')
        const theirs = (await t.request('POST', '/v1/wallet-tokens', { key: other.apiKey, body: { user_id: 'alice' } })).body.token.split('.')
        // Their signature over our merchant id is not ours.
        assert.equal((await me([theirs[0], merchantId, theirs[2], theirs[3], theirs[4]].join('.'))).status, 401)
        const theirsMe = await me(theirs.join('.'))
        assert.equal(theirsMe.body.merchant.id, other.merchantId)
      })

      it('never takes an API key or garbage as a wallet token, nor a token as an API key', async () => {
        assert.equal((await me(key)).status, 401)
        assert.equal((await me('wt1.nope')).status, 401)
        assert.equal((await t.request('GET', '/v1/wallet/me')).status, 401)
        const { token } = (await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'bob' } })).body
        assert.equal((await t.request('GET', '/v1/merchant', { key: token })).status, 401)
      })

      it('rejects bad input with the field names', async () => {
        const cases: [unknown, string][] = [
          [{}, 'user_id'],
          [{ user_id: '' }, 'user_id'],
          [{ user_id: 'u', ttl_seconds: 59 }, 'ttl_seconds'],
          [{ user_id: 'u', ttl_seconds: 86_401 }, 'ttl_seconds'],
          [{ user_id: 'u', ttl_seconds: '600' }, 'ttl_seconds'],
          [{ user_id: 'u', scope: 'all' }, 'scope'],
        ]
        for (const [body, field] of cases) {
          const res = await t.request('POST', '/v1/wallet-tokens', { key, body })
          assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`)
          assert.equal(res.body.code, 'validation_failed')
          assert.ok(res.body.errors.some((e: { field: string }) => e.field === field), res.text)
        }
      })

      it('lets only a key that may write mint tokens or rotate the secret', async () => {
        const readKey = (await t.request('POST', '/v1/api-keys', { key, body: { name: 'analyst', scope: 'read' } })).body.api_key
        assert.equal((await t.request('POST', '/v1/wallet-tokens', { key: readKey, body: { user_id: 'u' } })).status, 403)
        assert.equal((await t.request('POST', '/v1/wallet-secret/rotate', { key: readKey })).status, 403)
      })

      it('rotates the secret: the previous one keeps verifying for 24 hours, not after', async () => {
        const shop = await t.merchant('Rotating Shop')
        const first = await t.request('POST', '/v1/wallet-secret/rotate', { key: shop.apiKey })
        assert.equal(first.status, 200, first.text)
        const oldSecret: string = first.body.secret
        assert.ok(oldSecret.length >= 40)
        const selfMinted = signToken(oldSecret, shop.merchantId, 'carol', nowSeconds() + 3600)
        assert.equal((await me(selfMinted)).body.user_id, 'carol')

        const second = await t.request('POST', '/v1/wallet-secret/rotate', { key: shop.apiKey })
        assert.equal(second.status, 200, second.text)
        const newSecret: string = second.body.secret
        assert.notEqual(newSecret, oldSecret)
        assert.equal(second.body.previous_secret_valid_until, formatInstant(clock.now() + 24 * HOUR, 'Asia/Shanghai'))
        // This process uses the new secret at once, and the old one still works.
        assert.equal((await me(signToken(newSecret, shop.merchantId, 'carol', nowSeconds() + 3600))).status, 200)
        assert.equal((await me(selfMinted)).status, 200)
        const serverMinted = (await t.request('POST', '/v1/wallet-tokens', { key: shop.apiKey, body: { user_id: 'dave' } })).body.token
        assert.equal(serverMinted.split('.')[4], signToken(newSecret, shop.merchantId, 'dave', Number(serverMinted.split('.')[3])).split('.')[4])

        clock.advance(24 * HOUR - 1000)
        assert.equal((await me(signToken(oldSecret, shop.merchantId, 'carol', nowSeconds() + 600))).status, 200)
        clock.advance(1000)
        assert.equal((await me(signToken(oldSecret, shop.merchantId, 'carol', nowSeconds() + 600))).status, 401)
        assert.equal((await me(signToken(newSecret, shop.merchantId, 'carol', nowSeconds() + 600))).status, 200)
      })

      it('forgets a token it verified once its secret is dropped or it expires, though it remembered it', async () => {
        const shop = await t.merchant('Remembering Shop')
        const secret: string = (await t.request('POST', '/v1/wallet-secret/rotate', { key: shop.apiKey })).body.secret
        const token = signToken(secret, shop.merchantId, 'erin', nowSeconds() + 60)
        // Used twice: the second is answered from memory.
        assert.equal((await me(token)).status, 200)
        assert.equal((await me(token)).status, 200)
        clock.advance(61 * 1000)
        assert.equal((await me(token)).status, 401, 'expired while remembered')

        const lasting = signToken(secret, shop.merchantId, 'erin', nowSeconds() + 3600)
        assert.equal((await me(lasting)).status, 200)
        assert.equal((await me(lasting)).status, 200)
        await t.request('POST', '/v1/wallet-secret/rotate', { key: shop.apiKey })
        assert.equal((await me(lasting)).status, 200, 'the previous secret keeps verifying')
        await t.request('POST', '/v1/wallet-secret/rotate', { key: shop.apiKey })
        assert.equal((await me(lasting)).status, 401, 'a secret two rotations old stops at once')
      })

      it('refuses a self-signed token meant to live longer than a day', async () => {
        const { secret } = (await t.request('POST', '/v1/wallet-secret/rotate', { key })).body
        assert.equal((await me(signToken(secret, merchantId, 'eve', nowSeconds() + 24 * 3600))).status, 200)
        assert.equal((await me(signToken(secret, merchantId, 'eve', nowSeconds() + 7 * 24 * 3600))).status, 401)
        assert.equal((await me(signToken(secret, 'mch_00000000000000000000000000', 'eve', nowSeconds() + 600))).status, 401)
      })
    })

    describe('sign-in with a one-time code', () => {
      let phoneSeq = 13_900_000_000
      const nextPhone = () => String(phoneSeq++)
      const requestCode = (body: Record<string, unknown>) => t.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, ...body } })
      const signIn = (challengeId: string, code: string, merchant = merchantId) =>
        t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchant, challenge_id: challengeId, code } })
      const lastCode = () => t.notifier.sent[t.notifier.sent.length - 1].code
      const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

      it('sends a code to a phone and trades it for a 24-hour token of a stable customer', async () => {
        const requested = await requestCode({ phone: '138 0013 8000' })
        assert.equal(requested.status, 202, requested.text)
        assert.match(requested.body.challenge_id, /^otp_/)
        assert.equal(requested.body.expires_at, formatInstant(clock.now() + 5 * 60_000, 'Asia/Shanghai'))
        const sent = t.notifier.sent[t.notifier.sent.length - 1]
        assert.deepEqual({ ...sent, code: 'x' }, { merchantId, channel: 'phone', destination: '+8613800138000', code: 'x' })
        assert.match(sent.code, /^[0-9]{6}$/)

        // Only a keyed hash of the code is stored.
        const stored = await t.ctx.database.db.selectFrom('otp_challenges').selectAll().where('id', '=', requested.body.challenge_id).executeTakeFirstOrThrow()
        assert.ok(!stored.code_hash.includes(sent.code))

        const session = await signIn(requested.body.challenge_id, sent.code)
        assert.equal(session.status, 201, session.text)
        assert.match(session.body.user_id, /^cus_[0-9a-z]{26}$/)
        assert.equal(session.body.token.split('.')[3], String(nowSeconds() + 24 * 3600))
        assert.equal((await me(session.body.token)).body.user_id, session.body.user_id)

        clock.advance(61_000)
        const again = await requestCode({ phone: '+86 138-0013-8000' })
        assert.equal(again.status, 202, again.text)
        const secondSession = await signIn(again.body.challenge_id, lastCode())
        assert.equal(secondSession.body.user_id, session.body.user_id)
      })

      it('shows staff who holds a coupon by the masked contact they signed in with, never the whole of it', async () => {
        const phone = nextPhone()
        const requested = await requestCode({ phone })
        const { user_id: userId } = (await signIn(requested.body.challenge_id, lastCode())).body
        const card = await t.request('POST', '/v1/cards', { key, body: { type: 'cash', title: 'Tea', notice: 'Show at the till', reduce_cost: 500, least_cost: 2000, validity: { type: 'fixed_term', days: 30 }, stock: 10 } })
        assert.equal(card.status, 201, card.text)
        const lookUp = async (user: string) => {
          const issued = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: user } })
          assert.equal(issued.status, 201, issued.text)
          return t.request('GET', `/v1/coupons/${issued.body.code}`, { key })
        }
        const held = await lookUp(userId)
        assert.equal(held.status, 200, held.text)
        assert.equal(held.body.user_id, userId)
        assert.equal(held.body.customer_contact, `${phone.slice(0, 3)}****${phone.slice(-4)}`)
        assert.ok(!held.text.includes(phone), 'the whole number is not in the answer')
        // A user of the merchant's own system has no wallet contact to show.
        assert.equal((await lookUp('openid-7')).body.customer_contact, null)
      })

      it('signs in by e-mail, case and spaces aside', async () => {
        const requested = await requestCode({ email: '  Bob@Example.COM ' })
        assert.equal(requested.status, 202, requested.text)
        assert.equal(t.notifier.sent[t.notifier.sent.length - 1].destination, 'bob@example.com')
        assert.equal(t.notifier.sent[t.notifier.sent.length - 1].channel, 'email')
        const session = await signIn(requested.body.challenge_id, lastCode())
        assert.equal(session.status, 201, session.text)
        const row = await t.ctx.database.db.selectFrom('customers').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', session.body.user_id).executeTakeFirstOrThrow()
        assert.equal(row.email, 'bob@example.com')
        assert.equal(row.phone, null)
      })

      it('refuses a wrong code, yet the right one still works within the tries left; a used code never works again', async () => {
        const { challenge_id } = (await requestCode({ phone: nextPhone() })).body
        const code = lastCode()
        const refused = await signIn(challenge_id, wrong(code))
        assert.equal(refused.status, 401)
        assert.equal(refused.body.code, 'otp_invalid')
        assert.equal((await signIn(challenge_id, code)).status, 201)
        const reused = await signIn(challenge_id, code)
        assert.equal(reused.status, 401)
        assert.equal(reused.body.code, 'otp_invalid')
      })

      it('gives up after five tries', async () => {
        const { challenge_id } = (await requestCode({ phone: nextPhone() })).body
        const code = lastCode()
        for (let i = 0; i < 5; i++) assert.equal((await signIn(challenge_id, wrong(code))).body.code, 'otp_invalid')
        const right = await signIn(challenge_id, code)
        assert.equal(right.status, 401)
        assert.equal(right.body.code, 'otp_invalid')
      })

      it('lets a code expire after five minutes', async () => {
        const { challenge_id } = (await requestCode({ phone: nextPhone() })).body
        const code = lastCode()
        clock.advance(5 * 60_000)
        const late = await signIn(challenge_id, code)
        assert.equal(late.status, 401)
        assert.equal(late.body.code, 'otp_invalid')
      })

      it('takes a code at its own merchant only', async () => {
        const other = await t.merchant('Elsewhere')
        const { challenge_id } = (await requestCode({ phone: nextPhone() })).body
        assert.equal((await signIn(challenge_id, lastCode(), other.merchantId)).body.code, 'otp_invalid')
      })

      it('sends at most one code a minute and five an hour to one contact', async () => {
        const phone = nextPhone()
        assert.equal((await requestCode({ phone })).status, 202)
        clock.advance(59_000)
        const tooSoon = await requestCode({ phone })
        assert.equal(tooSoon.status, 429)
        assert.equal(tooSoon.body.code, 'otp_rate_limited')
        assert.equal(tooSoon.headers['retry-after'], '1')
        assert.equal((await requestCode({ phone: nextPhone() })).status, 202, 'another phone is not held up')
        for (let i = 0; i < 4; i++) {
          clock.advance(60_000)
          assert.equal((await requestCode({ phone })).status, 202)
        }
        clock.advance(60_000)
        const sixth = await requestCode({ phone })
        assert.equal(sixth.status, 429)
        assert.equal(sixth.body.code, 'otp_rate_limited')
        clock.advance(HOUR)
        assert.equal((await requestCode({ phone })).status, 202)
      })

      it('answers alike whether or not the contact is already a customer', async () => {
        const known = await requestCode({ phone: '13800138000' })
        const unknown = await requestCode({ phone: nextPhone() })
        assert.equal(known.status, 202)
        assert.equal(unknown.status, known.status)
        assert.deepEqual(Object.keys(unknown.body).sort(), Object.keys(known.body).sort())
      })

      it('answers 404 for an unknown merchant', async () => {
        const requested = await t.request('POST', '/v1/wallet/otp', { body: { merchant_id: 'mch_00000000000000000000000000', phone: nextPhone() } })
        assert.equal(requested.status, 404)
        assert.equal(requested.body.code, 'merchant_not_found')
        const session = await signIn('otp_00000000000000000000000000', '123456', 'mch_00000000000000000000000000')
        assert.equal(session.status, 404)
      })

      it('rejects bad input with the field names', async () => {
        const cases: [string, Record<string, unknown>, string[]][] = [
          ['/v1/wallet/otp', { merchant_id: merchantId }, ['phone', 'email']],
          ['/v1/wallet/otp', { merchant_id: merchantId, phone: '13800138000', email: 'a@b.cn' }, ['phone', 'email']],
          ['/v1/wallet/otp', { merchant_id: merchantId, phone: 'call me' }, ['phone']],
          ['/v1/wallet/otp', { merchant_id: merchantId, email: 'not-an-address' }, ['email']],
          ['/v1/wallet/otp', { merchant_id: merchantId, phone: 13800138000 }, ['phone']],
          ['/v1/wallet/otp', { phone: '13800138000' }, ['merchant_id']],
          ['/v1/wallet/sessions', { merchant_id: merchantId, challenge_id: 'otp_x', code: '12ab56' }, ['code']],
          ['/v1/wallet/sessions', { merchant_id: merchantId, code: '123456' }, ['challenge_id']],
        ]
        for (const [url, body, fields] of cases) {
          const res = await t.request('POST', url, { body })
          assert.equal(res.status, 422, `${url} ${JSON.stringify(body)}: ${res.text}`)
          assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field).sort(), [...fields].sort(), res.text)
        }
      })
    })
  })
}
