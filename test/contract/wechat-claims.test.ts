import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp, type TestApp } from '../helpers/app.ts'
import { startWechatReceiver } from '../helpers/wechat-receiver.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { deliverWebhooksOnce, webhookSettings } from '../../src/features/webhooks/webhook-delivery.ts'
import { encryptCodeOf } from '../../src/features/wechat/wechat-encrypt-code.ts'

// WECHAT-API.md §2.3 and §2.6 through facade calls and wallet claims: QR codes and landing pages of member
// cards (a claim joins natively, once per user, with the member's code), QR_MULTIPLE_CARD pages, and the
// user_get_card pushes and datacube counts that follow from the native events; §2.4 encrypt_code under
// each merchant's own key, and its rotation.

const START = '2026-03-02T04:00:00Z'
const settings = webhookSettings({ retrySchedule: [1, 1, 1], timeoutMs: 1000, wechat: { retrySchedule: [1, 1], timeoutMs: 1000 } })

async function wechatMerchant(t: TestApp) {
  const { apiKey, merchantId } = await t.merchant()
  const app = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
  assert.equal(app.status, 201, app.text)
  const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.body.appid}&secret=${app.body.secret}`)).body.access_token as string
  return { apiKey, merchantId, token, appid: app.body.appid as string }
}

async function wx(t: TestApp, path: string, token: string, body?: unknown) {
  const res = await t.request('POST', `${path}?access_token=${token}`, { body })
  assert.equal(res.status, 200, res.text)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  return res.body
}

const cashCard = (title = '立减20元') => ({
  card: { card_type: 'CASH', cash: { base_info: { title, notice: 'Show the code', color: 'Color010', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7, fixed_begin_term: 0 }, sku: { quantity: 10 }, get_limit: 1 }, reduce_cost: 2000, least_cost: 10000 } },
})

const memberCard = {
  card: {
    card_type: 'MEMBER_CARD',
    member_card: { base_info: { title: '咖啡会员卡', notice: 'Show the card', color: 'Color030', date_info: { type: 'DATE_TYPE_PERMANENT' }, sku: { quantity: 1000 } }, supply_bonus: true, supply_balance: false, prerogative: '9折' },
  },
}

async function create(t: TestApp, token: string, card: unknown): Promise<string> {
  const created = await wx(t, '/card/create', token, card)
  assert.equal(created.errcode, 0, JSON.stringify(created))
  return created.card_id
}

async function walletToken(t: TestApp, apiKey: string, userId: string): Promise<string> {
  const res = await t.request('POST', '/v1/wallet-tokens', { key: apiKey, body: { user_id: userId } })
  assert.equal(res.status, 201, res.text)
  return res.body.token
}

/** The claim link token in a QR code's or page's claim URL: `/wallet/claim/{token}` or `/wallet/member-cards/{id}?link={token}`. */
function linkTokenOf(url: string): string {
  const parsed = new URL(url)
  return parsed.searchParams.get('link') ?? (parsed.pathname.split('/').pop() as string)
}

const claim = async (t: TestApp, apiKey: string, url: string, userId: string) => t.request('POST', `/v1/claim/${linkTokenOf(url)}`, { key: await walletToken(t, apiKey, userId) })

const count = async (t: TestApp, table: 'coupons' | 'members' | 'claim_links' | 'wechat_landing_pages' | 'wechat_qrcodes' | 'wechat_member_codes') =>
  Number((await t.db.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

/** The claim URLs of a landing page, in the page's order. */
async function pageLinks(t: TestApp, url: string): Promise<string[]> {
  const page = await t.request('GET', new URL(url).pathname)
  assert.equal(page.status, 200, page.text)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  return [...page.text.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1].replaceAll('&amp;', '&'))
}

for (const engine of ENGINES) {
  describe(`WeChat-compatible member-card QR codes, landing pages and QR_MULTIPLE_CARD on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    it('claims a member card through its QR code once per user: a native member with its code, pushed as user_get_card, counted by the datacube', async () => {
      const rx = await startWechatReceiver()
      try {
        const { apiKey, token, appid } = await wechatMerchant(t)
        rx.echo = 'right'
        const saved = await t.request('PUT', `/v1/wechat-apps/${appid}/push`, { key: apiKey, body: { push_url: rx.url, push_token: rx.token } })
        assert.equal(saved.status, 200, saved.text)
        const cardId = await create(t, token, memberCard)
        const qr = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, outer_str: 'poster-m' } } })
        assert.equal(qr.errcode, 0, JSON.stringify(qr))
        assert.equal(qr.expire_seconds, undefined, 'permanent')
        assert.match(qr.url, new RegExp(`/wallet/member-cards/${cardId}\\?link=[A-Za-z0-9_-]{32}$`))
        const image = await t.request('GET', new URL(qr.show_qrcode_url).pathname + new URL(qr.show_qrcode_url).search)
        assert.equal(image.status, 200)
        assert.match(String(image.headers['content-type']), /^image\/png/)
        const link = (await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data[0]
        assert.deepEqual([link.channel, link.url], ['poster-m', qr.url])

        const joined = await claim(t, apiKey, qr.url, 'alice')
        assert.equal(joined.status, 201, joined.text)
        assert.equal(joined.body.card.id, cardId)
        const members = await t.request('GET', `/v1/members?member_card_id=${cardId}&user_id=alice`, { key: apiKey })
        assert.equal(members.body.data.length, 1)
        assert.equal(members.body.data[0].id, joined.body.id)
        const codes = await count(t, 'wechat_member_codes')

        const again = await claim(t, apiKey, qr.url, 'alice')
        assert.equal(again.status, 409, again.text)
        assert.equal(again.body.code, 'already_member')
        assert.equal((await t.request('GET', `/v1/members?member_card_id=${cardId}`, { key: apiKey })).body.data.length, 1, 'a second claim joins nothing')
        assert.equal(await count(t, 'wechat_member_codes'), codes)
        assert.equal((await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data[0].claimed_count, 1, 'a refused claim is not counted')
        assert.equal((await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'alice' })).errcode, 45033, 'already a member')

        // The member's code was drawn with the join: the facade knows the member by it.
        const list = await wx(t, '/card/user/getcardlist', token, { openid: 'alice' })
        assert.equal(list.card_list.length, 1)
        assert.equal(list.card_list[0].card_id, cardId)
        const code = list.card_list[0].code as string
        assert.match(code, /^\d{20}$/)
        const info = await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code })
        assert.deepEqual([info.errcode, info.openid], [0, 'alice'])
        const events = (await t.request('GET', '/v1/events?type=member.joined&limit=100', { key: apiKey })).body.data as { data: Record<string, unknown> }[]
        assert.deepEqual(events.map((e) => [e.data.user_id, e.data.channel]), [['alice', 'poster-m']])

        const bob = await claim(t, apiKey, qr.url, 'bob')
        assert.equal(bob.status, 201, bob.text)
        await deliverWebhooksOnce(t.ctx, settings)
        const got = rx.pushes.filter((p) => p.fields.Event === 'user_get_card')
        assert.equal(got.length, 2)
        const alicePush = got.find((p) => p.fields.FromUserName === 'alice')
        assert.deepEqual([alicePush?.fields.CardId, alicePush?.fields.UserCardCode, alicePush?.fields.OuterStr], [cardId, code, 'poster-m'])

        const today = START.slice(0, 10)
        const cube = await wx(t, '/datacube/getcardmembercardinfo', token, { begin_date: today, end_date: today })
        assert.equal(cube.errcode, 0, JSON.stringify(cube))
        assert.deepEqual([cube.list[0].receive_cnt, cube.list[0].receive_user, cube.list[0].total_user], [2, 2, 2])
      } finally {
        await rx.close()
      }
    })

    it('keeps a member-card QR code’s openid and is_unique_code, and refuses paused, unknown and foreign member cards', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await create(t, token, memberCard)
      const bound = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', expire_seconds: 30, action_info: { card: { card_id: cardId, openid: 'carol' } } })
      assert.equal(bound.expire_seconds, 60, 'clamped to 60…1800')
      const dave = await claim(t, apiKey, bound.url, 'dave')
      assert.equal(dave.status, 403, dave.text)
      assert.equal(dave.body.code, 'claim_link_reserved')
      assert.equal((await t.request('GET', `/v1/members?member_card_id=${cardId}`, { key: apiKey })).body.data.length, 0, 'a refused claim joins nothing')
      assert.equal((await claim(t, apiKey, bound.url, 'carol')).status, 201)

      const unique = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, is_unique_code: true } } })
      assert.equal((await claim(t, apiKey, unique.url, 'erin')).status, 201)
      const late = await claim(t, apiKey, unique.url, 'frank')
      assert.equal(late.status, 409, late.text)
      assert.equal(late.body.code, 'claim_link_inactive')
      assert.equal((await t.request('GET', `/v1/members?member_card_id=${cardId}&user_id=frank`, { key: apiKey })).body.data.length, 0)

      const expiring = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', expire_seconds: 100, action_info: { card: { card_id: cardId } } })
      clock.advance(101_000)
      const expired = await claim(t, apiKey, expiring.url, 'gina')
      assert.equal(expired.status, 409, expired.text)
      assert.equal(expired.body.code, 'claim_link_inactive')
      clock.set(START)

      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: 'mcd_nothing' } } })).errcode, 40073)
      const open = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId } } })
      const other = await wechatMerchant(t)
      const links = await count(t, 'claim_links')
      assert.equal((await wx(t, '/card/qrcode/create', other.token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId } } })).errcode, 40073, 'another merchant’s member card is unknown')
      assert.equal((await wx(t, '/card/landingpage/create', other.token, { page_title: 'Mine', card_list: [{ card_id: cardId }] })).errcode, 40073)
      // A link of another merchant does not exist for its customers.
      const foreign = await t.request('POST', `/v1/claim/${linkTokenOf(unique.url)}`, { key: await walletToken(t, other.apiKey, 'hank') })
      assert.equal(foreign.status, 404, foreign.text)
      assert.equal((await wx(t, '/card/delete', token, { card_id: cardId })).errcode, 0)
      assert.equal((await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId } } })).errcode, 40078, 'a paused member card')
      assert.equal((await wx(t, '/card/landingpage/create', token, { page_title: 'Paused', card_list: [{ card_id: cardId }] })).errcode, 40078)
      assert.equal(await count(t, 'claim_links'), links, 'refused calls make no link')
      const paused = await claim(t, apiKey, open.url, 'ivan')
      assert.equal(paused.status, 409, paused.text)
      assert.equal(paused.body.code, 'member_card_not_active')
    })

    it('lists a member card on a landing page next to a coupon card; each claims through its own link, tagged with the scene', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const memberId = await create(t, token, memberCard)
      const cashId = await create(t, token, cashCard())
      const page = await wx(t, '/card/landingpage/create', token, { page_title: 'Spring', scene: 'SCENE_QRCODE', card_list: [{ card_id: memberId }, { card_id: cashId }] })
      assert.equal(page.errcode, 0, JSON.stringify(page))
      const [memberUrl, cashUrl] = await pageLinks(t, page.url)
      assert.match(memberUrl, new RegExp(`/wallet/member-cards/${memberId}\\?link=`))
      assert.match(cashUrl, /\/wallet\/claim\//)
      const joined = await claim(t, apiKey, memberUrl, 'jane')
      assert.equal(joined.status, 201, joined.text)
      assert.equal((await claim(t, apiKey, memberUrl, 'jane')).status, 409)
      const coupon = await claim(t, apiKey, cashUrl, 'jane')
      assert.equal(coupon.status, 201, coupon.text)
      assert.equal(coupon.body.channel, 'SCENE_QRCODE')
      const events = (await t.request('GET', '/v1/events?type=member.joined&limit=100', { key: apiKey })).body.data as { data: Record<string, unknown> }[]
      assert.deepEqual(events.map((e) => e.data.channel), ['SCENE_QRCODE'])
      assert.equal((await wx(t, '/card/user/getcardlist', token, { openid: 'jane' })).card_list.length, 2)
    })

    it('makes a QR_MULTIPLE_CARD page offering each card through its own link with its own outer_str; permanent or expiring with the QR code', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const a = await create(t, token, cashCard('A'))
      const b = await create(t, token, cashCard('B'))
      const club = await create(t, token, memberCard)
      const qr = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_MULTIPLE_CARD', action_info: { multiple_card: { card_list: [{ card_id: a, outer_str: 'poster-a' }, { card_id: b, outer_id: 7 }, { card_id: club, outer_str: 'poster-club' }] } } })
      assert.equal(qr.errcode, 0, JSON.stringify(qr))
      assert.equal(qr.expire_seconds, undefined, 'permanent')
      assert.match(qr.ticket, /^[A-Za-z0-9_-]{32}$/)
      assert.match(qr.url, /\/kabao\/landingpage\/[A-Za-z0-9_-]{32}$/)
      const image = await t.request('GET', new URL(qr.show_qrcode_url).pathname + new URL(qr.show_qrcode_url).search)
      assert.equal(image.status, 200)
      assert.match(String(image.headers['content-type']), /^image\/png/)
      const links = await pageLinks(t, qr.url)
      assert.equal(links.length, 3)
      const first = await claim(t, apiKey, links[0], 'kim')
      const second = await claim(t, apiKey, links[1], 'kim')
      assert.deepEqual([first.status, second.status], [201, 201], first.text + second.text)
      assert.deepEqual([first.body.card_id, first.body.channel, second.body.card_id, second.body.channel], [a, 'poster-a', b, '7'])
      const joined = await claim(t, apiKey, links[2], 'kim')
      assert.equal(joined.status, 201, joined.text)
      // The native claim flow: get_limit 1 holds for the page as for any link.
      const twice = await claim(t, apiKey, links[0], 'kim')
      assert.equal(twice.status, 409, twice.text)
      assert.equal(twice.body.code, 'get_limit_reached')
      const events = (await t.request('GET', '/v1/events?type=member.joined&limit=100', { key: apiKey })).body.data as { data: Record<string, unknown> }[]
      assert.deepEqual(events.map((e) => e.data.channel), ['poster-club'])
      const today = START.slice(0, 10)
      const cube = await wx(t, '/datacube/getcardcardinfo', token, { begin_date: today, end_date: today, card_id: a })
      assert.equal(cube.list[0].receive_cnt, 1)
      clock.advance(86_400_000)
      assert.equal((await pageLinks(t, qr.url)).length, 3, 'a permanent page stays')
      clock.set(START)

      const expiring = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_MULTIPLE_CARD', expire_seconds: 100, action_info: { multiple_card: { card_list: [{ card_id: a }, { card_id: club }] } } })
      assert.equal(expiring.expire_seconds, 100)
      const [cashLink, clubLink] = await pageLinks(t, expiring.url)
      assert.equal((await claim(t, apiKey, cashLink, 'lena')).status, 201)
      clock.advance(100_000)
      const gone = await t.request('GET', new URL(expiring.url).pathname)
      assert.deepEqual([gone.status, gone.body.errcode], [200, 40097], 'the page ends with its QR code')
      const noImage = await t.request('GET', new URL(expiring.show_qrcode_url).pathname + new URL(expiring.show_qrcode_url).search)
      assert.equal(noImage.body.errcode, 40097)
      const lateCoupon = await claim(t, apiKey, cashLink, 'mona')
      const lateMember = await claim(t, apiKey, clubLink, 'mona')
      assert.deepEqual([lateCoupon.status, lateCoupon.body.code, lateMember.status, lateMember.body.code], [409, 'claim_link_inactive', 409, 'claim_link_inactive'])
      clock.set(START)
    })

    it('refuses bad QR_MULTIPLE_CARD lists (40053), unknown or foreign cards (40073) and inactive ones (40078), writing nothing', async () => {
      const { token } = await wechatMerchant(t)
      const a = await create(t, token, cashCard('A'))
      const ended = await create(t, token, cashCard('Ended'))
      assert.equal((await wx(t, '/card/delete', token, { card_id: ended })).errcode, 0)
      const other = await wechatMerchant(t)
      const foreign = await create(t, other.token, cashCard('Theirs'))
      const six = Array.from({ length: 6 }, () => 0)
      const cards = await Promise.all(six.slice(0, 5).map((_, i) => create(t, token, cashCard(`C${i}`))))
      const before = await Promise.all((['claim_links', 'wechat_landing_pages', 'wechat_qrcodes'] as const).map((table) => count(t, table)))
      const multiple = (card_list: unknown) => ({ action_name: 'QR_MULTIPLE_CARD', action_info: { multiple_card: { card_list } } })
      const refusals: [unknown, number][] = [
        [multiple([]), 40053],
        [multiple([...cards, a].map((card_id) => ({ card_id }))), 40053],
        [multiple('crd_x'), 40053],
        [multiple([a]), 40053],
        [multiple([{ card_id: a }, { card_id: a }]), 40053],
        [multiple([{ outer_str: 'no card' }]), 40053],
        [{ action_name: 'QR_MULTIPLE_CARD', action_info: { card: { card_id: a } } }, 40053],
        [{ action_name: 'QR_MULTIPLE_CARD' }, 40053],
        [{ action_name: 'QR_SOMETHING', action_info: { multiple_card: { card_list: [{ card_id: a }] } } }, 40053],
        [multiple([{ card_id: a }, { card_id: 'crd_nothing' }]), 40073],
        [multiple([{ card_id: a }, { card_id: foreign }]), 40073],
        [multiple([{ card_id: a }, { card_id: ended }]), 40078],
        [multiple([{ card_id: a, outer_str: 'x'.repeat(65) }]), 45021],
      ]
      for (const [body, errcode] of refusals) {
        const answer = await wx(t, '/card/qrcode/create', token, body)
        assert.equal(answer.errcode, errcode, JSON.stringify(body))
        if (errcode === 40053) assert.equal(answer.errmsg, 'invalid action info, please check document')
      }
      const after = await Promise.all((['claim_links', 'wechat_landing_pages', 'wechat_qrcodes'] as const).map((table) => count(t, table)))
      assert.deepEqual(after, before, 'refused calls write nothing')
      const five = await wx(t, '/card/qrcode/create', token, multiple(cards.map((card_id) => ({ card_id }))))
      assert.equal(five.errcode, 0, 'five cards, WeChat’s limit, are accepted')
      assert.equal((await pageLinks(t, five.url)).length, 5)
    })

    it('joins a member card once when one user claims through its link many times at once, and hands an is_unique_code link to one user', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await create(t, token, memberCard)
      const qr = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId } } })
      const key = await walletToken(t, apiKey, 'nina')
      const same = await Promise.all(Array.from({ length: 8 }, () => t.request('POST', `/v1/claim/${linkTokenOf(qr.url)}`, { key })))
      assert.deepEqual(same.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409], same.map((r) => r.text).join('\n'))
      assert.ok(same.filter((r) => r.status === 409).every((r) => r.body.code === 'already_member'))
      assert.equal((await t.request('GET', `/v1/members?member_card_id=${cardId}`, { key: apiKey })).body.data.length, 1)
      assert.equal(Number((await t.db.database.db.selectFrom('wechat_member_codes').select((eb) => eb.fn.countAll().as('n')).where('member_card_id', '=', cardId).executeTakeFirstOrThrow()).n), 1)
      assert.equal((await t.request('GET', `/v1/claim-links?card_id=${cardId}`, { key: apiKey })).body.data[0].claimed_count, 1)

      const unique = await wx(t, '/card/qrcode/create', token, { action_name: 'QR_CARD', action_info: { card: { card_id: cardId, is_unique_code: true } } })
      const keys = await Promise.all(Array.from({ length: 6 }, (_, i) => walletToken(t, apiKey, `racer-${i}`)))
      const racing = await Promise.all(keys.map((k) => t.request('POST', `/v1/claim/${linkTokenOf(unique.url)}`, { key: k })))
      assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], racing.map((r) => r.text).join('\n'))
      assert.equal((await t.request('GET', `/v1/members?member_card_id=${cardId}`, { key: apiKey })).body.data.length, 2, 'one more member, no more')
    })

    it('seals encrypt_code with each merchant’s own key: foreign, altered and rotated-away ones are 40075; earlier installation-key ones open until the first rotation', async () => {
      const { apiKey, merchantId, token } = await wechatMerchant(t)
      const other = await wechatMerchant(t)
      const cardId = await create(t, token, { card: { ...cashCard().card, cash: { ...cashCard().card.cash, base_info: { ...cashCard().card.cash.base_info, custom_url_name: '使用', custom_url: 'https://shop.example.com/use' } } } })
      const issued = await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'olga' })
      const couponId = (await t.request('GET', `/v1/coupons/${issued.code}`, { key: apiKey })).body.id
      const walletKey = await walletToken(t, apiKey, 'olga')
      const linked = async () => new URL((await t.request('GET', `/v1/wallet/coupons/${couponId}`, { key: walletKey })).body.links[0].url).searchParams.get('encrypt_code') as string
      const encrypted = await linked()
      assert.deepEqual(await wx(t, '/card/code/decrypt', token, { encrypt_code: encrypted }), { errcode: 0, errmsg: 'ok', code: issued.code })
      assert.equal((await wx(t, '/card/code/decrypt', other.token, { encrypt_code: encrypted })).errcode, 40075, 'another merchant’s key does not open it')
      // Even sealed for the same code under the other merchant's key, it opens only there.
      const theirs = await encryptCodeOf(t.ctx, other.merchantId, issued.code)
      assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: theirs })).errcode, 40075)
      assert.equal((await wx(t, '/card/code/decrypt', other.token, { encrypt_code: theirs })).code, issued.code)
      for (const bad of [encrypted.slice(0, -2) + (encrypted.endsWith('A') ? 'BB' : 'AA'), 'bm9wZQ', '%E0%A4%A', 'x'.repeat(300)]) {
        assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: bad })).errcode, 40075, bad)
      }
      // The format of before: the installation's seal key with the merchant id inside.
      const legacy = t.ctx.secrets.seal(`${merchantId}\u0000${issued.code}`)
      assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: legacy })).code, issued.code)
      assert.equal((await wx(t, '/card/code/decrypt', other.token, { encrypt_code: legacy })).errcode, 40075)

      const rotations = await Promise.all([0, 1].map(() => t.request('POST', '/v1/wechat-encrypt-code-key/rotate', { key: apiKey })))
      assert.deepEqual(rotations.map((r) => r.status), [200, 200], rotations.map((r) => r.text).join())
      assert.deepEqual(rotations.map((r) => r.body.generation).sort(), [2, 3], 'parallel rotations each count')
      for (const old of [encrypted, legacy]) assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: old })).errcode, 40075, 'rotated away')
      const fresh = await linked()
      assert.notEqual(fresh, encrypted)
      assert.equal((await wx(t, '/card/code/decrypt', token, { encrypt_code: fresh })).code, issued.code)
      assert.equal((await wx(t, '/card/code/decrypt', other.token, { encrypt_code: theirs })).code, issued.code, 'another merchant’s rotation changes nothing here')
    })
  })
}
