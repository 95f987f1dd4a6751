import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp, type TestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { codeFormat } from '../../src/domain/codes.ts'

// WECHAT-API.md §2.6 member cards through facade calls: create, claim, activate, updateuser, userinfo/get;
// WX-9 and the §3 errcodes these calls produce. Also numeric codes on cards made through the facade.

async function wechatMerchant(t: TestApp, scope?: string) {
  const { apiKey, merchantId } = await t.merchant()
  const app = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: scope ? { scope } : {} })
  assert.equal(app.status, 201, app.text)
  const token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.body.appid}&secret=${app.body.secret}`)).body.access_token as string
  return { apiKey, merchantId, token, app: app.body as { appid: string; secret: string } }
}

async function wx(t: TestApp, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await t.request('POST', `${path}?access_token=${token}`, { body, headers })
  assert.equal(res.status, 200, res.text)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  return res.body
}

const memberCard = (fields: Record<string, unknown> = {}, base: Record<string, unknown> = {}) => ({
  card: {
    card_type: 'MEMBER_CARD',
    member_card: {
      base_info: { title: '咖啡会员卡', notice: 'Show the card at the till', color: 'Color030', code_type: 'CODE_TYPE_BARCODE', date_info: { type: 'DATE_TYPE_PERMANENT' }, sku: { quantity: 1000 }, ...base },
      supply_bonus: true, supply_balance: true, prerogative: '9折 on every coffee', bonus_rule: { cost_money_unit: 100, increase_bonus: 1 }, custom_field1: { name_type: 'FIELD_NAME_TYPE_LEVEL', name: 'Level' },
      ...fields,
    },
  },
})

async function newMemberCard(t: TestApp, token: string, fields: Record<string, unknown> = {}): Promise<string> {
  const created = await wx(t, '/card/create', token, memberCard(fields))
  assert.equal(created.errcode, 0, JSON.stringify(created))
  assert.match(created.card_id, /^mcd_/)
  return created.card_id
}

async function claim(t: TestApp, token: string, cardId: string, openid: string): Promise<string> {
  const issued = await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid })
  assert.equal(issued.errcode, 0, JSON.stringify(issued))
  return issued.code
}

async function nativeMember(t: TestApp, apiKey: string, cardId: string, openid: string) {
  const res = await t.request('GET', `/v1/members?member_card_id=${cardId}&user_id=${openid}`, { key: apiKey })
  assert.equal(res.status, 200, res.text)
  assert.equal(res.body.data.length, 1)
  return res.body.data[0]
}

async function ledgers(t: TestApp, apiKey: string, memberId: string) {
  const points = await t.request('GET', `/v1/members/${memberId}/points`, { key: apiKey })
  const stored = await t.request('GET', `/v1/members/${memberId}/stored-value`, { key: apiKey })
  assert.equal(points.status, 200, points.text)
  assert.equal(stored.status, 200, stored.text)
  const pick = (entries: { delta: number; reason: string; balance_after: number }[]) => entries.map((e) => [e.delta, e.reason, e.balance_after]).reverse()
  return { points: pick(points.body.data), stored: pick(stored.body.data) }
}

for (const engine of ENGINES) {
  describe(`WeChat-compatible member cards on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(Date.parse('2026-03-02T04:00:00Z'))
    const t = useTestApp(engine, { clock })

    it('WX-9: member_card → claim → activate → userinfo → updateuser, the native ledger holding exactly these entries', async () => {
      const { apiKey, token: firstToken, app } = await wechatMerchant(t)
      let token = firstToken
      const cardId = await newMemberCard(t, token)
      const native = await t.request('GET', `/v1/member-cards/${cardId}`, { key: apiKey })
      assert.equal(native.status, 200, native.text)
      assert.equal(native.body.title, '咖啡会员卡')
      assert.equal(native.body.stored_value.enabled, true, 'supply_balance → stored value on')
      assert.equal(native.body.points_rules.per_yuan, 1, 'supply_bonus → points on')
      assert.deepEqual(native.body.levels.map((l: { min_growth: number; perks: string[] }) => [l.min_growth, l.perks]), [[0, ['9折 on every coffee']]])
      const got = (await wx(t, '/card/get', token, { card_id: cardId })).card
      assert.equal(got.card_type, 'MEMBER_CARD')
      assert.equal(got.member_card.base_info.id, cardId)
      assert.equal(got.member_card.base_info.color, '#509fc9')
      assert.equal(got.member_card.base_info.status, 'CARD_STATUS_VERIFY_OK')
      assert.deepEqual(got.member_card.base_info.sku, { quantity: 1000, total_quantity: 1000 })
      assert.equal(got.member_card.supply_bonus, true)
      assert.equal(got.member_card.supply_balance, true)
      assert.deepEqual(got.member_card.bonus_rule, { cost_money_unit: 100, increase_bonus: 1 }, 'kept without effect')

      const code = await claim(t, token, cardId, 'user-42')
      assert.match(code, /^[0-9]{20}$/, 'a member’s code is numeric, as WeChat’s')
      assert.equal(codeFormat(code), 'numeric')
      assert.deepEqual(await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'user-42' }), { errcode: 45033, errmsg: 'get limit reached' }, 'a second claim')
      const before = await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code })
      assert.equal(before.has_active, false)
      assert.equal(before.bonus, 0)

      clock.advance(24 * 3600_000) // claimed on 2 March, activated on 3 March, with a new token
      token = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.appid}&secret=${app.secret}`)).body.access_token
      const activated = await wx(t, '/card/membercard/activate', token, { code, card_id: cardId, membership_number: 'VIP0001', init_bonus: 100, init_balance: '500', init_custom_field_value1: 'Gold', background_pic_url: 'https://img.example/bg.png' })
      assert.deepEqual(activated, { errcode: 0, errmsg: 'ok' })
      const info = await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code })
      assert.deepEqual(info, {
        errcode: 0, errmsg: 'ok', openid: 'user-42', nickname: '', membership_number: 'VIP0001', bonus: 100, balance: 500, sex: '',
        user_info: { common_field_list: [], custom_field_list: [{ name: 'Level', value: 'Gold', value_list: [] }] }, user_card_status: 'NORMAL', has_active: true,
      })

      const updated = await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, add_bonus: -30, record_bonus: 'Free coffee' })
      assert.deepEqual(updated, { errcode: 0, errmsg: 'ok', result_bonus: 70, result_balance: 500, openid: 'user-42' })
      // getcardmembercardinfo counts the claim on its day and the activation on its own.
      const cube = await wx(t, '/datacube/getcardmembercardinfo', token, { begin_date: '2026-03-02', end_date: '2026-03-03', cond_source: 1 })
      assert.equal(cube.errcode, 0, JSON.stringify(cube))
      assert.deepEqual(cube.list.map((d: any) => [d.ref_date, d.receive_cnt, d.active_user, d.total_user]), [['2026-03-02', 1, 0, 1], ['2026-03-03', 0, 1, 1]])
      const member = await nativeMember(t, apiKey, cardId, 'user-42')
      assert.equal(member.member_number, 'VIP0001')
      assert.equal(member.points_balance, 70)
      assert.equal(member.stored_value_balance, 500)
      assert.deepEqual(await ledgers(t, apiKey, member.id), { points: [[100, 'activate', 100], [-30, 'Free coffee', 70]], stored: [[500, 'activate', 500]] })

      // A burn beyond the balance: 40097, nothing posted (nor the points change sent with it).
      const short = await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, add_bonus: -10, add_balance: -501, record_balance: 'Too much' })
      assert.equal(short.errcode, 40097, JSON.stringify(short))
      assert.match(short.errmsg, /^invalid args/)
      assert.equal((await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, add_bonus: -71 })).errcode, 40097)
      assert.equal((await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, bonus: -1 })).errcode, 40097)
      assert.deepEqual(await ledgers(t, apiKey, member.id), { points: [[100, 'activate', 100], [-30, 'Free coffee', 70]], stored: [[500, 'activate', 500]] })

      // `bonus` sets the total; with add_bonus too, add_bonus wins; balance likewise in fen.
      assert.equal((await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, bonus: '50', balance: 800, record_balance: 'Top-up at the till' })).result_bonus, 50)
      const both = await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, add_bonus: 5, bonus: 1000, add_balance: -300 })
      assert.deepEqual([both.result_bonus, both.result_balance], [55, 500])
      assert.deepEqual((await wx(t, '/card/membercard/updateuser', token, { code, card_id: cardId, bonus: 55, custom_field_value1: 'Platinum' })).result_bonus, 55, 'a total equal to the balance posts nothing')
      assert.deepEqual(await ledgers(t, apiKey, member.id), {
        points: [[100, 'activate', 100], [-30, 'Free coffee', 70], [-20, 'WeChat updateuser', 50], [5, 'WeChat updateuser', 55]],
        stored: [[500, 'activate', 500], [300, 'Top-up at the till', 800], [-300, 'WeChat updateuser', 500]],
      })
      assert.equal((await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code })).user_info.custom_field_list[0].value, 'Platinum')

      // A second activation changes the number, posts nothing again.
      assert.equal((await wx(t, '/card/membercard/activate', token, { code, membership_number: 'VIP0002', init_bonus: 100, init_balance: 500 })).errcode, 0)
      const again = await nativeMember(t, apiKey, cardId, 'user-42')
      assert.deepEqual([again.member_number, again.points_balance, again.stored_value_balance], ['VIP0002', 55, 500])

      // The member's code is in the user's card list, is no coupon to consume, and reads as a normal card.
      const list = await wx(t, '/card/user/getcardlist', token, { openid: 'user-42' })
      assert.deepEqual(list.card_list, [{ code, card_id: cardId }])
      assert.deepEqual(await wx(t, '/card/code/consume', token, { code }), { errcode: 40071, errmsg: 'invalid card type' })
      const asCode = await wx(t, '/card/code/get', token, { code, check_consume: false })
      assert.deepEqual([asCode.openid, asCode.card.card_id, asCode.user_card_status, asCode.can_consume], ['user-42', cardId, 'NORMAL', false])
      assert.equal((await wx(t, '/card/code/get', token, { code })).errcode, 40071)
    })

    it('auto_activate members are active on claim; members joined natively get a code through the card list', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await newMemberCard(t, token, { auto_activate: true })
      const code = await claim(t, token, cardId, 'auto-1')
      assert.equal((await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code })).has_active, true)
      const joined = await t.request('POST', `/v1/member-cards/${cardId}/members`, { key: apiKey, body: { user_id: 'native-1', profile: { name: 'Li Lei' }, consent: true } })
      assert.equal(joined.status, 201, joined.text)
      const list = await wx(t, '/card/user/getcardlist', token, { openid: 'native-1', card_id: cardId })
      assert.equal(list.card_list.length, 1)
      const info = await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code: list.card_list[0].code })
      assert.equal(info.nickname, 'Li Lei')
      assert.deepEqual(info.user_info.common_field_list, [{ name: 'USER_FORM_INFO_FLAG_NAME', value: 'Li Lei' }])
      assert.equal(info.membership_number, joined.body.member_number)
      assert.deepEqual((await wx(t, '/card/user/getcardlist', token, { openid: 'native-1', card_id: cardId })).card_list, list.card_list, 'the same code each time')
    })

    it('maps refusals to §3 errcodes and changes nothing', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const other = await wechatMerchant(t)
      const cardId = await newMemberCard(t, token)
      const plain = await newMemberCard(t, token, { supply_balance: false })
      const code = await claim(t, token, cardId, 'u1')
      const code2 = await claim(t, token, cardId, 'u2')
      const plainCode = await claim(t, token, plain, 'u1')
      assert.equal((await wx(t, '/card/membercard/activate', token, { code, membership_number: 'A1' })).errcode, 0)

      const wrongDigit = code.slice(0, 19) + String((Number(code[19]) + 1) % 10)
      const checks: [string, unknown, number][] = [
        ['/card/membercard/userinfo/get', { card_id: cardId, code: wrongDigit }, 40056],
        ['/card/membercard/userinfo/get', { card_id: plain, code }, 40056],
        ['/card/membercard/userinfo/get', { card_id: cardId, code: 'NOTACODE' }, 40056],
        ['/card/membercard/updateuser', { code, add_bonus: 1 }, 41012],
        ['/card/membercard/updateuser', { card_id: cardId, add_bonus: 1 }, 41011],
        ['/card/membercard/updateuser', { code, card_id: cardId, add_bonus: 'ten' }, 40097],
        ['/card/membercard/updateuser', { code, card_id: cardId, record_bonus: 'x'.repeat(201), add_bonus: 1 }, 45021],
        ['/card/membercard/updateuser', { code: plainCode, card_id: plain, add_balance: 100 }, 43010],
        ['/card/membercard/activate', { code: code2, membership_number: 'A1', init_bonus: 10 }, 40097],
        ['/card/membercard/activate', { code: code2 }, 41011],
        ['/card/membercard/activate', { code: code2, membership_number: 'A2', init_bonus: -5 }, 40097],
        ['/card/membercard/activate', { code: plainCode, membership_number: 'P1', init_bonus: 10, init_balance: 100 }, 43010],
        ['/card/get', { card_id: 'mcd_unknown' }, 40073],
        ['/kabao/card/issue', { card_id: 'mcd_unknown', openid: 'u3' }, 40073],
        ['/card/create', memberCard({}, { title: '一二三四五六七八九十一二三四五六七八九十一二三四五六七八' }), 45021],
        ['/card/create', memberCard({}, { use_custom_code: true }), 43009],
        ['/card/create', memberCard({}, { sku: {} }), 41011],
        ['/card/update', { card_id: cardId, member_card: { prerogative: 'new' } }, 48001],
        ['/card/modifystock', { card_id: cardId, increase_stock_value: 5 }, 48001],
      ]
      for (const [path, body, errcode] of checks) {
        const answer = await wx(t, path, token, body)
        assert.equal(answer.errcode, errcode, `${path} ${JSON.stringify(body)} → ${JSON.stringify(answer)}`)
      }
      // Another merchant's token sees neither the card nor the code.
      assert.equal((await wx(t, '/card/get', other.token, { card_id: cardId })).errcode, 40073)
      assert.equal((await wx(t, '/card/membercard/userinfo/get', other.token, { card_id: cardId, code })).errcode, 40056)
      assert.equal((await wx(t, '/card/membercard/updateuser', other.token, { card_id: cardId, code, add_bonus: 5 })).errcode, 40056)
      // A read credential may read a member, not change one.
      const reader = await t.request('POST', '/v1/wechat-apps', { key: apiKey, body: { scope: 'read' } })
      const readToken = (await t.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${reader.body.appid}&secret=${reader.body.secret}`)).body.access_token
      assert.equal((await wx(t, '/card/membercard/userinfo/get', readToken, { card_id: cardId, code })).errcode, 0)
      assert.equal((await wx(t, '/card/membercard/updateuser', readToken, { card_id: cardId, code, add_bonus: 5 })).errcode, 48001)

      // Nothing moved: u1 as activated (A1, no entries), u2 and the plain card's member untouched.
      const u1 = await nativeMember(t, apiKey, cardId, 'u1')
      const u2 = await nativeMember(t, apiKey, cardId, 'u2')
      const p1 = await nativeMember(t, apiKey, plain, 'u1')
      assert.deepEqual([u1.member_number, u1.points_balance, u1.stored_value_balance], ['A1', 0, 0])
      assert.deepEqual([u2.points_balance, u2.stored_value_balance], [0, 0])
      assert.notEqual(u2.member_number, 'A1')
      assert.deepEqual([p1.points_balance, p1.stored_value_balance], [0, 0])
      assert.equal((await wx(t, '/card/membercard/userinfo/get', token, { card_id: cardId, code: code2 })).has_active, false, 'a refused activation activates nothing')
      assert.equal((await wx(t, '/card/membercard/userinfo/get', token, { card_id: plain, code: plainCode })).has_active, false)

      // A paused (deleted) member card takes no new members.
      assert.equal((await wx(t, '/card/delete', token, { card_id: cardId })).errcode, 0)
      assert.equal((await wx(t, '/card/get', token, { card_id: cardId })).card.member_card.base_info.status, 'CARD_STATUS_NOT_VERIFY')
      assert.equal((await wx(t, '/kabao/card/issue', token, { card_id: cardId, openid: 'late' })).errcode, 40078)
      assert.equal((await wx(t, '/card/membercard/updateuser', token, { card_id: cardId, code, add_bonus: 5 })).result_bonus, 5, 'its members keep their card')
    })

    it('updateuser with an Idempotency-Key posts once; without one a retry posts again, as on WeChat', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const cardId = await newMemberCard(t, token)
      const code = await claim(t, token, cardId, 'retry')
      const body = { code, card_id: cardId, add_bonus: 10, add_balance: 100, record_bonus: 'Order 7' }
      const first = await wx(t, '/card/membercard/updateuser', token, body, { 'idempotency-key': 'order-7' })
      const second = await wx(t, '/card/membercard/updateuser', token, body, { 'idempotency-key': 'order-7' })
      assert.deepEqual(first, { errcode: 0, errmsg: 'ok', result_bonus: 10, result_balance: 100, openid: 'retry' })
      assert.deepEqual(second, first)
      const member = await nativeMember(t, apiKey, cardId, 'retry')
      assert.deepEqual(await ledgers(t, apiKey, member.id), { points: [[10, 'Order 7', 10]], stored: [[100, 'WeChat updateuser', 100]] })
      const again = await wx(t, '/card/membercard/updateuser', token, body)
      const twice = await wx(t, '/card/membercard/updateuser', token, body)
      assert.deepEqual([again.result_bonus, twice.result_bonus, twice.result_balance], [20, 30, 300])
    })

    it('cards made through card/create get numeric codes, consumed like any; a wrong check digit is 40056', async () => {
      const { apiKey, token } = await wechatMerchant(t)
      const created = await wx(t, '/card/create', token, { card: { card_type: 'CASH', cash: { base_info: { title: '立减20元', notice: 'n', date_info: { type: 2, fixed_term: 7 }, sku: { quantity: 5 } }, reduce_cost: 2000, least_cost: 10000 } } })
      assert.equal(created.errcode, 0, JSON.stringify(created))
      assert.equal((await t.request('GET', `/v1/cards/${created.card_id}`, { key: apiKey })).body.code_format, 'numeric')
      assert.equal((await wx(t, '/card/get', token, { card_id: created.card_id })).card.kabao.code_format, 'numeric')
      const code = (await wx(t, '/kabao/card/issue', token, { card_id: created.card_id, openid: 'o1' })).code as string
      assert.match(code, /^[1-9][0-9]{19}$/)
      const wrong = code.slice(0, 19) + String((Number(code[19]) + 1) % 10)
      assert.deepEqual(await wx(t, '/card/code/consume', token, { code: wrong }), { errcode: 40056, errmsg: 'invalid serial code' })
      assert.equal((await wx(t, '/card/code/consume', token, { code })).errcode, 0)
      assert.equal((await t.request('GET', `/v1/coupons/${code}`, { key: apiKey })).body.state, 'redeemed')
    })
  })
}
