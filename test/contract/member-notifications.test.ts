import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { assertLedgersConsistent, createMemberCard, join, order, postPoints } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { notifyExpiringPoints } from '../../src/jobs/notify-expiring-points.job.ts'
import { expirePoints } from '../../src/jobs/expire-points.job.ts'
import { giveBirthdayGifts } from '../../src/jobs/birthday-gifts.job.ts'
import { reviewMemberLevels } from '../../src/jobs/review-member-levels.job.ts'
import { remindExpiringCoupons } from '../../src/jobs/remind-expiring-coupons.job.ts'

const START = '2026-03-10T02:00:00Z'

interface Notice {
  id: string
  kind: string
  title: string
  body: string
  data: Record<string, any>
}

for (const engine of ENGINES) {
  describe(`member notifications on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    /** A merchant that switched its customers' notifications to English (zh-CN is the default). */
    const englishMerchant = async () => {
      const m = await newMerchant(t)
      assert.equal(expectStatus(await m.patch('/v1/merchant', { language: 'en' }), 200).language, 'en')
      return m
    }
    /** A user's inbox, oldest first. */
    const inbox = async (m: MerchantApi, userId: string): Promise<Notice[]> => expectStatus(await m.get(`/v1/users/${userId}/notifications?limit=500`), 200).data.reverse()
    const said = (notices: Notice[]) => notices.map((n) => [n.kind, n.title, n.body])
    /** Every notification was passed on to the merchant's webhooks as a `notification.created` event. */
    const assertRelayed = async (m: MerchantApi, userIds: string[]) => {
      const ids = (await Promise.all(userIds.map((u) => inbox(m, u)))).flat().map((n) => n.id).sort()
      assert.deepEqual((await m.events('notification.created')).map((e) => e.data.notification_id).sort(), ids)
    }

    it('tells a member of every points and stored-value movement with the change and the new balance, once, and nothing that was refused', async () => {
      clock.set(START)
      const m = await englishMerchant()
      const member = await join(m, (await createMemberCard(m)).id, 'u1')
      expectStatus(await m.post(`/v1/members/${member.id}/stored-value`, { delta: 10_000, reason: 'Top-up', payment_ref: 'pay-1' }), 201)
      expectStatus(await m.post(`/v1/members/${member.id}/stored-value`, { delta: 10_000, reason: 'Top-up', payment_ref: 'pay-1' }), 200)
      await order(m, member.id, { order_ref: 'A1', order_amount: 12_000, stored_value_amount: 2_050 })
      expectStatus(await m.post(`/v1/members/${member.id}/orders/A1/refunds`, { refund_ref: 'r1', amount: 6_000 }), 201)
      expectStatus(await postPoints(t, m.key, member.id, { delta: -10, reason: '客服调整' }), 201)
      expectProblem(await postPoints(t, m.key, member.id, { delta: -1_000, reason: 'Too much' }), 409, 'insufficient_points')
      expectProblem(await m.post(`/v1/members/${member.id}/stored-value`, { delta: -1_000_000, reason: 'Too much' }), 409, 'insufficient_balance')

      const notices = await inbox(m, 'u1')
      assert.deepEqual(said(notices), [
        ['stored_value.changed', 'Stored value topped up', 'Stored value +¥100.00 (Top-up). Balance: ¥100.00.'],
        ['stored_value.changed', 'Paid with stored value', 'Stored value -¥20.50 (Order A1). Balance: ¥79.50.'],
        ['points.changed', 'Points earned', 'Points +120 (Order A1). Balance: 120.'],
        ['points.changed', 'Points reversed', 'Points -60 (Refund r1 of order A1). Balance: 60.'],
        ['stored_value.changed', 'Refund to stored value', 'Stored value +¥10.25 (Refund r1 of order A1). Balance: ¥89.75.'],
        ['points.changed', 'Points deducted', 'Points -10 (客服调整). Balance: 50.'],
      ])
      const [earned] = (await m.events('points.changed')).filter((e) => e.data.delta === 120)
      assert.deepEqual(notices[2].data, earned.data, 'the notification carries the event’s data')
      await assertLedgersConsistent(t.db.database.db, member.id)
      await assertRelayed(m, ['u1'])

      // The customer reads the same in the wallet, newest first.
      const token = expectStatus(await m.post('/v1/wallet-tokens', { user_id: 'u1' }), 201).token
      const wallet = expectStatus(await t.request('GET', '/v1/wallet/notifications', { key: token }), 200)
      assert.deepEqual(wallet.data.map((n: Notice) => n.id), notices.map((n) => n.id).reverse())
      assert.equal(wallet.unread_count, 6)
    })

    it('tells a member of level changes, up at once and down at a review', async () => {
      clock.set('2026-03-20T02:00:00Z')
      const m = await englishMerchant()
      const member = await join(m, (await createMemberCard(m, { level_review: 'monthly' })).id, 'climber')
      await order(m, member.id, { order_ref: 'big', order_amount: 150_000 })
      clock.set('2026-04-01T00:00:00+08:00')
      await runJobsOnce(t.ctx, [reviewMemberLevels]) // March's growth keeps Silver
      clock.set('2026-05-01T00:00:00+08:00')
      await runJobsOnce(t.ctx, [reviewMemberLevels]) // nothing in April
      const levels = (await inbox(m, 'climber')).filter((n) => n.kind === 'member.level_changed')
      assert.deepEqual(said(levels), [
        ['member.level_changed', 'Level up', 'Your level is now “Silver” (was “Member”).'],
        ['member.level_changed', 'Level changed', 'Your level is now “Member” (was “Silver”).'],
      ])
      assert.deepEqual(levels.map((n) => [n.data.member_id, n.data.reason]), [[member.id, 'growth'], [member.id, 'review']])
      await assertRelayed(m, ['climber'])
    })

    it('says what points bought, never the pick-up code, and nothing when the exchange is refused', async () => {
      clock.set(START)
      const m = await englishMerchant()
      const memberCard = await createMemberCard(m)
      const card = await m.createCard(cashCard({ stock: 10 }))
      const member = await join(m, memberCard.id, 'collector')
      expectStatus(await postPoints(t, m.key, member.id, { delta: 500, reason: 'Welcome' }), 201)
      const coupon = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.id, points_cost: 200, stock: 5 }), 201)
      const goods = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'goods', title: 'Tote bag', points_cost: 250, stock: 5 }), 201)
      const gotCoupon = expectStatus(await m.post(`/v1/members/${member.id}/exchanges`, { reward_id: coupon.id }), 201)
      const gotGoods = expectStatus(await m.post(`/v1/members/${member.id}/exchanges`, { reward_id: goods.id }), 201)
      expectProblem(await m.post(`/v1/members/${member.id}/exchanges`, { reward_id: goods.id }), 409, 'insufficient_points')

      const notices = await inbox(m, 'collector')
      assert.deepEqual(said(notices), [
        ['points.changed', 'Points earned', 'Points +500 (Welcome). Balance: 500.'],
        ['points.changed', 'Points redeemed', 'Points -200 (Exchanged for 满100减20). Balance: 300.'],
        ['reward.exchanged', 'Reward exchanged', '“满100减20” (points -200): the coupon is in your wallet.'],
        ['points.changed', 'Points redeemed', 'Points -250 (Exchanged for Tote bag). Balance: 50.'],
        ['reward.exchanged', 'Reward exchanged', '“Tote bag” (points -250): show your pick-up code in the wallet to collect it.'],
      ])
      assert.deepEqual([notices[2].data.exchange_id, notices[2].data.coupon_id], [gotCoupon.id, gotCoupon.coupon.id])
      assert.deepEqual([notices[4].data.exchange_id, notices[4].data.coupon_id], [gotGoods.id, null])
      assert.ok(!JSON.stringify(notices).includes(gotGoods.pickup_code), 'the pick-up code stays out of the inbox and the events')
      assert.ok(!JSON.stringify(await m.events()).includes(gotGoods.pickup_code))
      await assertLedgersConsistent(t.db.database.db, member.id)
      await assertRelayed(m, ['collector'])
    })

    it('announces expiring points once ahead, then their expiry, and a birthday gift once', async () => {
      clock.set('2026-03-01T02:00:00Z')
      const m = await englishMerchant()
      const gift = await m.createCard(cashCard({ title: 'Birthday cake', reduce_cost: 1000 }))
      const memberCard = await createMemberCard(m, {
        profile_fields: { birthday: 'optional' },
        points_expiry: { type: 'days', days: 30, notice_days: 7 },
        levels: [{ name: 'Member', min_growth: 0, birthday_card_id: gift.id }],
      })
      const member = await join(m, memberCard.id, 'saver', { profile: { birthday: '1990-03-25' }, consent: true })
      expectStatus(await postPoints(t, m.key, member.id, { delta: 100, reason: 'Welcome' }), 201)

      clock.set('2026-03-24T00:00:00+08:00')
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      clock.set('2026-03-25T00:00:00+08:00')
      await runJobsOnce(t.ctx, [giveBirthdayGifts])
      await runJobsOnce(t.ctx, [giveBirthdayGifts])
      clock.set('2026-03-31T00:00:00+08:00')
      await runJobsOnce(t.ctx, [expirePoints])

      const notices = await inbox(m, 'saver')
      assert.deepEqual(said(notices), [
        ['points.changed', 'Points earned', 'Points +100 (Welcome). Balance: 100.'],
        ['points.expiring', 'Points expiring soon', 'Points expiring at 2026-03-31 00:00: 100. Use them before then.'],
        ['member.birthday_gift', 'Happy birthday', 'A birthday gift is in your wallet: “Birthday cake”.'],
        ['points.changed', 'Points expired', 'Points -100 (100 points expired). Balance: 0.'],
      ])
      const [coupon] = expectStatus(await m.get('/v1/users/saver/coupons'), 200).data
      assert.deepEqual(notices[2].data, { member_id: member.id, user_id: 'saver', card_id: gift.id, coupon_id: coupon.id, title: 'Birthday cake' })
      assert.deepEqual(notices[1].data, (await m.events('points.expiring'))[0].data)
      await assertLedgersConsistent(t.db.database.db, member.id)
      await assertRelayed(m, ['saver'])
    })
    it('speaks Chinese to customers by default, and English once the merchant switches', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      assert.equal(expectStatus(await m.get('/v1/merchant'), 200).language, 'zh-CN')
      const memberCard = await createMemberCard(m)
      const member = await join(m, memberCard.id, 'reader')
      expectStatus(await postPoints(t, m.key, member.id, { delta: 500, reason: '开卡礼' }), 201)
      const goods = expectStatus(await m.post('/v1/rewards', { member_card_id: memberCard.id, type: 'goods', title: '帆布袋', points_cost: 250, stock: 5 }), 201)
      expectStatus(await m.post(`/v1/members/${member.id}/exchanges`, { reward_id: goods.id }), 201)
      expectStatus(await m.post(`/v1/members/${member.id}/stored-value`, { delta: 10_000, reason: '充值', payment_ref: 'pay-zh' }), 201)
      assert.deepEqual(said(await inbox(m, 'reader')), [
        ['points.changed', '积分到账', '积分 +500（开卡礼），当前积分 500。'],
        ['points.changed', '积分已兑换', '积分 -250（积分兑换），当前积分 250。'],
        ['reward.exchanged', '兑换成功', '“帆布袋”（积分 -250）：请在卡包中出示提货码领取。'],
        ['stored_value.changed', '储值已到账', '储值 +¥100.00（充值），当前余额 ¥100.00。'],
      ])

      const switched = expectStatus(await m.patch('/v1/merchant', { language: 'en' }), 200)
      assert.equal(switched.language, 'en')
      expectProblem(await m.patch('/v1/merchant', { language: 'fr' }), 422, 'validation_failed')
      expectStatus(await postPoints(t, m.key, member.id, { delta: 10, reason: 'Bonus' }), 201)
      assert.deepEqual(said(await inbox(m, 'reader')).at(-1), ['points.changed', 'Points earned', 'Points +10 (Bonus). Balance: 260.'])
      await assertRelayed(m, ['reader'])
    })
    it('tells of levels, expiring coupons and points, birthday gifts and expiry in Chinese by default, in English after the switch', async () => {
      clock.set('2026-03-01T02:00:00Z')
      const m = await newMerchant(t)
      const gift = await m.createCard(cashCard({ title: '生日蛋糕', reduce_cost: 1000 }))
      const coupons = await m.createCard(cashCard({ validity: { type: 'fixed_term', days: 10 } }))
      const memberCard = await createMemberCard(m, {
        profile_fields: { name: 'off', phone: 'off', birthday: 'optional' },
        points_rules: { profile_completed: 50 },
        growth_rules: { profile_completed: 1000 },
        points_expiry: { type: 'days', days: 30, notice_days: 7 },
        levels: [
          { name: '普通会员', min_growth: 0, birthday_card_id: gift.id },
          { name: '银卡会员', min_growth: 1000, birthday_card_id: gift.id },
        ],
      })
      const member = await join(m, memberCard.id, 'zh', { profile: { birthday: '1990-03-25' }, consent: true })
      await m.issue(coupons.id, 'zh')
      clock.set('2026-03-08T00:00:00+08:00')
      await runJobsOnce(t.ctx, [remindExpiringCoupons])
      clock.set('2026-03-24T00:00:00+08:00')
      await runJobsOnce(t.ctx, [notifyExpiringPoints])
      clock.set('2026-03-25T00:00:00+08:00')
      await runJobsOnce(t.ctx, [giveBirthdayGifts])
      assert.deepEqual(said(await inbox(m, 'zh')), [
        ['points.changed', '积分到账', '积分 +50（完善资料），当前积分 50。'],
        ['member.level_changed', '会员升级', '您的会员等级已由“普通会员”变为“银卡会员”。'],
        ['coupon.expiring', '优惠券即将过期', '“满100减20”可使用至 2026-03-10 23:59。'],
        ['points.expiring', '积分即将过期', '50 积分将于 2026-03-31 00:00 过期，请尽快使用。'],
        ['member.birthday_gift', '生日快乐', '生日礼券“生日蛋糕”已放入您的卡包。'],
      ])

      expectStatus(await m.patch('/v1/merchant', { language: 'en' }), 200)
      clock.set('2026-03-31T00:00:00+08:00')
      await runJobsOnce(t.ctx, [expirePoints])
      assert.deepEqual(said(await inbox(m, 'zh')).at(-1), ['points.changed', 'Points expired', 'Points -50 (50 points expired). Balance: 0.'])
      await assertLedgersConsistent(t.db.database.db, member.id)
      await assertRelayed(m, ['zh'])
    })
  })
}
