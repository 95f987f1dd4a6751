import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { capturedLogger } from '../helpers/logs.ts'
import { useTestApp, type TestApp } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'
import { useReceiver, verifySignature } from '../helpers/webhook-receiver.ts'
import { signInStaff } from '../helpers/staff-session.ts'
import { mailText, useSmtp } from '../helpers/smtp.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const START = '2030-03-01T02:00:00Z'

for (const engine of ENGINES) {
  describe(`message delivery on ${engine}`, await engineOptions(engine), () => {
    const { lines: log, logger } = capturedLogger()
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock, realMessaging: true, build: { logger } })
    const receiver = useReceiver()
    const smtp = useSmtp()

    const requestCode = (merchantId: string, contact: Record<string, string>, app: TestApp = t) => app.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, ...contact } })
    const sentMessages = async (key: string) => {
      const res = await t.request('GET', '/v1/sent-messages', { key })
      assert.equal(res.status, 200, res.text)
      return res.body.data as { id: string; channel: string; destination: string; kind: string; text: string; status: string; error: string | null }[]
    }
    const codeIn = (text: string) => /(\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`)

    it('with no provider, records the code for the owner only: not in the log, and it signs the customer in', async () => {
      const { merchantId, apiKey } = await t.merchant('Tea House')
      const logStart = log.length
      const requested = await requestCode(merchantId, { phone: '13800138000' })
      assert.equal(requested.status, 202, requested.text)
      const [message] = await sentMessages(apiKey)
      assert.deepEqual({ ...message, id: 'x', text: 'x' }, { id: 'x', channel: 'sms', destination: '+8613800138000', kind: 'one_time_code', text: 'x', status: 'not_sent', error: 'no SMS provider is set up', created_at: '2030-03-01T10:00:00+08:00' })
      assert.match(message.text, /^【Tea House】您的登录验证码是 \d{6}，5 分钟内有效/)
      const code = codeIn(message.text)
      assert.ok(!log.slice(logStart).join('').includes(code), 'the code is not logged')
      // Stored sealed: the database alone does not give the code.
      const row = await t.db.database.db.selectFrom('sent_messages').selectAll().where('id', '=', message.id).executeTakeFirstOrThrow()
      assert.ok(!row.text_sealed.includes(code))
      const session = await t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchantId, challenge_id: requested.body.challenge_id, code } })
      assert.equal(session.status, 201, session.text)
    })

    it('sends e-mail through the merchant’s SMTP server and never shows its password', async () => {
      const { merchantId, apiKey } = await t.merchant('Bakery')
      const saved = await t.request('PUT', '/v1/message-channels/email', { key: apiKey, body: { smtp_url: smtp.url, from: 'shop@bakery.example' } })
      assert.equal(saved.status, 200, saved.text)
      assert.deepEqual(saved.body, { channel: 'email', from: 'shop@bakery.example', smtp_host: new URL(smtp.url).host })
      assert.ok(!saved.text.includes('s3cret'))
      const listed = await t.request('GET', '/v1/message-channels', { key: apiKey })
      assert.deepEqual(listed.body, { data: [saved.body] })
      const row = await t.db.database.db.selectFrom('message_channels').selectAll().where('merchant_id', '=', merchantId).executeTakeFirstOrThrow()
      assert.ok(!row.settings_sealed.includes('s3cret'), 'the SMTP password is sealed')

      const requested = await requestCode(merchantId, { email: 'Amy@Example.com' })
      assert.equal(requested.status, 202, requested.text)
      const mail = smtp.mails.at(-1)!
      assert.deepEqual({ from: mail.from, to: mail.to, user: mail.user }, { from: 'shop@bakery.example', to: ['amy@example.com'], user: 'shop' })
      const code = codeIn(mailText(mail.raw))
      const [message] = await sentMessages(apiKey)
      assert.deepEqual([message.channel, message.destination, message.status, message.error], ['email', 'amy@example.com', 'sent', null])
      assert.equal(codeIn(message.text), code)
      const session = await t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchantId, challenge_id: requested.body.challenge_id, code } })
      assert.equal(session.status, 201, session.text)
    })

    it('calls the merchant’s SMS gateway with a signed request, keeping the secret across URL changes unless rotated', async () => {
      const { merchantId, apiKey } = await t.merchant('Noodle Bar')
      const created = await t.request('PUT', '/v1/message-channels/sms', { key: apiKey, body: { url: `${receiver.url}/sms` } })
      assert.equal(created.status, 200, created.text)
      const secret: string = created.body.secret
      assert.match(secret, /^mss_/)
      const changed = await t.request('PUT', '/v1/message-channels/sms', { key: apiKey, body: { url: `${receiver.url}/sms2` } })
      assert.deepEqual(changed.body, { channel: 'sms', url: `${receiver.url}/sms2` }, 'the secret is shown when made only')

      const before = receiver.received.length
      assert.equal((await requestCode(merchantId, { phone: '13900139000' })).status, 202)
      const hook = receiver.received[before]
      assert.ok(hook.path.endsWith('/sms2'), hook.path)
      assert.ok(verifySignature(hook, secret, Math.floor(Date.now() / 1000)), 'signed with the secret it was given')
      assert.deepEqual({ ...hook.body, id: 'x', data: { ...hook.body.data, text: 'x' } }, { id: 'x', type: 'message.send', created_at: '2030-03-01T02:00:00.000Z', merchant_id: merchantId, data: { channel: 'sms', to: '+8613900139000', text: 'x', kind: 'one_time_code' } })
      assert.match(hook.body.data.text, /您的登录验证码是 \d{6}/)

      const rotated = await t.request('PUT', '/v1/message-channels/sms', { key: apiKey, body: { url: `${receiver.url}/sms2`, rotate_secret: true } })
      assert.notEqual(rotated.body.secret, secret)
    })

    it('answers 503 delivery_unavailable when the provider fails, and records why', async () => {
      const { merchantId, apiKey } = await t.merchant('Failing Gateway')
      await t.request('PUT', '/v1/message-channels/sms', { key: apiKey, body: { url: `${receiver.url}/down` } })
      receiver.behave((request) => (request.path.endsWith('/down') ? 500 : 200))
      try {
        assertProblem(await requestCode(merchantId, { phone: '13700137000' }), 503, 'delivery_unavailable')
      } finally {
        receiver.behave(() => 200)
      }
      const [message] = await sentMessages(apiKey)
      assert.deepEqual([message.status, message.error], ['failed', 'the gateway answered 500'])
      const test = await t.request('POST', '/v1/message-channels/sms/test', { key: apiKey, body: { to: '13700137000' } })
      assert.equal(test.status, 200, test.text)
      assert.equal(test.body.status, 'sent')
      assert.equal((await t.request('DELETE', '/v1/message-channels/sms', { key: apiKey })).status, 204)
      assertProblem(await t.request('DELETE', '/v1/message-channels/sms', { key: apiKey }), 404, 'message_channel_not_found')
    })

    it('lets only owners and full keys see or change how customers are reached', async () => {
      const { apiKey } = await t.merchant()
      const staff = async (role: string) => {
        const login = `${role}-${Date.now()}`
        const made = await t.request('POST', '/v1/staff', { key: apiKey, body: { login, password: `${role} password 1`, role } })
        assert.equal(made.status, 201, made.text)
        return signInStaff(t, login, `${role} password 1`)
      }
      const owner = await staff('owner')
      const operator = await staff('operator')
      assertProblem(await operator.get('/v1/sent-messages'), 403, 'forbidden')
      assertProblem(await operator.get('/v1/message-channels'), 403, 'forbidden')
      assertProblem(await operator.call('PUT', '/v1/message-channels/email', { smtp_url: smtp.url, from: 'x@y.example' }), 403, 'forbidden')
      assert.equal((await owner.get('/v1/sent-messages')).status, 200)
      const readKey = (await t.request('POST', '/v1/api-keys', { key: apiKey, body: { name: 'read', scope: 'read' } })).body.api_key
      assertProblem(await t.request('GET', '/v1/sent-messages', { key: readKey }), 403, 'forbidden')
    })

    it('in production, refuses a sign-in code it cannot deliver and keeps the code out of the record', async () => {
      const production = await (await import('../helpers/app.ts')).startTestApp(engine, { clock, realMessaging: true, production: true })
      try {
        const { merchantId, apiKey } = await production.merchant('Live Shop')
        assertProblem(await requestCode(merchantId, { phone: '13600136000' }, production), 503, 'delivery_unavailable')
        const [message] = (await production.request('GET', '/v1/sent-messages', { key: apiKey })).body.data
        assert.equal(message.status, 'not_sent')
        assert.match(message.text, /验证码是 ••••••/)
      } finally {
        await production.close()
      }
    })
  })
}
