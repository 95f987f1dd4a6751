import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { consumeSourceOf, outerIdOf, pushMessagesOf, pushSubscriptions, renderPushXml, signedQuery, signedUrl, wechatSignature, type PushFacts } from './wechat-push.ts'

const facts = (over: Partial<PushFacts> = {}): PushFacts => ({
  originalId: 'gh_0123456789ab',
  codes: { cpn_1: '4729035518264093', cpn_2: '1111222233334444' },
  outerStrs: { cpn_1: 'poster-a', cpn_2: null },
  sources: { cpn_1: 'claim_link', cpn_2: 'gift' },
  storeName: 'Store 1',
  staffId: 'stf_1',
  memberNumbers: { mem_1: 'M0001' },
  ...over,
})
const at = Date.parse('2026-03-02T04:00:00Z')

describe('WeChat push signatures', () => {
  it('is the SHA-1 of token, timestamp and nonce sorted and concatenated', () => {
    // Sorted as strings: "123" < "1763800000" < "kabao".
    const expected = createHash('sha1').update('1231763800000kabao').digest('hex')
    assert.equal(wechatSignature('kabao', '1763800000', '123'), expected)
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => wechatSignature(a, b, c) === wechatSignature(c, a, b)))
  })
  it('puts signature, timestamp, nonce (and echostr) in the query, after the URL’s own', () => {
    const query = new URLSearchParams(signedQuery('tok', 1763800000, '42', 'echo'))
    assert.equal(query.get('timestamp'), '1763800000')
    assert.equal(query.get('nonce'), '42')
    assert.equal(query.get('echostr'), 'echo')
    assert.equal(query.get('signature'), wechatSignature('tok', '1763800000', '42'))
    assert.equal(signedUrl('http://h/x?a=1', 'b=2'), 'http://h/x?a=1&b=2')
    assert.equal(signedUrl('http://h/x', 'b=2'), 'http://h/x?b=2')
  })
})

describe('WeChat push XML', () => {
  it('renders the envelope with strings in CDATA, integers bare, and splits ]]>', () => {
    const xml = renderPushXml('gh_x', { from: 'u]]>1', createTime: 1763800000, event: 'user_get_card', elements: [['CardId', 'crd_1'], ['IsGiveByFriend', 0]] })
    assert.equal(
      xml,
      '<xml>\n  <ToUserName><![CDATA[gh_x]]></ToUserName>\n  <FromUserName><![CDATA[u]]]]><![CDATA[>1]]></FromUserName>\n  <CreateTime>1763800000</CreateTime>\n  <MsgType><![CDATA[event]]></MsgType>\n  <Event><![CDATA[user_get_card]]></Event>\n  <CardId><![CDATA[crd_1]]></CardId>\n  <IsGiveByFriend>0</IsGiveByFriend>\n</xml>',
    )
  })
})

describe('WeChat push mapping', () => {
  const names = (type: string, data: Record<string, unknown>, f = facts()) => pushMessagesOf({ type, data, createdAt: at }, f).map((m) => [m.from, m.event, ...m.elements.map(([k]) => k)].join(' '))

  it('pushes user_get_card with every element for an issue, none for a coupon received as a gift', () => {
    const [message] = pushMessagesOf({ type: 'coupon.issued', data: { coupon_id: 'cpn_1', card_id: 'crd_1', user_id: 'u1' }, createdAt: at }, facts())
    assert.equal(message.createTime, at / 1000)
    assert.deepEqual(message.elements, [['CardId', 'crd_1'], ['UserCardCode', '4729035518264093'], ['IsGiveByFriend', 0], ['FriendUserName', ''], ['OuterId', 0], ['OuterStr', 'poster-a'], ['OldUserCardCode', ''], ['IsRestoreMemberCard', 0]])
    assert.deepEqual(names('coupon.issued', { coupon_id: 'cpn_2', card_id: 'crd_1', user_id: 'u2' }), [])
  })
  it('pushes the giver’s user_gifting_card and the receiver’s user_get_card for a gift', () => {
    const pushed = pushMessagesOf({ type: 'coupon.gifted', data: { coupon_id: 'cpn_1', received_coupon_id: 'cpn_2', card_id: 'crd_1', giver_user_id: 'g', receiver_user_id: 'r' }, createdAt: at }, facts())
    assert.deepEqual(pushed.map((m) => [m.from, m.event]), [['g', 'user_gifting_card'], ['r', 'user_get_card']])
    assert.deepEqual(Object.fromEntries(pushed[1].elements), { CardId: 'crd_1', UserCardCode: '1111222233334444', IsGiveByFriend: 1, FriendUserName: 'g', OuterId: 0, OuterStr: '', OldUserCardCode: '4729035518264093', IsRestoreMemberCard: 0 })
    assert.deepEqual(names('coupon.gift_returned', { coupon_id: 'cpn_1', giver_user_id: 'g' }), ['g user_gifting_card CardId UserCardCode FriendUserName IsReturnBack IsChatRoom'])
  })
  it('maps a redemption to user_consume_card with its source, store and clerk', () => {
    const [message] = pushMessagesOf({ type: 'coupon.redeemed', data: { coupon_id: 'cpn_1', card_id: 'crd_1', user_id: 'u1', channel: 'api', store_id: 'sto_1' }, createdAt: at }, facts())
    assert.deepEqual(Object.fromEntries(message.elements), { CardId: 'crd_1', UserCardCode: '4729035518264093', ConsumeSource: 'FROM_API', LocationName: 'Store 1', StaffOpenId: 'stf_1', VerifyCode: '', RemarkAmount: '', OuterStr: 'poster-a' })
    assert.deepEqual(['api', 'self_service', 'scan', 'manual'].map(consumeSourceOf), ['FROM_API', 'FROM_API', 'FROM_MOBILE_HELPER', 'FROM_MP'])
  })
  it('maps a holder’s removal to user_del_card and a wallet detail view to user_view_card with the channel tag', () => {
    const [removed] = pushMessagesOf({ type: 'coupon.voided', data: { coupon_id: 'cpn_1', card_id: 'crd_1', user_id: 'u1', reason: null, by: 'holder' }, createdAt: at }, facts())
    assert.deepEqual([removed.from, removed.event, removed.elements], ['u1', 'user_del_card', [['CardId', 'crd_1'], ['UserCardCode', '4729035518264093']]])
    const [viewed] = pushMessagesOf({ type: 'coupon.viewed', data: { coupon_id: 'cpn_1', card_id: 'crd_1', user_id: 'u1' }, createdAt: at }, facts())
    assert.deepEqual([viewed.from, viewed.event, viewed.elements], ['u1', 'user_view_card', [['CardId', 'crd_1'], ['UserCardCode', '4729035518264093'], ['OuterStr', 'poster-a']]])
    assert.ok(pushSubscriptions(false).includes('coupon.voided') && pushSubscriptions(false).includes('coupon.viewed'))
  })
  it('pushes card_pass_check for a card made active or a draft published, not a resumed card', () => {
    assert.deepEqual(names('card.created', { card_id: 'crd_1', status: 'active' }), ['gh_0123456789ab card_pass_check CardId RefuseReason'])
    assert.deepEqual(names('card.created', { card_id: 'crd_1', status: 'draft' }), [])
    assert.equal(names('card.activated', { card_id: 'crd_1', previous_status: 'draft' }).length, 1)
    assert.deepEqual(names('card.activated', { card_id: 'crd_1', previous_status: 'paused' }), [])
    assert.equal(pushSubscriptions(false).includes('card.created'), false)
    assert.equal(pushSubscriptions(true).includes('card.created'), true)
  })
  it('maps points and stored value to update_member_card deltas, stock to card_sku_remind, and nothing else', () => {
    const [points] = pushMessagesOf({ type: 'points.changed', data: { member_id: 'mem_1', member_card_id: 'mcd_1', user_id: 'u1', delta: -30 }, createdAt: at }, facts())
    assert.deepEqual(Object.fromEntries(points.elements), { CardId: 'mcd_1', UserCardCode: 'M0001', ModifyBonus: -30, ModifyBalance: 0 })
    const [balance] = pushMessagesOf({ type: 'stored_value.changed', data: { member_id: 'mem_1', member_card_id: 'mcd_1', user_id: 'u1', delta: 500 }, createdAt: at }, facts())
    assert.equal(Object.fromEntries(balance.elements).ModifyBalance, 500)
    assert.deepEqual(names('card.stock_low', { card_id: 'crd_1', stock_remaining: 3 }), ['gh_0123456789ab card_sku_remind CardId Detail'])
    assert.deepEqual(names('coupon.voided', { coupon_id: 'cpn_1', card_id: 'crd_1', user_id: 'u1', by: 'merchant' }), [], 'a merchant’s void has no WeChat counterpart')
    for (const type of ['coupon.voided', 'coupon.reversed', 'coupon.expiring', 'coupon.expired', 'member.level_changed', 'card.updated']) assert.deepEqual(names(type, { coupon_id: 'cpn_1' }), [])
    assert.deepEqual([outerIdOf('123'), outerIdOf('poster'), outerIdOf(null)], [123, 0, 0])
  })
})
