import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { assertInvalidFields } from '../helpers/problem.ts'
import { assertLedgersConsistent, createMemberCard, getMember, join, memberCardBody, order } from '../helpers/member-api.ts'
import QRCode from 'qrcode'
import { ManualClock } from '../../src/ports/clock.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { reviewMemberLevels } from '../../src/jobs/review-member-levels.job.ts'
import { giveBirthdayGifts } from '../../src/jobs/birthday-gifts.job.ts'

const START = '2026-06-15T02:00:00Z' // Monday 10:00 in Shanghai

for (const engine of ENGINES) {
  describe(`member cards and members on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    it('creates a member card with its levels, benefits and rules written out', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { member_number_prefix: 'BK', level_review: 'yearly', points_expiry: { type: 'end_of_year', years_after: 1 } })
      assert.match(card.id, /^mcd_/)
      assert.equal(card.status, 'active')
      assert.equal(card.title, 'Bakery Club')
      assert.deepEqual(card.levels[0], { name: 'Member', min_growth: 0, percent_off: 0, points_multiplier: 1, birthday_card_id: null, perks: [] })
      assert.deepEqual(card.levels[1], { name: 'Silver', min_growth: 1000, percent_off: 5, points_multiplier: 1.5, birthday_card_id: null, perks: ['Free coffee refill'] })
      assert.deepEqual(card.points_rules, { per_yuan: 1, sign_in: 0, profile_completed: 0, referral: 0 })
      assert.deepEqual(card.points_expiry, { type: 'end_of_year', years_after: 1 })
      assert.equal(card.points_expiry_notice_days, 30)
      assert.deepEqual(card.profile_fields, { name: 'optional', phone: 'optional', birthday: 'optional', gender: 'off' })
      assert.equal(card.stored_value.refund_rule.fee_percent, 5)
      assert.equal(card.member_count, 0)
      assert.equal(card.created_at, '2026-06-15T10:00:00+08:00')
      assert.deepEqual(expectStatus(await m.get(`/v1/member-cards/${card.id}`), 200), card)
      assert.deepEqual(expectStatus(await m.get('/v1/member-cards'), 200).data.map((c: { id: string }) => c.id), [card.id])
      assert.equal((await m.events('member_card.created'))[0].data.member_card_id, card.id)
    })

    it('draws the join link as a QR code for the merchant alone', async () => {
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const svg = await m.get(`/v1/member-cards/${card.id}/qr.svg`)
      assert.equal(svg.status, 200, svg.text)
      assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/)
      assert.match(String(svg.headers['cache-control']), /^private/)
      // The very picture of join_url that the QR library draws, so a scan opens the join page.
      assert.equal(svg.text, await QRCode.toString(card.join_url, { type: 'svg', width: 512, margin: 2, errorCorrectionLevel: 'M' }))
      const png = await t.app.inject({ method: 'GET', url: `/v1/member-cards/${card.id}/qr.png?size=200`, headers: { authorization: `Bearer ${m.key}` } })
      assert.equal(png.statusCode, 200)
      assert.equal(png.headers['content-type'], 'image/png')
      assert.equal(png.rawPayload.subarray(1, 4).toString('ascii'), 'PNG')
      // Width in the IHDR chunk, after the 8-byte signature and the chunk's length and type.
      assert.equal(png.rawPayload.readUInt32BE(16), 200)
      assert.equal((await m.get(`/v1/member-cards/${card.id}/qr.png?size=10`)).body.errors[0].field, 'size')
      expectProblem(await (await newMerchant(t)).get(`/v1/member-cards/${card.id}/qr.png`), 404, 'member_card_not_found')
      assert.equal((await t.request('GET', `/v1/member-cards/${card.id}/qr.png`)).status, 401)
    })

    it('refuses more than 5 levels, a first level above 0, levels out of order and other broken rules', async () => {
      const m = await newMerchant(t)
      const levels = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `L${i}`, min_growth: i * 100 }))
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ levels: levels(6) })), ['levels'])
      expectStatus(await m.post('/v1/member-cards', memberCardBody({ levels: levels(5) })), 201)
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ levels: [] })), ['levels'])
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ levels: [{ name: 'A', min_growth: 10 }] })), ['levels[0].min_growth'])
      assertInvalidFields(
        await m.post('/v1/member-cards', memberCardBody({ levels: [{ name: 'A', min_growth: 0 }, { name: 'B', min_growth: 500 }, { name: 'a', min_growth: 400 }] })),
        ['levels[2].min_growth', 'levels[2].name'],
      )
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ levels: [{ name: 'A', min_growth: 0, points_multiplier: 1.255 }] })), ['levels[0].points_multiplier'])
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ points_expiry: { type: 'days' } })), ['points_expiry.days'])
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ levels: [{ name: 'A', min_growth: 0, birthday_card_id: 'crd_unknown' }] })), ['levels[0].birthday_card_id'])
      assertInvalidFields(await m.post('/v1/member-cards', { levels: [{ name: 'A', min_growth: 0 }] }), ['title'])
      assertInvalidFields(await m.post('/v1/member-cards', memberCardBody({ levels: [{ name: 'A', min_growth: '0' }] })), ['levels[0].min_growth'])
      assert.equal(expectStatus(await m.get('/v1/member-cards'), 200).data.length, 1)
    })

    it('takes stored value by default, publishing a full refund on request when the merchant states no rule', async () => {
      const m = await newMerchant(t)
      const minimal = expectStatus(await m.post('/v1/member-cards', { title: 'Plain', levels: [{ name: 'Member', min_growth: 0 }] }), 201)
      assert.deepEqual(minimal.stored_value, { enabled: true, refund_rule: { description: 'Unspent stored value is refunded in full on request.', refundable: true, fee_percent: 0 } })
      const member = await join(m, minimal.id, 'plain')
      expectStatus(await m.post(`/v1/members/${member.id}/stored-value`, { delta: 1_000, reason: 'Top-up' }), 201)
      const off = expectStatus(await m.post('/v1/member-cards', memberCardBody({ stored_value: { enabled: false } })), 201)
      assert.equal(off.stored_value.enabled, false)
    })

    it('joins a user once, with a member number in sequence and the first level', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { member_number_prefix: 'BK' })
      const first = await join(m, card.id, 'u1')
      assert.deepEqual(
        { id: typeof first.id, member_card_id: first.member_card_id, user_id: first.user_id, member_number: first.member_number, level: first.level, growth: first.growth, points_balance: first.points_balance, stored_value_balance: first.stored_value_balance },
        { id: 'string', member_card_id: card.id, user_id: 'u1', member_number: 'BK00000001', level: 'Member', growth: 0, points_balance: 0, stored_value_balance: 0 },
      )
      assert.match(first.id, /^mbr_/)
      assert.deepEqual(first.next_level, { name: 'Silver', min_growth: 1000, growth_needed: 1000 })
      assert.equal((await join(m, card.id, 'u2')).member_number, 'BK00000002')
      expectProblem(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'u1' }), 409, 'already_member')
      assert.equal((await join(m, card.id, 'u3')).member_number, 'BK00000003', 'a refused join uses no number')
      assert.deepEqual(await getMember(m, first.id), first)
      assert.equal(expectStatus(await m.get(`/v1/member-cards/${card.id}`), 200).member_count, 3)
      // The same user may join another card.
      const other = await createMemberCard(m, { title: 'Other club' })
      assert.equal((await join(m, other.id, 'u1')).member_number, '00000001')
      const joined = await m.events('member.joined')
      assert.deepEqual(joined.map((e) => [e.data.user_id, e.data.member_number]), [['u1', 'BK00000001'], ['u2', 'BK00000002'], ['u3', 'BK00000003'], ['u1', '00000001']])
      assert.deepEqual(expectStatus(await m.get(`/v1/members?member_card_id=${card.id}&user_id=u1`), 200).data.map((x: { id: string }) => x.id), [first.id])
      assert.deepEqual(expectStatus(await m.get('/v1/members?member_number=BK00000002'), 200).data.map((x: { user_id: string }) => x.user_id), ['u2'])
    })

    it('keeps one membership per user when the same user joins many times at once', async () => {
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const replies = await Promise.all(Array.from({ length: 8 }, () => m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'eager' })))
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409])
      assert.equal(expectStatus(await m.get(`/v1/members?member_card_id=${card.id}`), 200).data.length, 1)
    })

    it('asks for the profile fields the card names, with consent recorded', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { profile_fields: { name: 'required', phone: 'optional', birthday: 'off' }, points_rules: { profile_completed: 50 }, growth_rules: { profile_completed: 20 } })
      assertInvalidFields(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'p1' }), ['profile.name'])
      assertInvalidFields(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'p1', profile: { name: 'Li' }, consent: false }), ['consent'])
      assertInvalidFields(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'p1', profile: { name: 'Li', birthday: '1990-01-01' }, consent: true }), ['profile.birthday'])
      const partial = await join(m, card.id, 'p1', { profile: { name: 'Li' }, consent: true })
      assert.deepEqual(partial.profile, { name: 'Li' })
      assert.equal(partial.consented_at, '2026-06-15T10:00:00+08:00')
      assert.equal(partial.points_balance, 0, 'the profile is not complete yet')

      const completed = expectStatus(await m.patch(`/v1/members/${partial.id}`, { profile: { phone: '13800138000' }, consent: true }), 200)
      assert.deepEqual(completed.profile, { name: 'Li', phone: '13800138000' })
      assert.equal(completed.points_balance, 50)
      assert.equal(completed.growth, 20)
      const again = expectStatus(await m.patch(`/v1/members/${partial.id}`, { profile: { phone: '13900139000' }, consent: true }), 200)
      assert.equal(again.points_balance, 50, 'a completed profile earns once')
      // Through the API the merchant confirms the consent it collected.
      const full = await join(m, card.id, 'p2', { profile: { name: 'Wang', phone: '13700137000' } })
      assert.equal(full.points_balance, 50, 'complete at joining')
      assert.equal(full.consented_at, '2026-06-15T10:00:00+08:00')
      await assertLedgersConsistent(t.db.database.db, full.id)
    })

    it('moves a member up as soon as their growth reaches a level, several levels at once, with an event each time', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const member = await join(m, card.id, 'climber')
      const first = await order(m, member.id, { order_ref: 'o-1', order_amount: 99_999 })
      assert.equal(first.growth_earned, 999)
      assert.equal(first.member.level, 'Member')
      const second = await order(m, member.id, { order_ref: 'o-2', order_amount: 100 })
      assert.equal(second.member.level, 'Silver', 'at exactly 1000 growth')
      assert.deepEqual(second.member.level_benefits, { percent_off: 5, points_multiplier: 1.5, birthday_gift: false, perks: ['Free coffee refill'] })
      const jump = await join(m, card.id, 'jumper')
      assert.equal((await order(m, jump.id, { order_ref: 'o-3', order_amount: 600_000 })).member.level, 'Gold')
      const events = await m.events('member.level_changed')
      assert.deepEqual(
        events.map((e) => [e.data.member_id, e.data.from_level, e.data.to_level, e.data.reason]),
        [[member.id, 'Member', 'Silver', 'growth'], [jump.id, 'Member', 'Gold', 'growth']],
      )
    })

    it('reviews levels at the end of each period from that period’s growth, down as well as up', async () => {
      clock.set('2026-12-20T02:00:00Z')
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { level_review: 'yearly' })
      const kept = await join(m, card.id, 'kept')
      const dropped = await join(m, card.id, 'dropped')
      assert.equal(kept.next_review_at, '2027-01-01T00:00:00+08:00')
      await order(m, kept.id, { order_ref: 'k-1', order_amount: 600_000 })
      await order(m, dropped.id, { order_ref: 'd-1', order_amount: 100_000 })
      assert.equal((await getMember(m, dropped.id)).level, 'Silver')

      clock.set('2026-12-31T15:59:59Z')
      assert.equal(await reviewMemberLevels.run(t.ctx, clock.now()), 0, 'not before the year ends')
      clock.set('2026-12-31T16:00:00Z')
      await runJobsOnce(t.ctx, [reviewMemberLevels])
      const keptAfter = await getMember(m, kept.id)
      assert.deepEqual([keptAfter.level, keptAfter.growth, keptAfter.next_review_at], ['Gold', 0, '2028-01-01T00:00:00+08:00'])
      assert.equal((await getMember(m, dropped.id)).level, 'Silver', '1000 growth in 2026 keeps Silver')

      // In 2027 neither earns enough: at the next review both go down to what 2027's growth reaches.
      clock.set('2027-06-01T02:00:00Z')
      await order(m, kept.id, { order_ref: 'k-2', order_amount: 150_000 })
      clock.set('2028-01-01T00:00:00+08:00')
      await runJobsOnce(t.ctx, [reviewMemberLevels])
      assert.equal((await getMember(m, kept.id)).level, 'Silver')
      assert.equal((await getMember(m, dropped.id)).level, 'Member')
      const reviews = (await m.events('member.level_changed')).filter((e) => e.data.reason === 'review')
      assert.deepEqual(reviews.map((e) => [e.data.member_id, e.data.from_level, e.data.to_level, e.data.growth]).sort(), [
        [dropped.id, 'Silver', 'Member', 0],
        [kept.id, 'Gold', 'Silver', 1500],
      ].sort())
      assert.equal(await reviewMemberLevels.run(t.ctx, clock.now()), 0, 'a review happens once')
    })

    it('gives points for the daily sign-in once a day, and for a referral', async () => {
      clock.set('2026-06-15T15:00:00Z') // 23:00 in Shanghai
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { points_rules: { sign_in: 5, referral: 100 }, growth_rules: { sign_in: 1 } })
      const member = await join(m, card.id, 'daily')
      const signed = expectStatus(await m.post(`/v1/members/${member.id}/sign-ins`), 201)
      assert.deepEqual([signed.delta, signed.points_balance, signed.growth], [5, 5, 1])
      expectProblem(await m.post(`/v1/members/${member.id}/sign-ins`), 409, 'already_signed_in')
      clock.advance(59 * 60 * 1000)
      expectProblem(await m.post(`/v1/members/${member.id}/sign-ins`), 409, 'already_signed_in')
      clock.advance(60 * 1000) // midnight in Shanghai
      assert.equal(expectStatus(await m.post(`/v1/members/${member.id}/sign-ins`), 201).points_balance, 10)

      const friend = await join(m, card.id, 'friend', { referrer_member_id: member.id })
      assert.equal(friend.referrer_member_id, member.id)
      assert.equal((await getMember(m, member.id)).points_balance, 110)
      assertInvalidFields(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'x', referrer_member_id: 'mbr_unknown' }), ['referrer_member_id'])
      const plain = await createMemberCard(m)
      expectProblem(await m.post(`/v1/members/${(await join(m, plain.id, 'daily')).id}/sign-ins`), 409, 'sign_in_not_offered')
      await assertLedgersConsistent(t.db.database.db, member.id)
    })

    it('gives the level’s birthday coupon on the birthday, once, and 29 February on the 28th in common years', async () => {
      clock.set('2027-02-20T02:00:00Z')
      const m = await newMerchant(t)
      const gift = await m.createCard(cashCard({ reduce_cost: 1000 }))
      const card = await createMemberCard(m, { profile_fields: { birthday: 'optional' }, levels: [{ name: 'Member', min_growth: 0, birthday_card_id: gift.id }] })
      const leapling = await join(m, card.id, 'leap', { profile: { birthday: '2000-02-29' }, consent: true })
      await join(m, card.id, 'no-birthday')
      assertInvalidFields(await m.patch(`/v1/members/${leapling.id}`, { profile: { birthday: '2000-03-01' }, consent: true }), ['profile.birthday'])

      clock.set('2027-02-27T16:00:00Z') // 2027-02-28 00:00 in Shanghai
      await runJobsOnce(t.ctx, [giveBirthdayGifts])
      await runJobsOnce(t.ctx, [giveBirthdayGifts])
      const coupons = expectStatus(await m.get('/v1/users/leap/coupons'), 200).data
      assert.deepEqual(coupons.map((c: { card_id: string; source: string }) => [c.card_id, c.source]), [[gift.id, 'birthday']])
      assert.equal((await m.events('member.birthday_gift')).length, 1)
      clock.set('2028-02-28T16:00:00Z') // 2028-02-29 in Shanghai
      await runJobsOnce(t.ctx, [giveBirthdayGifts])
      assert.equal(expectStatus(await m.get('/v1/users/leap/coupons'), 200).data.length, 2)
      assert.equal(expectStatus(await m.get('/v1/users/no-birthday/coupons'), 200).data.length, 0)
    })

    it('lets a signed-in customer open, join and see a member card in the wallet', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m, { profile_fields: { name: 'optional' } })
      const token = expectStatus(await m.post('/v1/wallet-tokens', { user_id: 'walleteer', ttl_seconds: 86_400 }), 201).token
      const wallet = (method: string, url: string, body?: unknown) => t.request(method, url, { key: token, body })

      const before = expectStatus(await wallet('GET', `/v1/wallet/member-cards/${card.id}`), 200)
      assert.equal(before.member, null)
      assert.equal(before.card.title, 'Bakery Club')
      assert.equal(before.card.stored_value.refund_rule.description, 'Unspent balance is refunded on request, less a 5% fee.')
      assertInvalidFields(await wallet('POST', `/v1/wallet/member-cards/${card.id}/join`, { profile: { name: 'Zhou' } }), ['consent'])
      const joined = expectStatus(await wallet('POST', `/v1/wallet/member-cards/${card.id}/join`, { profile: { name: 'Zhou' }, consent: true }), 201)
      assert.equal(joined.user_id, 'walleteer')
      assert.equal(joined.member_number, '00000001')
      expectProblem(await wallet('POST', `/v1/wallet/member-cards/${card.id}/join`, {}), 409, 'already_member')

      expectStatus(await m.post(`/v1/members/${joined.id}/stored-value`, { delta: 20_000, reason: 'Top-up', payment_ref: 'wx-1' }), 201)
      await order(m, joined.id, { order_ref: 'w-1', order_amount: 5_000, stored_value_amount: 5_000 })
      const mine = expectStatus(await wallet('GET', '/v1/wallet/members'), 200).data
      assert.equal(mine.length, 1)
      const [view] = mine
      assert.deepEqual([view.level, view.points_balance, view.stored_value_balance], ['Member', 50, 15_000])
      assert.equal(view.card.title, 'Bakery Club')
      assert.deepEqual(view.stored_value.refund_rule, { description: 'Unspent balance is refunded on request, less a 5% fee.', refundable: true, fee_percent: 5 })
      assert.deepEqual(view.stored_value.entries.map((e: { type: string; delta: number; balance_after: number }) => [e.type, e.delta, e.balance_after]), [['payment', -5_000, 15_000], ['top_up', 20_000, 20_000]])
      assert.equal(expectStatus(await wallet('GET', `/v1/wallet/members/${joined.id}/points`), 200).data[0].delta, 50)

      // Someone else's membership reads as not found.
      const stranger = await join(m, card.id, 'stranger')
      expectProblem(await wallet('GET', `/v1/wallet/members/${stranger.id}`), 404, 'member_not_found')
      expectProblem(await wallet('GET', `/v1/wallet/members/${stranger.id}/stored-value`), 404, 'member_not_found')
    })

    it('answers another merchant’s member cards and members as if they did not exist', async () => {
      const a = await newMerchant(t)
      const b = await newMerchant(t)
      const card = await createMemberCard(a)
      const member = await join(a, card.id, 'mine')
      expectProblem(await b.get(`/v1/member-cards/${card.id}`), 404, 'member_card_not_found')
      expectProblem(await b.post(`/v1/member-cards/${card.id}/members`, { user_id: 'thief' }), 404, 'member_card_not_found')
      expectProblem(await b.get(`/v1/members/${member.id}`), 404, 'member_not_found')
      expectProblem(await b.post(`/v1/members/${member.id}/points`, { delta: 100, reason: 'x' }), 404, 'member_not_found')
      expectProblem(await b.post(`/v1/members/${member.id}/stored-value`, { delta: 100, reason: 'x' }), 404, 'member_not_found')
      expectProblem(await b.get(`/v1/members/${member.id}/points`), 404, 'member_not_found')
      assert.deepEqual(expectStatus(await b.get('/v1/members'), 200).data, [])
      assert.equal((await getMember(a, member.id)).points_balance, 0)
    })

    it('shows the level discount in the till’s check and earns the order’s points in the redemption itself; a reversal takes them back', async () => {
      clock.set(START)
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      const member = await join(m, card.id, 'shopper')
      await order(m, member.id, { order_ref: 'lift', order_amount: 100_000 }) // 1000 growth: Silver, 5% off, 1.5x
      const coupon = await m.issue((await m.createCard(cashCard())).id, 'shopper')

      const check = expectStatus(await m.post('/v1/redemptions/check', { code: coupon.code, order_amount: 12_000, member_id: member.id }), 200)
      assert.equal(check.discount_amount, 2000)
      assert.deepEqual(check.member, {
        id: member.id, member_number: member.member_number, level: 'Silver', percent_off: 5, member_discount_amount: 500, paid_amount: 9500, points_to_earn: 142, points_balance: 1000, stored_value_balance: 0,
      })
      expectProblem(await m.post('/v1/redemptions/check', { code: coupon.code, order_amount: 12_000, member_id: 'mbr_unknown' }), 404, 'member_not_found')
      expectProblem(await m.redeem({ code: coupon.code, order_amount: 12_000, member_id: 'mbr_unknown' }), 404, 'member_not_found')
      assert.equal(expectStatus(await m.coupon(coupon.code), 200).state, 'available', 'a failed redemption changed nothing')

      const redeemed = expectStatus(await m.redeem({ code: coupon.code, order_amount: 12_000, member_id: member.id }), 201)
      assert.equal(redeemed.discount_amount, 2000)
      assert.deepEqual([redeemed.member.points_earned, redeemed.member.points_balance], [142, 1142], 'on the ¥95 paid, times 1.5')
      const entry = (await m.events('points.changed')).at(-1)
      assert.equal(entry.data.type, 'purchase')
      expectStatus(await m.post(`/v1/redemptions/${redeemed.id}/reverse`), 200)
      const after = await getMember(m, member.id)
      assert.deepEqual([after.points_balance, after.growth], [1000, 1000])
      expectProblem(await m.post(`/v1/redemptions/${redeemed.id}/reverse`), 409, 'already_reversed')
      assert.equal((await getMember(m, member.id)).points_balance, 1000, 'a second reversal takes nothing more')
      await assertLedgersConsistent(t.db.database.db, member.id)
      // Without a member the redemption is as before.
      const plain = expectStatus(await m.redeem({ code: (await m.issue((await m.createCard(cashCard())).id, 'other')).code, order_amount: 12_000 }), 201)
      assert.equal(plain.member, undefined)
    })

    it('stops and restarts new members joining; members keep everything meanwhile', async () => {
      const m = await newMerchant(t)
      const card = await createMemberCard(m)
      assert.equal(card.join_url, `http://kabao.test/wallet/member-cards/${card.id}?merchant=${m.merchantId}`)
      const member = await join(m, card.id, 'early')
      assert.equal(expectStatus(await m.post(`/v1/member-cards/${card.id}/pause`), 200).status, 'paused')
      expectProblem(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'late' }), 409, 'member_card_not_active')
      assert.equal((await order(m, member.id, { order_ref: 'paused-1', order_amount: 1_000 })).member.points_balance, 10)
      assert.equal(expectStatus(await m.post(`/v1/member-cards/${card.id}/activate`), 200).status, 'active')
      await join(m, card.id, 'late')
      assert.deepEqual((await m.events()).filter((e) => e.type.startsWith('member_card.')).map((e) => e.type), ['member_card.created', 'member_card.paused', 'member_card.activated'])
    })

    it('answers unknown member cards and members with their own 404 codes', async () => {
      const m = await newMerchant(t)
      expectProblem(await m.post('/v1/member-cards/mcd_01zzzzzzzzzzzzzzzzzzzzzzzz/members', { user_id: 'u' }), 404, 'member_card_not_found')
      expectProblem(await m.get('/v1/members/mbr_01zzzzzzzzzzzzzzzzzzzzzzzz'), 404, 'member_not_found')
      expectProblem(await m.get('/v1/members?cursor=nonsense'), 422, 'validation_failed')
    })
  })
}
