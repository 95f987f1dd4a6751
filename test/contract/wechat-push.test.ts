import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard as nativeCashCard, useTestApp, type TestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus } from '../helpers/merchant-api.ts'
import { createMemberCard, join, postPoints } from '../helpers/member-api.ts'
import { wechatApp, wxCashCard as cashCard } from '../helpers/wechat-app.ts'
import { startWechatReceiver, type Push, type WechatReceiver } from '../helpers/wechat-receiver.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { deliverWebhooksOnce, webhookSettings } from '../../src/features/webhooks/webhook-delivery.ts'
import { alertLowStock } from '../../src/jobs/stock-low.job.ts'

const START = '2026-03-02T04:00:00Z'
const settings = webhookSettings({ retrySchedule: [1, 1, 1], timeoutMs: 1000, wechat: { retrySchedule: [1, 1], timeoutMs: 1000 } })

/** The elements every push of an event carries (WECHAT-API.md §4.2–4.3), in order. */
const ENVELOPE = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Event']
const ELEMENTS: Record<string, string[]> = {
  card_pass_check: ['CardId', 'RefuseReason'],
  user_get_card: ['CardId', 'UserCardCode', 'IsGiveByFriend', 'FriendUserName', 'OuterId', 'OuterStr', 'OldUserCardCode', 'IsRestoreMemberCard'],
  user_consume_card: ['CardId', 'UserCardCode', 'ConsumeSource', 'LocationName', 'StaffOpenId', 'VerifyCode', 'RemarkAmount', 'OuterStr'],
  update_member_card: ['CardId', 'UserCardCode', 'ModifyBonus', 'ModifyBalance'],
  card_sku_remind: ['CardId', 'Detail'],
  user_del_card: ['CardId', 'UserCardCode'],
  user_view_card: ['CardId', 'UserCardCode', 'OuterStr'],
}

async function setPush(t: TestApp, apiKey: string, appid: string, body: Record<string, unknown>) {
  return t.request('PUT', `/v1/wechat-apps/${appid}/push`, { key: apiKey, body })
}

for (const engine of ENGINES) {
  describe(`WeChat event pushes on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })
    const deliver = () => deliverWebhooksOnce(t.ctx, settings)
    let rx: WechatReceiver

    const withReceiver = async (run: () => Promise<void>) => {
      rx = await startWechatReceiver()
      try {
        await run()
      } finally {
        await rx.close()
        clock.set(START)
      }
    }

    it('saves a push URL only after the echo check, and pushes every mapped event signed, as parseable XML', () => withReceiver(async () => {
      const { apiKey, appid, originalId, wx, m } = await wechatApp(t)
      // Made before the URL is set: not pushed.
      const before = await wx('/card/create', cashCard)
      assert.equal(before.errcode, 0, JSON.stringify(before))
      clock.advance(1000)

      rx.echo = 'wrong'
      const refused = expectProblem(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: rx.token }), 422, 'validation_failed')
      assert.equal(refused.errors[0].code, 'echo_failed')
      assert.equal(expectStatus(await m.get('/v1/wechat-apps'), 200).data[0].push_url, null)
      rx.echo = 'right'
      expectProblem(await setPush(t, apiKey, appid, { push_url: rx.url }), 422, 'validation_failed')
      expectProblem(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: 'no spaces!' }), 422, 'validation_failed')
      const saved = expectStatus(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: rx.token }), 200)
      assert.equal(saved.push_url, rx.url)
      assert.equal(saved.card_pass_check, true)
      assert.deepEqual(rx.echoes, [{ signed: true }, { signed: true }], 'the wrong echo and the right one; refused input is not checked')

      const card = await wx('/card/create', cashCard)
      const issued = await wx('/kabao/card/issue', { card_id: card.card_id, openid: 'user-42', outer_str: 'poster-a' })
      assert.equal(issued.errcode, 0, JSON.stringify(issued))
      assert.equal((await wx('/card/code/consume', { code: issued.code })).errcode, 0)
      // A refused consume changes nothing, so it pushes nothing.
      assert.equal((await wx('/card/code/consume', { code: issued.code })).errcode, 40099)
      assert.equal((await wx('/card/modifystock', { card_id: card.card_id, reduce_stock_value: 8 })).errcode, 0)
      await alertLowStock.run(t.ctx, clock.now())
      const club = await createMemberCard(m)
      const member = await join(m, club.id, 'user-42')
      expectStatus(await postPoints(t, apiKey, member.id, { delta: 100, reason: 'Welcome' }), 201)
      expectStatus(await postPoints(t, apiKey, member.id, { delta: -30, reason: 'Gift shop' }), 201)

      await deliver()
      const byEvent = (name: string) => rx.pushes.filter((p) => p.fields.Event === name)
      assert.ok(rx.pushes.length > 0)
      for (const push of rx.pushes) {
        assert.equal(push.signed, true)
        assert.match(push.contentType, /^text\/xml/)
        assert.equal(push.fields.ToUserName, originalId)
        assert.equal(push.fields.MsgType, 'event')
        assert.deepEqual(push.names, [...ENVELOPE, ...(ELEMENTS[push.fields.Event] ?? [])], push.raw)
      }
      const passes = byEvent('card_pass_check')
      assert.deepEqual(passes.map((p) => [p.fields.CardId, p.fields.FromUserName]), [[card.card_id, originalId]])
      const got = byEvent('user_get_card').filter((p) => p.fields.CardId === card.card_id)
      assert.equal(got.length, 1)
      assert.deepEqual([got[0].fields.FromUserName, got[0].fields.UserCardCode, got[0].fields.OuterStr, got[0].fields.IsGiveByFriend], ['user-42', issued.code, 'poster-a', '0'])
      const consumed = byEvent('user_consume_card')
      assert.equal(consumed.length, 1)
      assert.deepEqual([consumed[0].fields.ConsumeSource, consumed[0].fields.UserCardCode, consumed[0].fields.OuterStr], ['FROM_API', issued.code, 'poster-a'])
      assert.deepEqual(byEvent('card_sku_remind').map((p) => p.fields.CardId), [card.card_id])
      const bonus = byEvent('update_member_card').map((p) => Number(p.fields.ModifyBonus)).sort((a, b) => a - b)
      assert.deepEqual(bonus, [-30, 100])
      assert.equal(byEvent('user_get_card').filter((p) => p.fields.CardId === club.id).length, 1)
      assert.equal(Number(got[0].fields.CreateTime), Math.floor(Date.parse(START) / 1000) + 1)

      // The push log, through the native API; the webhook API does not list the push destination.
      const log = expectStatus(await m.get(`/v1/wechat-apps/${appid}/push-deliveries`), 200)
      assert.equal(log.data.length, rx.pushes.length)
      assert.ok(log.data.every((d: any) => d.status === 'delivered' && d.attempts === 1))
      assert.ok(log.data.some((d: any) => d.event_type === 'coupon.redeemed'))
      assert.deepEqual(expectStatus(await m.get('/v1/webhook-endpoints'), 200).data, [])
      // Nothing more to send.
      clock.advance(60_000)
      assert.equal(await deliver(), 0)
    }))

    it('tries a silent receiver exactly 3 times with one CreateTime, then resends on request; no duplicate after success', () => withReceiver(async () => {
      const { apiKey, appid, wx, m } = await wechatApp(t)
      expectStatus(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: rx.token, card_pass_check: false }), 200)
      const card = await wx('/card/create', cashCard)
      rx.answer = 500
      const issued = await wx('/kabao/card/issue', { card_id: card.card_id, openid: 'user-7' })
      assert.equal(issued.errcode, 0, JSON.stringify(issued))
      for (let i = 0; i < 5; i++) {
        await deliver()
        clock.advance(1300)
      }
      assert.equal(rx.pushes.length, 3, 'three attempts in all, no card_pass_check when switched off')
      assert.ok(rx.pushes.every((p: Push) => p.signed && p.fields.Event === 'user_get_card' && p.fields.UserCardCode === issued.code))
      assert.equal(new Set(rx.pushes.map((p) => p.fields.CreateTime)).size, 1)
      assert.equal(new Set(rx.pushes.map((p) => p.nonce)).size, 3, 'a fresh nonce on every attempt')
      const [failed] = expectStatus(await m.get(`/v1/wechat-apps/${appid}/push-deliveries?status=failed`), 200).data
      assert.equal(failed.attempts, 3)
      assert.equal(failed.last_status_code, 500)

      rx.answer = 200
      expectStatus(await t.request('POST', `/v1/wechat-apps/${appid}/push-deliveries/resend`, { key: apiKey, body: { event_id: failed.event_id } }), 202)
      await deliver()
      assert.equal(rx.pushes.length, 4)
      assert.equal(rx.pushes[3].fields.CreateTime, rx.pushes[0].fields.CreateTime)

      // A receiver failing once gets the retry, and nothing after it answered 200.
      rx.answer = 503
      assert.equal((await wx('/card/code/consume', { code: issued.code })).errcode, 0)
      await deliver()
      assert.equal(rx.pushes.length, 5)
      rx.answer = 200
      for (let i = 0; i < 4; i++) {
        clock.advance(1300)
        await deliver()
      }
      const consumes = rx.pushes.filter((p) => p.fields.Event === 'user_consume_card')
      assert.equal(consumes.length, 2)
      assert.equal(consumes[0].fields.CreateTime, consumes[1].fields.CreateTime)
      const log = expectStatus(await m.get(`/v1/wechat-apps/${appid}/push-deliveries`), 200).data
      assert.deepEqual(log.map((d: any) => [d.event_type, d.status, d.attempts]), [['coupon.redeemed', 'delivered', 2], ['coupon.issued', 'delivered', 1]])

      // No URL, no pushes.
      assert.equal(expectStatus(await setPush(t, apiKey, appid, { push_url: null }), 200).push_url, null)
      await wx('/kabao/card/issue', { card_id: card.card_id, openid: 'user-8' })
      clock.advance(1300)
      await deliver()
      assert.equal(rx.pushes.length, 6)
    }))

    it('pushes an accepted gift as the giver’s user_gifting_card and the receiver’s user_get_card, a cancelled one as returned', () => withReceiver(async () => {
      const { apiKey, appid, m } = await wechatApp(t)
      expectStatus(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: rx.token, card_pass_check: false }), 200)
      const card = await m.createCard(nativeCashCard({ can_gift: true, get_limit: 5 }))
      const first = await m.issue(card.id, 'giver')
      const second = await m.issue(card.id, 'giver')
      const as = async (userId: string) => expectStatus(await m.post('/v1/wallet-tokens', { user_id: userId, ttl_seconds: 3600 }), 201).token as string
      const giver = await as('giver')
      const wallet = (token: string, path: string) => t.request('POST', path, { key: null, headers: { authorization: `Bearer ${token}` } })
      const sent = expectStatus(await wallet(giver, `/v1/wallet/coupons/${first.id}/gift`), 201)
      expectStatus(await wallet(await as('friend'), `/v1/wallet/gifts/${sent.token}/accept`), 201)
      expectStatus(await wallet(giver, `/v1/wallet/coupons/${second.id}/gift`), 201)
      expectStatus(await wallet(giver, `/v1/wallet/coupons/${second.id}/gift/cancel`), 200)
      await deliver()
      const pushed = rx.pushes.map((p) => [p.fields.Event, p.fields.FromUserName, p.fields.FriendUserName, p.fields.UserCardCode === first.code ? 'first' : p.fields.UserCardCode === second.code ? 'second' : 'new', p.fields.IsGiveByFriend ?? p.fields.IsReturnBack])
      assert.deepEqual(pushed.filter((p) => p[0] === 'user_gifting_card').sort(), [['user_gifting_card', 'giver', '', 'second', '1'], ['user_gifting_card', 'giver', 'friend', 'first', '0']])
      const received = rx.pushes.filter((p) => p.fields.Event === 'user_get_card' && p.fields.FromUserName === 'friend')
      assert.equal(received.length, 1)
      assert.deepEqual([received[0].fields.IsGiveByFriend, received[0].fields.FriendUserName, received[0].fields.OldUserCardCode], ['1', 'giver', first.code])
      assert.notEqual(received[0].fields.UserCardCode, first.code)
      assert.equal(rx.pushes.filter((p) => p.fields.Event === 'user_get_card').length, 3, 'two issues and the gift received, not its coupon.issued again')
    }))

    it('names a member who joined through the WeChat API by their member code in update_member_card', () => withReceiver(async () => {
      const { apiKey, appid, wx } = await wechatApp(t)
      expectStatus(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: rx.token }), 200)
      const club = await wx('/card/create', {
        card: { card_type: 'MEMBER_CARD', member_card: { base_info: { title: '会员卡', notice: 'Show the card', color: 'Color030', code_type: 'CODE_TYPE_BARCODE', date_info: { type: 'DATE_TYPE_PERMANENT' }, sku: { quantity: 100 } }, supply_bonus: true, supply_balance: false, prerogative: 'Members pay less', auto_activate: true } },
      })
      assert.equal(club.errcode, 0, JSON.stringify(club))
      const joined = await wx('/kabao/card/issue', { card_id: club.card_id, openid: 'member-7' })
      assert.equal(joined.errcode, 0, JSON.stringify(joined))
      assert.equal((await wx('/card/membercard/updateuser', { code: joined.code, card_id: club.card_id, add_bonus: 40 })).errcode, 0)
      await deliver()
      const updates = rx.pushes.filter((p: Push) => p.fields.Event === 'update_member_card')
      assert.deepEqual(updates.map((p: Push) => [p.fields.UserCardCode, p.fields.ModifyBonus]), [[joined.code, '40']])
    }))

    it('pushes user_del_card when the holder removes a coupon, user_view_card on wallet detail views of need_push_on_view cards only', () => withReceiver(async () => {
      const { apiKey, appid, originalId, wx, m } = await wechatApp(t)
      expectStatus(await setPush(t, apiKey, appid, { push_url: rx.url, push_token: rx.token, card_pass_check: false }), 200)
      const withBase = (base: Record<string, unknown>) => ({ card: { ...cashCard.card, cash: { ...cashCard.card.cash, base_info: { ...cashCard.card.cash.base_info, ...base } } } })
      const viewed = await wx('/card/create', withBase({ need_push_on_view: true }))
      const quiet = await wx('/card/create', withBase({}))
      const baseOf = async (cardId: string) => (await wx('/card/get', { card_id: cardId })).card.cash.base_info
      assert.equal((await baseOf(viewed.card_id)).need_push_on_view, true)
      assert.equal((await baseOf(quiet.card_id)).need_push_on_view, false)
      // card/update turns it on and off (WeChat's strings too); a non-boolean is 40097.
      assert.equal((await wx('/card/update', { card_id: quiet.card_id, cash: { base_info: { need_push_on_view: 'true' } } })).errcode, 0)
      assert.equal((await baseOf(quiet.card_id)).need_push_on_view, true)
      assert.equal((await wx('/card/update', { card_id: quiet.card_id, cash: { base_info: { need_push_on_view: false } } })).errcode, 0)
      assert.equal((await baseOf(quiet.card_id)).need_push_on_view, false)
      assert.equal((await wx('/card/update', { card_id: quiet.card_id, cash: { base_info: { need_push_on_view: 'maybe' } } })).errcode, 40097)

      const issue = async (cardId: string, outer?: string) => {
        const issued = await wx('/kabao/card/issue', { card_id: cardId, openid: 'viewer', ...(outer ? { outer_str: outer } : {}) })
        assert.equal(issued.errcode, 0, JSON.stringify(issued))
        return { code: issued.code as string, id: expectStatus(await m.coupon(issued.code), 200).id as string }
      }
      const seen = await issue(viewed.card_id, 'poster-v')
      const unseen = await issue(quiet.card_id)
      const voided = await issue(quiet.card_id)
      const token = expectStatus(await m.post('/v1/wallet-tokens', { user_id: 'viewer', ttl_seconds: 3600 }), 201).token as string
      const wallet = (method: string, path: string) => t.request(method, path, { key: token })
      await deliver()
      rx.pushes.length = 0

      // The list pushes nothing; the detail of a need_push_on_view card pushes, of another card not.
      expectStatus(await wallet('GET', '/v1/wallet/coupons'), 200)
      expectStatus(await wallet('GET', `/v1/wallet/coupons/${seen.id}`), 200)
      expectStatus(await wallet('GET', `/v1/wallet/coupons/${unseen.id}`), 200)
      // A merchant's void has no WeChat counterpart; the holder's removal is user_del_card.
      assert.equal((await wx('/card/code/unavailable', { code: voided.code, reason: 'fraud' })).errcode, 0)
      expectStatus(await wallet('DELETE', `/v1/wallet/coupons/${seen.id}`), 200)
      const status = await wx('/card/code/get', { code: seen.code, check_consume: false })
      assert.deepEqual([status.user_card_status, status.can_consume], ['DELETE', false])
      assert.equal((await wx('/card/code/get', { code: voided.code, check_consume: false })).user_card_status, 'UNAVAILABLE')
      assert.equal((await wx('/card/code/get', { code: seen.code })).errcode, 40127)
      assert.deepEqual((await wx('/card/user/getcardlist', { openid: 'viewer' })).card_list, [{ code: unseen.code, card_id: quiet.card_id }])
      // A removed coupon's page no longer pushes views.
      expectStatus(await wallet('GET', `/v1/wallet/coupons/${seen.id}`), 200)

      await deliver()
      for (const push of rx.pushes) {
        assert.equal(push.signed, true)
        assert.equal(push.fields.ToUserName, originalId)
        assert.deepEqual(push.names, [...ENVELOPE, ...(ELEMENTS[push.fields.Event] ?? [])], push.raw)
      }
      assert.deepEqual(
        rx.pushes.map((p) => [p.fields.Event, p.fields.FromUserName, p.fields.CardId, p.fields.UserCardCode, p.fields.OuterStr ?? null]).sort(),
        [['user_del_card', 'viewer', viewed.card_id, seen.code, null], ['user_view_card', 'viewer', viewed.card_id, seen.code, 'poster-v']],
      )
    }))

    it('keeps one merchant’s push settings and log from another', () => withReceiver(async () => {
      const a = await wechatApp(t)
      const b = await wechatApp(t)
      expectProblem(await setPush(t, b.apiKey, a.appid, { push_url: rx.url, push_token: rx.token }), 404, 'wechat_app_not_found')
      expectProblem(await b.m.get(`/v1/wechat-apps/${a.appid}/push-deliveries`), 404, 'wechat_app_not_found')
      assert.equal(rx.echoes.length, 0)
    }))
  })
}
