import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { capturedLogger } from '../helpers/logs.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectStatus, merchantApi, ms, type MerchantApi } from '../helpers/merchant-api.ts'
import { createMemberCard, join, order, postPoints } from '../helpers/member-api.ts'
import { useReceiver, verifySignature, type Received } from '../helpers/webhook-receiver.ts'
import { mailSubject, mailText, useSmtp } from '../helpers/smtp.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { sendCustomerMessages } from '../../src/jobs/send-customer-messages.job.ts'
import { remindExpiringCoupons } from '../../src/jobs/remind-expiring-coupons.job.ts'
import { notifyExpiringPoints } from '../../src/jobs/notify-expiring-points.job.ts'
import { MESSAGE_RETRY_SCHEDULE } from '../../src/features/messaging/messaging.service.ts'

const START = '2026-03-10T02:00:00Z'
const DAY = 86_400_000

interface SentMessage {
  id: string
  channel: string
  destination: string
  kind: string
  text: string
  status: string
  error: string | null
}

for (const engine of ENGINES) {
  describe(`customer notifications on their channels on ${engine}`, await engineOptions(engine), () => {
    const { lines: log, logger } = capturedLogger()
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock, realMessaging: true, build: { logger } })
    const receiver = useReceiver()
    const smtp = useSmtp()

    const sentMessages = async (m: MerchantApi): Promise<SentMessage[]> => expectStatus(await m.get('/v1/sent-messages?limit=200'), 200).data
    const notCodes = (messages: SentMessage[]) => messages.filter((message) => message.kind !== 'one_time_code')
    const sendDue = async () => (await runJobsOnce(t.ctx, [sendCustomerMessages]))['send-customer-messages']
    const hooksTo = (path: string) => receiver.received.filter((request: Received) => request.path === path)

    /** A merchant of this name and language whose customer signs in to the wallet with each contact, before any channel is set up. */
    const merchantWithCustomers = async (name: string, language: 'zh-CN' | 'en', contacts: Record<string, string>[]) => {
      const { merchantId, apiKey } = await t.merchant(name)
      const m = merchantApi(t, apiKey)
      expectStatus(await m.patch('/v1/merchant', { language }), 200)
      const userIds: string[] = []
      for (const contact of contacts) {
        const challenge = expectStatus(await t.request('POST', '/v1/wallet/otp', { body: { merchant_id: merchantId, ...contact } }), 202)
        const code = /(\d{6})/.exec((await sentMessages(m))[0].text)![1]
        const session = expectStatus(await t.request('POST', '/v1/wallet/sessions', { body: { merchant_id: merchantId, challenge_id: challenge.challenge_id, code } }), 201)
        userIds.push(session.user_id)
      }
      return { m, merchantId, userIds }
    }
    const setUpSms = async (m: MerchantApi, path: string): Promise<string> => expectStatus(await m.put('/v1/message-channels/sms', { url: `${receiver.url}${path}` }), 200).secret
    const setUpEmail = async (m: MerchantApi, from: string) => expectStatus(await m.put('/v1/message-channels/email', { smtp_url: smtp.url, from }), 200)

    it('texts and mails points, level, coupon expiry and expiring-points notices to the customer’s own contact, in Chinese by default, and records each', async () => {
      clock.set(START)
      const { m, merchantId, userIds: [phoneUser, mailUser] } = await merchantWithCustomers('Tea House', 'zh-CN', [{ phone: '13800138000' }, { email: 'Amy@Example.com' }])
      const secret = await setUpSms(m, '/sms-tea')
      await setUpEmail(m, 'shop@tea.example')
      const memberCard = await createMemberCard(m, { points_expiry: { type: 'days', days: 30, notice_days: 7 } })
      const member = await join(m, memberCard.id, phoneUser)
      await order(m, member.id, { order_ref: 'big', order_amount: 150_000 })

      const queued = notCodes(await sentMessages(m))
      assert.deepEqual(queued.map((s) => [s.channel, s.destination, s.kind, s.status]).sort(), [
        ['sms', '+8613800138000', 'member.level_changed', 'pending'],
        ['sms', '+8613800138000', 'points.changed', 'pending'],
      ])
      assert.equal(await sendDue(), 2)
      const texts = hooksTo('/hooks/sms-tea').map((hook) => {
        assert.ok(verifySignature(hook, secret, Math.floor(Date.now() / 1000)), 'signed with the hook’s secret')
        assert.equal(hook.body.merchant_id, merchantId)
        return [hook.body.data.to, hook.body.data.kind, hook.body.data.text]
      })
      assert.deepEqual(texts.sort(), [
        ['+8613800138000', 'member.level_changed', '【Tea House】会员升级：您的会员等级已由“Member”变为“Silver”。'],
        ['+8613800138000', 'points.changed', '【Tea House】积分到账：积分 +1500（订单 big），当前积分 1500。'],
      ])
      assert.deepEqual(notCodes(await sentMessages(m)).map((s) => [s.kind, s.status, s.error]).sort(), [['member.level_changed', 'sent', null], ['points.changed', 'sent', null]])
      assert.equal(await sendDue(), 0, 'each message goes once')

      // The e-mail customer is reminded of a coupon once, by mail, with the subject and text of the notice.
      const card = await m.createCard(cashCard({ remind_days_before: 1, validity: { type: 'fixed_term', days: 10 } }))
      const coupon = await m.issue(card.id, mailUser)
      clock.set(ms(coupon.valid_until) - DAY)
      await runJobsOnce(t.ctx, [remindExpiringCoupons])
      await runJobsOnce(t.ctx, [remindExpiringCoupons])
      const mailsBefore = smtp.mails.length
      assert.equal(await sendDue(), 1)
      const [mail] = smtp.mails.slice(mailsBefore)
      assert.deepEqual([mail.from, mail.to], ['shop@tea.example', ['amy@example.com']])
      assert.equal(mailSubject(mail.raw), '【Tea House】优惠券即将过期')
      assert.equal(mailText(mail.raw), '【Tea House】优惠券即将过期：“满100减20”可使用至 2026-03-19 23:59。')
      const [reminder] = notCodes(await sentMessages(m))
      assert.deepEqual(reminder, { ...reminder, channel: 'email', destination: 'amy@example.com', kind: 'coupon.expiring', status: 'sent', text: mailText(mail.raw) })

      // Points about to expire: the phone customer is told a week ahead.
      clock.set('2026-04-02T12:00:00+08:00')
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      assert.equal(await sendDue(), 1)
      assert.equal(hooksTo('/hooks/sms-tea').at(-1)!.body.data.text, '【Tea House】积分即将过期：1500 积分将于 2026-04-09 00:00 过期，请尽快使用。')

      // Every message was also the customer's inbox notification.
      const inbox = expectStatus(await m.get(`/v1/users/${phoneUser}/notifications`), 200).data
      assert.deepEqual(inbox.map((n: { kind: string }) => n.kind).sort(), ['member.level_changed', 'points.changed', 'points.expiring'])
    })

    it('speaks the merchant’s language, and sends nothing to a user without a contact', async () => {
      clock.set(START)
      const { m, userIds: [mailUser] } = await merchantWithCustomers('Corner Shop', 'en', [{ email: 'bob@example.com' }])
      await setUpEmail(m, 'hello@corner.example')
      const memberCard = await createMemberCard(m)
      const member = await join(m, memberCard.id, mailUser)
      const stranger = await join(m, memberCard.id, 'merchant-own-id-7')
      expectStatus(await postPoints(t, m.key, member.id, { delta: 5, reason: 'Welcome' }), 201)
      expectStatus(await postPoints(t, m.key, stranger.id, { delta: 5, reason: 'Welcome' }), 201)
      const mailsBefore = smtp.mails.length
      assert.equal(await sendDue(), 1)
      const [mail] = smtp.mails.slice(mailsBefore)
      assert.deepEqual(mail.to, ['bob@example.com'])
      assert.equal(mailSubject(mail.raw), '[Corner Shop] Points earned')
      assert.equal(mailText(mail.raw), '[Corner Shop] Points earned: Points +5 (Welcome). Balance: 5.')
      assert.deepEqual(notCodes(await sentMessages(m)).map((s) => [s.destination, s.kind, s.status]), [['bob@example.com', 'points.changed', 'sent']])
      assert.equal(expectStatus(await m.get('/v1/users/merchant-own-id-7/notifications'), 200).data.length, 1, 'the user without a contact still has the inbox notice')
    })

    it('with no provider, only records the message for the owner, never in the log', async () => {
      clock.set(START)
      const { m, userIds: [phoneUser] } = await merchantWithCustomers('Quiet Shop', 'zh-CN', [{ phone: '13600136000' }])
      const member = await join(m, (await createMemberCard(m)).id, phoneUser)
      const logStart = log.length
      expectStatus(await postPoints(t, m.key, member.id, { delta: 8, reason: '开业礼' }), 201)
      assert.equal(await sendDue(), 1)
      const [message] = notCodes(await sentMessages(m))
      assert.deepEqual(message, { ...message, channel: 'sms', destination: '+8613600136000', kind: 'points.changed', status: 'not_sent', error: 'no SMS provider is set up', text: '【Quiet Shop】积分到账：积分 +8（开业礼），当前积分 8。' })
      assert.ok(!log.slice(logStart).join('').includes('开业礼'), 'the text is not logged')
    })

    it('keeps the inbox notice and tries again when the gateway fails, then records the message as failed after the last try', async () => {
      clock.set(START)
      const { m, userIds: [phoneUser] } = await merchantWithCustomers('Flaky Gateway', 'zh-CN', [{ phone: '13700137000' }])
      await setUpSms(m, '/flaky')
      const member = await join(m, (await createMemberCard(m)).id, phoneUser)
      let gatewayUp = false
      receiver.behave((request) => (request.path === '/hooks/flaky' && !gatewayUp ? 503 : 200))
      try {
        expectStatus(await postPoints(t, m.key, member.id, { delta: 1, reason: 'first' }), 201)
        assert.equal(await sendDue(), 1, 'a failed try does not fail the job')
        const [waiting] = notCodes(await sentMessages(m))
        assert.deepEqual([waiting.status, waiting.error], ['pending', 'the gateway answered 503'])
        assert.equal(expectStatus(await m.get(`/v1/users/${phoneUser}/notifications`), 200).data.length, 1, 'the inbox notice stays')
        assert.equal(await sendDue(), 0, 'not again before its retry is due')

        gatewayUp = true
        clock.advance(MESSAGE_RETRY_SCHEDULE[0] * 1200 + 1000)
        assert.equal(await sendDue(), 1)
        assert.deepEqual(notCodes(await sentMessages(m)).map((s) => [s.status, s.error]), [['sent', null]])
        assert.deepEqual(hooksTo('/hooks/flaky').map((hook) => hook.body.id), [waiting.id, waiting.id], 'the retry is the same message')

        gatewayUp = false
        expectStatus(await postPoints(t, m.key, member.id, { delta: 1, reason: 'second' }), 201)
        for (let tries = 0; tries <= MESSAGE_RETRY_SCHEDULE.length; tries++) {
          assert.equal(await sendDue(), 1)
          clock.advance(3 * 3_600_000)
        }
        assert.equal(await sendDue(), 0, 'given up after the last try')
        const [givenUp] = notCodes(await sentMessages(m))
        assert.deepEqual([givenUp.status, givenUp.error], ['failed', 'the gateway answered 503'])
        assert.equal(hooksTo('/hooks/flaky').filter((hook) => hook.body.id === givenUp.id).length, MESSAGE_RETRY_SCHEDULE.length + 1)
      } finally {
        receiver.behave(() => 200)
      }
    })

    it('sends each queued message once when two senders run at the same time', async () => {
      clock.set(START)
      const { m, userIds: [phoneUser] } = await merchantWithCustomers('Busy Shop', 'zh-CN', [{ phone: '13500135000' }])
      await setUpSms(m, '/busy')
      const member = await join(m, (await createMemberCard(m)).id, phoneUser)
      for (let n = 1; n <= 6; n++) expectStatus(await postPoints(t, m.key, member.id, { delta: n, reason: `gift ${n}` }), 201)
      const runs = await Promise.all([sendCustomerMessages.run(t.ctx, clock.now()), sendCustomerMessages.run(t.ctx, clock.now())])
      assert.equal(runs[0] + runs[1], 6)
      const ids = hooksTo('/hooks/busy').map((hook) => hook.body.id)
      assert.equal(new Set(ids).size, 6)
      assert.equal(ids.length, 6, 'no message went twice')
      assert.deepEqual(notCodes(await sentMessages(m)).map((s) => s.status), Array(6).fill('sent'))
    })
  })
}
