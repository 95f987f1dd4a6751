import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LANGUAGES, messageText, type Language } from './messages.ts'

describe('notification messages', () => {
  it('writes money as exact yuan with a sign, and every fallback title, in each language', () => {
    const said = (language: Language) => [
      messageText(language, 'stored_value.changed', { delta: -5, type: 'adjustment', reason: 'x', balance: 100_000_000_001 }),
      messageText(language, 'points.changed', { delta: -3, type: 'adjustment', reason: 'x', balance: 0 }),
      messageText(language, 'member.level_changed', { fromLevel: 'A', toLevel: 'B', up: false }),
    ]
    assert.deepEqual(said('en'), [
      { title: 'Stored value adjusted', body: 'Stored value -¥0.05 (x). Balance: ¥1000000000.01.' },
      { title: 'Points deducted', body: 'Points -3 (x). Balance: 0.' },
      { title: 'Level changed', body: 'Your level is now “B” (was “A”).' },
    ])
    assert.deepEqual(said('zh-CN'), [
      { title: '储值调整', body: '储值 -¥0.05（x），当前余额 ¥1000000000.01。' },
      { title: '积分扣减', body: '积分 -3（x），当前积分 0。' },
      { title: '会员等级变更', body: '您的会员等级已由“A”变为“B”。' },
    ])
  })

  it('names the reasons Kabao writes itself in Chinese by their entry type, and quotes the merchant’s own', () => {
    assert.equal(messageText('zh-CN', 'points.changed', { delta: 5, type: 'sign_in', reason: 'Daily sign-in 2026-03-01', balance: 5 }).body, '积分 +5（每日签到），当前积分 5。')
    assert.equal(messageText('zh-CN', 'points.changed', { delta: 5, type: 'adjustment', reason: '客服补偿', balance: 5 }).body, '积分 +5（客服补偿），当前积分 5。')
    assert.equal(messageText('en', 'points.changed', { delta: 5, type: 'sign_in', reason: 'Daily sign-in 2026-03-01', balance: 5 }).body, 'Points +5 (Daily sign-in 2026-03-01). Balance: 5.')
  })

  it('names order entries in Chinese with their references', () => {
    assert.equal(messageText('zh-CN', 'points.changed', { delta: 15, type: 'purchase', reason: 'Order A1', balance: 15 }).body, '积分 +15（订单 A1），当前积分 15。')
    assert.equal(messageText('zh-CN', 'points.changed', { delta: -15, type: 'refund', reason: 'Refund R1 of order A1', balance: 0 }).body, '积分 -15（订单 A1 退款 R1），当前积分 0。')
    assert.equal(messageText('zh-CN', 'stored_value.changed', { delta: -500, type: 'payment', reason: 'Order A1', balance: 0 }).body, '储值 -¥5.00（订单 A1），当前余额 ¥0.00。')
  })

  it('tells a sharer of rewards and unlocked coupons in each language', () => {
    assert.deepEqual(messageText('zh-CN', 'share.rewarded', { title: '新客券', rewardTitle: '咖啡券', friends: 3 }), {
      title: '分享奖励到账',
      body: '已有 3 位好友通过您的分享领取“新客券”，奖励“咖啡券”已放入您的卡包。',
    })
    assert.deepEqual(messageText('en', 'share.rewarded', { title: 'New', rewardTitle: 'Coffee', friends: 3 }), {
      title: 'Share reward earned',
      body: 'Friends who claimed “New” through your link: 3. Your reward “Coffee” is in your wallet.',
    })
    assert.equal(messageText('zh-CN', 'coupon.unlocked', { title: '裂变券', friends: 2 }).body, '已有 2 位好友通过您的分享领取，“裂变券”现在可以使用了。')
    assert.equal(messageText('en', 'coupon.unlocked', { title: 'Fission', friends: 2 }).title, 'Coupon unlocked')
  })

  it('tells group members and both sides of a referral what happened, in each language', () => {
    assert.deepEqual(messageText('zh-CN', 'group.completed', { title: '双人套餐', size: 3 }), { title: '拼团成功', body: '3 人已成团，“双人套餐”已放入您的卡包。' })
    assert.deepEqual(messageText('en', 'group.failed', { title: 'Set meal', size: 3, members: 2 }), {
      title: 'Your group did not fill',
      body: 'Time is up for the group for “Set meal” (members 2/3); no coupon was issued.',
    })
    assert.equal(messageText('zh-CN', 'group.failed', { title: '双人套餐', size: 3, members: 2 }).body, '“双人套餐”的拼团时间已到（2/3 人），未能成团，未发放优惠券。')
    assert.deepEqual(messageText('en', 'referral.rewarded', { role: 'referrer', cardTitle: 'Tea Club', points: 100, couponTitle: '¥5 off' }), {
      title: 'A friend you invited joined',
      body: 'Your friend joined “Tea Club”: points +100, the coupon “¥5 off” is in your wallet.',
    })
    assert.equal(messageText('zh-CN', 'referral.rewarded', { role: 'invitee', cardTitle: '茶会员', points: 0, couponTitle: '五元券' }).body, '您已受邀加入“茶会员”：优惠券“五元券”已放入您的卡包。')
  })

  it('has both languages', () => assert.deepEqual([...LANGUAGES], ['zh-CN', 'en']))
})
