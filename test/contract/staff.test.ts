import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields, assertProblem } from '../helpers/problem.ts'
import { sessionCookieOf, setUpOwner, signInStaff, staffClient, type StaffClient } from '../helpers/staff-session.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const MINUTE = 60 * 1000
const HOUR = 60 * MINUTE
const PASSWORD = 'correct horse battery'

for (const engine of ENGINES) {
  describe(`staff accounts and sessions on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let owner: StaffClient
    let storeId: string
    let otherStoreId: string

    /** Creates an account as the owner and signs it in. */
    const newStaff = async (login: string, role: string, extra: Record<string, unknown> = {}) => {
      const created = await owner.post('/v1/staff', { login, password: PASSWORD, role, ...extra })
      assert.equal(created.status, 201, created.text)
      return { id: created.body.id as string, client: await signInStaff(t, login, PASSWORD) }
    }

    before(async () => {
      clock = new ManualClock('2030-03-01T02:00:00Z')
      t = await startTestApp(engine, { clock })
    })
    after(() => t.close())

    describe('first run', () => {
      it('creates the merchant and its owner once, signed in with an HttpOnly SameSite=Lax cookie, then closes', async () => {
        assert.deepEqual((await t.request('GET', '/v1/setup')).body, { setup_required: true, merchants_exist: false })
        assertInvalidFields(await t.request('POST', '/v1/setup', { body: { merchant_name: 'Tea House', login: 'owner', password: 'short' } }), ['password'])
        assertInvalidFields(await t.request('POST', '/v1/setup', { body: { merchant_name: ' ', login: 'x', password: PASSWORD } }), ['merchant_name', 'login'])
        assertInvalidFields(await t.request('POST', '/v1/setup', { body: { merchant_name: 'Tea House', login: 'owner@tea.example', password: PASSWORD, timezone: 'Mars/Olympus' } }), ['timezone'])

        const res = await t.request('POST', '/v1/setup', { body: { merchant_name: 'Tea House', login: ' Owner@Tea.example ', name: '王老板', password: PASSWORD } })
        assert.equal(res.status, 201, res.text)
        assert.equal(res.body.staff.role, 'owner')
        assert.equal(res.body.staff.login, 'owner@tea.example')
        assert.equal(res.body.staff.name, '王老板')
        assert.equal(res.body.merchant.name, 'Tea House')
        assert.equal(res.body.merchant.timezone, 'Asia/Shanghai')
        assert.equal(res.body.expires_at, '2030-03-01T22:00:00+08:00', 'a session lasts 12 hours')
        const cookie = sessionCookieOf(res)
        assert.match(cookie.attributes, /HttpOnly/)
        assert.match(cookie.attributes, /SameSite=Lax/)
        assert.match(cookie.attributes, /Path=\//)
        assert.doesNotMatch(cookie.attributes, /Secure/, 'not Secure over plain http')
        owner = { ...staffClient(t, cookie.pair, res.body.csrf_token), session: res.body }

        assert.deepEqual((await t.request('GET', '/v1/setup')).body, { setup_required: false, merchants_exist: true })
        assertProblem(await t.request('POST', '/v1/setup', { body: { merchant_name: 'Intruder', login: 'intruder', password: PASSWORD } }), 409, 'setup_closed')
        assertProblem(await t.request('POST', '/v1/staff/sessions', { body: { login: 'intruder', password: PASSWORD } }), 401, 'invalid_credentials')
      })

      it('refuses a first run once a merchant exists, and says so to the first-run page', async () => {
        const fresh = await startTestApp(engine)
        try {
          await fresh.merchant('Made by the CLI')
          assert.deepEqual((await fresh.request('GET', '/v1/setup')).body, { setup_required: true, merchants_exist: true })
          assertProblem(await fresh.request('POST', '/v1/setup', { body: { merchant_name: 'Second', login: 'owner', password: PASSWORD } }), 409, 'setup_done')
          assert.equal((await fresh.db.database.db.selectFrom('merchants').select('id').execute()).length, 1, 'no second merchant')
          assert.equal((await fresh.db.database.db.selectFrom('staff').select('id').execute()).length, 0)
        } finally {
          await fresh.close()
        }
      })

      it('lets exactly one of several simultaneous first runs succeed', async () => {
        const fresh = await startTestApp(engine)
        try {
          const results = await Promise.all(
            Array.from({ length: 4 }, (_, i) => fresh.request('POST', '/v1/setup', { body: { merchant_name: `Shop ${i}`, login: `owner${i}`, password: PASSWORD } })),
          )
          assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409], results.map((r) => r.text).join('\n'))
          const merchants = await fresh.db.database.db.selectFrom('merchants').select('id').execute()
          assert.equal(merchants.length, 1, 'the losers left no merchant behind')
          assert.equal((await fresh.db.database.db.selectFrom('staff').select('id').execute()).length, 1)
        } finally {
          await fresh.close()
        }
      })

      it('stores the password as a salted scrypt hash and the session token only as a hash', async () => {
        const rows = await t.db.database.db.selectFrom('staff').selectAll().execute()
        assert.match(rows[0].password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
        assert.ok(!JSON.stringify(rows).includes(PASSWORD))
        const token = owner.cookie.split('=')[1]
        const sessions = await t.db.database.db.selectFrom('staff_sessions').selectAll().execute()
        assert.ok(sessions.length >= 1)
        assert.ok(!JSON.stringify(sessions).includes(token), 'no session token in clear')
      })
    })

    describe('sessions', () => {
      before(async () => {
        storeId = (await owner.post('/v1/stores', { name: 'Jing’an' })).body.id
        otherStoreId = (await owner.post('/v1/stores', { name: 'Xuhui' })).body.id
        assert.ok(storeId && otherStoreId)
      })

      it('tells the signed-in staff member who they are, with the CSRF token', async () => {
        const me = await owner.get('/v1/staff/session')
        assert.equal(me.status, 200, me.text)
        assert.equal(me.body.staff.id, owner.session.staff.id)
        assert.equal(me.body.csrf_token, owner.csrfToken)
        assertProblem(await t.request('GET', '/v1/staff/session'), 401, 'unauthenticated')
        assertProblem(await t.request('GET', '/v1/staff/session', { headers: { cookie: 'kabao_session=forged' } }), 401, 'unauthenticated')
      })

      it('lets the cookie call the merchant API, but refuses writes without the session’s CSRF token', async () => {
        assert.equal((await owner.get('/v1/cards')).status, 200)
        assertProblem(await owner.post('/v1/stores', { name: 'No token' }, { csrf: null }), 403, 'csrf_token_invalid')
        assertProblem(await owner.post('/v1/stores', { name: 'Wrong token' }, { csrf: 'x'.repeat(43) }), 403, 'csrf_token_invalid')
        const other = await signInStaff(t, 'owner@tea.example', PASSWORD)
        assertProblem(await owner.post('/v1/stores', { name: 'Another session’s token' }, { csrf: other.csrfToken }), 403, 'csrf_token_invalid')
        const made = await owner.post('/v1/stores', { name: 'With token' })
        assert.equal(made.status, 201, made.text)
        const stores = (await owner.get('/v1/stores?limit=500')).body.data.map((s: { name: string }) => s.name)
        assert.ok(!stores.includes('No token') && !stores.includes('Wrong token'), 'refused writes changed nothing')
      })

      it('refuses a sign-in posted from another site', async () => {
        const res = await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD }, headers: { origin: 'https://evil.example', host: 'kabao.test' } })
        assertProblem(res, 403, 'forbidden')
        const same = await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD }, headers: { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' } })
        assert.equal(same.status, 201, same.text)
        // Behind a proxy the Host header may be the internal one; the public address counts too.
        const proxied = await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD }, headers: { origin: 'http://kabao.test', host: '10.0.0.5:8080' } })
        assert.equal(proxied.status, 201, proxied.text)
      })

      it('signs out: the cookie stops working at once', async () => {
        const session = await signInStaff(t, 'OWNER@tea.example', PASSWORD)
        assert.equal((await session.get('/v1/cards')).status, 200)
        assertProblem(await session.call('DELETE', '/v1/staff/session', undefined, { csrf: null }), 403, 'csrf_token_invalid')
        const out = await session.call('DELETE', '/v1/staff/session')
        assert.equal(out.status, 204, out.text)
        assert.match(String(out.headers['set-cookie']), /kabao_session=;/)
        assertProblem(await session.get('/v1/cards'), 401, 'unauthenticated')
      })

      it('ends a session after 12 hours', async () => {
        const session = await signInStaff(t, 'owner@tea.example', PASSWORD)
        clock.advance(12 * HOUR - 1000)
        assert.equal((await session.get('/v1/cards')).status, 200)
        clock.advance(1000)
        assertProblem(await session.get('/v1/cards'), 401, 'unauthenticated')
        owner = await signInStaff(t, 'owner@tea.example', PASSWORD)
      })

      it('answers every failed sign-in alike, and refuses a name for 15 minutes after 5 failures', async () => {
        const unknown = assertProblem(await t.request('POST', '/v1/staff/sessions', { body: { login: 'nobody', password: PASSWORD } }), 401, 'invalid_credentials')
        const wrong = assertProblem(await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: 'wrong password' } }), 401, 'invalid_credentials')
        assert.equal(unknown.detail, wrong.detail)
        for (let i = 0; i < 4; i++) await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: `wrong ${i}` } })
        const limited = await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD } })
        assertProblem(limited, 429, 'rate_limited')
        assert.equal(limited.headers['retry-after'], String(15 * 60))
        clock.advance(15 * MINUTE - 1000)
        assertProblem(await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD } }), 429, 'rate_limited')
        clock.advance(1000)
        const signedIn = await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD } })
        assert.equal(signedIn.status, 201, signedIn.text)
        // A success clears the name's failures: one more mistake is not yet a lock-out.
        await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: 'wrong again' } })
        assert.equal((await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner@tea.example', password: PASSWORD } })).status, 201)
      })
    })

    describe('roles', () => {
      it('checks new accounts: sign-in name, password, and a store for clerks only', async () => {
        assertInvalidFields(await owner.post('/v1/staff', { login: 'a', password: PASSWORD, role: 'operator' }), ['login'])
        assertInvalidFields(await owner.post('/v1/staff', { login: 'abc', password: 'short', role: 'operator' }), ['password'])
        assertInvalidFields(await owner.post('/v1/staff', { login: 'clerk-without-store', password: PASSWORD, role: 'clerk' }), ['store_id'])
        assertInvalidFields(await owner.post('/v1/staff', { login: 'operator-with-store', password: PASSWORD, role: 'operator', store_id: storeId }), ['store_id'])
        assertInvalidFields(await owner.post('/v1/staff', { login: 'clerk-bad-store', password: PASSWORD, role: 'clerk', store_id: 'sto_unknown' }), ['store_id'])
        assertInvalidFields(await owner.post('/v1/staff', { login: 'boss', password: PASSWORD, role: 'boss' }), ['role'])
        assertProblem(await owner.post('/v1/staff', { login: 'OWNER@tea.example', password: PASSWORD, role: 'operator' }), 409, 'login_taken')
      })

      it('lets an operator run the business but not manage staff or API keys', async () => {
        const { client: operator } = await newStaff('operator@tea.example', 'operator')
        const card = await operator.post('/v1/cards', cashCard())
        assert.equal(card.status, 201, card.text)
        assert.equal((await operator.get('/v1/staff')).status, 200)
        assertProblem(await operator.post('/v1/staff', { login: 'sneaky', password: PASSWORD, role: 'owner' }), 403, 'forbidden')
        assertProblem(await operator.post('/v1/api-keys', { name: 'mine', scope: 'full' }), 403, 'forbidden')
        assertProblem(await operator.patch(`/v1/staff/${operator.session.staff.id}`, { role: 'owner' }), 403, 'forbidden')
        assert.equal((await owner.post('/v1/api-keys', { name: 'owner key', scope: 'read' })).status, 201)
      })

      it('lets an analyst look at everything and change nothing', async () => {
        const { client: analyst } = await newStaff('analyst@tea.example', 'analyst')
        assert.equal((await analyst.get('/v1/cards')).status, 200)
        assert.equal((await analyst.get('/v1/stats/overview')).status, 200)
        assertProblem(await analyst.post('/v1/cards', cashCard()), 403, 'forbidden')
        assertProblem(await analyst.post('/v1/redemptions', { code: 'X' }), 403, 'forbidden')
      })

      it('lets a clerk redeem in their own store only, and records who redeemed', async () => {
        const { id: clerkId, client: clerk } = await newStaff('clerk@tea.example', 'clerk', { store_id: storeId })
        assert.equal(clerk.session.staff.store_id, storeId)
        const card = (await owner.post('/v1/cards', cashCard({ store_ids: [storeId, otherStoreId] }))).body
        const issue = async (user: string) => (await owner.post(`/v1/cards/${card.id}/issue`, { user_id: user })).body.code as string
        const code = await issue('clerk-user-1')

        assertProblem(await clerk.post('/v1/redemptions', { code, store_id: otherStoreId, order_amount: 12000 }), 403, 'forbidden')
        const check = await clerk.post('/v1/redemptions/check', { code, order_amount: 12000 })
        assert.equal(check.status, 200, check.text)
        assert.equal(check.body.discount_amount, 2000)
        const redeemed = await clerk.call('POST', '/v1/redemptions', { code, order_amount: 12000 })
        assert.equal(redeemed.status, 201, redeemed.text)
        assert.equal(redeemed.body.store_id, storeId, 'the clerk’s store is the redemption’s')
        assert.equal(redeemed.body.staff_id, clerkId)
        assert.equal(redeemed.body.api_key_id, null)
        assert.equal((await clerk.get(`/v1/coupons/${code}`)).body.state, 'redeemed')
        const listed = await clerk.get('/v1/redemptions')
        assert.equal(listed.status, 200)
        assert.ok(listed.body.data.every((r: { store_id: string }) => r.store_id === storeId))

        assertProblem(await clerk.get('/v1/cards'), 403, 'forbidden')
        assertProblem(await clerk.post('/v1/cards', cashCard()), 403, 'forbidden')
        assertProblem(await clerk.get('/v1/stats/overview'), 403, 'forbidden')
      })

      it('replays a clerk’s retried redemption with the same Idempotency-Key instead of redeeming twice', async () => {
        const clerk = await signInStaff(t, 'clerk@tea.example', PASSWORD)
        const card = (await owner.post('/v1/cards', cashCard())).body
        const code = (await owner.post(`/v1/cards/${card.id}/issue`, { user_id: 'retry-user' })).body.code
        const send = () => t.request('POST', '/v1/redemptions', { body: { code, order_amount: 12000 }, headers: { cookie: clerk.cookie, 'x-kabao-csrf': clerk.csrfToken, 'idempotency-key': 'pos-attempt-1' } })
        const first = await send()
        const retry = await send()
        assert.equal(first.status, 201, first.text)
        assert.equal(retry.status, 201, retry.text)
        assert.equal(retry.text, first.text)
        assert.equal(retry.headers['idempotent-replayed'], 'true')
        const rows = await t.db.database.db.selectFrom('redemptions').select('id').where('coupon_id', '=', first.body.coupon_id).execute()
        assert.equal(rows.length, 1)
      })

      it('signs a disabled account out everywhere and refuses its sign-in; keeps at least one owner', async () => {
        const { id, client } = await newStaff('leaver@tea.example', 'operator')
        const disabled = await owner.patch(`/v1/staff/${id}`, { disabled: true })
        assert.equal(disabled.status, 200, disabled.text)
        assert.equal(disabled.body.disabled, true)
        assertProblem(await client.get('/v1/cards'), 401, 'unauthenticated')
        assertProblem(await t.request('POST', '/v1/staff/sessions', { body: { login: 'leaver@tea.example', password: PASSWORD } }), 401, 'invalid_credentials')
        assert.equal((await owner.patch(`/v1/staff/${id}`, { disabled: false })).body.disabled, false)
        assert.equal((await signInStaff(t, 'leaver@tea.example', PASSWORD)).session.staff.id, id)

        const ownerId = owner.session.staff.id
        assertProblem(await owner.patch(`/v1/staff/${ownerId}`, { disabled: true }), 409, 'invalid_state')
        assertProblem(await owner.patch(`/v1/staff/${ownerId}`, { role: 'operator' }), 409, 'invalid_state')
        assert.equal((await owner.get('/v1/cards')).status, 200)
      })

      it('signs other sessions out when a password changes, and checks the current one', async () => {
        const { id, client } = await newStaff('changer@tea.example', 'operator')
        const elsewhere = await signInStaff(t, 'changer@tea.example', PASSWORD)
        assertInvalidFields(await client.post('/v1/staff/session/password', { current_password: 'not it', new_password: 'a new password' }), ['current_password'])
        const changed = await client.post('/v1/staff/session/password', { current_password: PASSWORD, new_password: 'a new password' })
        assert.equal(changed.status, 204, changed.text)
        assert.equal((await client.get('/v1/cards')).status, 200, 'the session that changed it stays')
        assertProblem(await elsewhere.get('/v1/cards'), 401, 'unauthenticated')
        assertProblem(await t.request('POST', '/v1/staff/sessions', { body: { login: 'changer@tea.example', password: PASSWORD } }), 401, 'invalid_credentials')
        assert.equal((await signInStaff(t, 'changer@tea.example', 'a new password')).session.staff.id, id)

        // The owner resets it: every session of the account ends.
        assert.equal((await owner.patch(`/v1/staff/${id}`, { password: 'reset by owner' })).status, 200)
        assertProblem(await client.get('/v1/cards'), 401, 'unauthenticated')
      })

      it('lists staff page by page without password hashes', async () => {
        const first = await owner.get('/v1/staff?limit=2')
        assert.equal(first.status, 200)
        assert.equal(first.body.data.length, 2)
        assert.ok(first.body.next_cursor)
        const second = await owner.get(`/v1/staff?limit=500&cursor=${first.body.next_cursor}`)
        const all = [...first.body.data, ...second.body.data]
        assert.equal(new Set(all.map((s: { id: string }) => s.id)).size, all.length)
        assert.ok(all.some((s: { role: string }) => s.role === 'clerk'))
        assert.ok(!first.text.includes('scrypt') && !second.text.includes('scrypt'))
      })

      it('keeps merchants apart and leaves API keys working as before', async () => {
        const { apiKey } = await t.merchant('Another shop')
        const mine = await owner.get('/v1/staff?limit=1')
        const someone = mine.body.data[0].id
        assertProblem(await t.request('GET', `/v1/staff/${someone}`, { key: apiKey }), 404, 'staff_not_found')
        assertProblem(await t.request('PATCH', `/v1/staff/${someone}`, { key: apiKey, body: { disabled: true } }), 404, 'staff_not_found')
        // A key wins over a cookie, and needs no CSRF token.
        const withBoth = await t.request('POST', '/v1/stores', { key: apiKey, headers: { cookie: owner.cookie }, body: { name: 'Key store' } })
        assert.equal(withBoth.status, 201, withBoth.text)
        assert.equal((await t.request('GET', `/v1/stores/${withBoth.body.id}`, { key: apiKey })).status, 200)
        assertProblem(await owner.get(`/v1/stores/${withBoth.body.id}`), 404, 'store_not_found')
        // A full key may manage staff; the session routes are for staff only.
        assert.equal((await t.request('POST', '/v1/staff', { key: apiKey, body: { login: 'api-made', password: PASSWORD, role: 'owner' } })).status, 201)
        assertProblem(await t.request('GET', '/v1/staff/session', { key: apiKey }), 401, 'unauthenticated')
      })
    })
  })
}
