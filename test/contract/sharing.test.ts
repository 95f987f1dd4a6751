import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields, assertProblem } from '../helpers/problem.ts'
import { hashToken } from '../../src/ports/secrets.ts'
import { runJobsOnce } from '../../src/jobs/runner.ts'
import { expireCoupons } from '../../src/jobs/expire-coupons.job.ts'

// Channel tags, share links, share rewards and fission coupons; parallel claims go over real HTTP to a
// listening server (SQLite file-backed, as in production).
for (const engine of ENGINES) {
  describe(`sharing on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let base: string
    let key: string
    let merchantId: string
    let otherKey: string

    before(async () => {
      t = await startTestApp(engine, { sqliteFile: true })
      base = await t.listen()
      ;({ apiKey: key, merchantId } = await t.merchant('Tea House'))
      ;({ apiKey: otherKey } = await t.merchant('Other'))
    })
    after(() => t?.close())

    async function card(overrides: Record<string, unknown> = {}, merchantKey = key): Promise<string> {
      const res = await t.request('POST', '/v1/cards', { key: merchantKey, body: cashCard(overrides) })
      assert.equal(res.status, 201, res.text)
      return res.body.id
    }
    const wallets = new Map<string, string>()
    async function wallet(userId: string): Promise<string> {
      const known = wallets.get(userId)
      if (known) return known
      const res = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: userId } })
      assert.equal(res.status, 201, res.text)
      wallets.set(userId, res.body.token)
      return res.body.token
    }
    async function share(cardId: string, userId: string) {
      return t.request('POST', `/v1/wallet/cards/${cardId}/share`, { key: await wallet(userId) })
    }
    async function claim(token: string, userId: string) {
      return t.request('POST', `/v1/claim/${token}`, { key: await wallet(userId) })
    }
    async function couponsOf(userId: string, cardId?: string) {
      const res = await t.request('GET', `/v1/users/${userId}/coupons${cardId ? `?card_id=${cardId}` : ''}`, { key })
      assert.equal(res.status, 200, res.text)
      return res.body.data as Record<string, any>[]
    }
    async function events(type: string) {
      const res = await t.request('GET', `/v1/events?type=${type}&limit=500`, { key })
      assert.equal(res.status, 200, res.text)
      return res.body.data as { data: Record<string, any> }[]
    }
    async function inbox(userId: string) {
      const res = await t.request('GET', '/v1/wallet/notifications', { key: await wallet(userId) })
      assert.equal(res.status, 200, res.text)
      return res.body.data as { kind: string; title: string; body: string; data: Record<string, any> }[]
    }
    const count = async (table: 'coupons' | 'claim_links' | 'card_shares' | 'share_friends' | 'share_reward_grants') =>
      Number((await t.db.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

    describe('channel tags', () => {
      it('keeps channel and campaign on issued and claimed coupons, their events and the card’s statistics', async () => {
        const cardId = await card()
        const issued = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'tag-1', channel: 'livestream', campaign: 'double-11' } })
        assert.equal(issued.status, 201, issued.text)
        assert.deepEqual([issued.body.channel, issued.body.campaign, issued.body.shared_by, issued.body.source], ['livestream', 'double-11', null, 'api'])
        const plain = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'tag-2' } })
        assert.deepEqual([plain.body.channel, plain.body.campaign], [null, null])

        const link = await t.request('POST', `/v1/cards/${cardId}/claim-links`, { key, body: { channel: 'menu', campaign: 'spring' } })
        assert.equal(link.status, 201, link.text)
        assert.deepEqual([link.body.channel, link.body.campaign, link.body.shared_by], ['menu', 'spring', null])
        const claimed = await claim(link.body.token, 'tag-3')
        assert.equal(claimed.status, 201, claimed.text)
        assert.deepEqual([claimed.body.channel, claimed.body.campaign, claimed.body.source], ['menu', 'spring', 'claim_link'])
        const looked = await t.request('GET', `/v1/coupons/${claimed.body.code}`, { key })
        assert.deepEqual([looked.body.channel, looked.body.campaign], ['menu', 'spring'])

        const issuedEvents = (await events('coupon.issued')).filter((e) => e.data.card_id === cardId)
        assert.deepEqual(issuedEvents.map((e) => [e.data.user_id, e.data.channel, e.data.campaign]), [['tag-1', 'livestream', 'double-11'], ['tag-2', null, null], ['tag-3', 'menu', 'spring']])

        const redeemed = await t.request('POST', '/v1/redemptions', { key, body: { code: issued.body.code, order_amount: 12800 } })
        assert.equal(redeemed.status, 201, redeemed.text)
        const stats = await t.request('GET', `/v1/stats/cards/${cardId}`, { key })
        assert.equal(stats.status, 200, stats.text)
        // The issue channels are as before; the tags are their own list.
        assert.deepEqual(stats.body.by_channel.map((c: any) => [c.channel, c.claims]), [['api', 2], ['claim_link', 1]])
        assert.deepEqual(stats.body.by_campaign, [
          { channel: 'livestream', campaign: 'double-11', claims: 1, redemptions: 1, discount_amount: 2000, order_amount: 12800, redemption_rate: 1 },
          { channel: null, campaign: null, claims: 1, redemptions: 0, discount_amount: 0, order_amount: 0, redemption_rate: 0 },
          { channel: 'menu', campaign: 'spring', claims: 1, redemptions: 0, discount_amount: 0, order_amount: 0, redemption_rate: 0 },
        ].sort((a, b) => b.claims - a.claims || (a.channel ?? '').localeCompare(b.channel ?? '') || (a.campaign ?? '').localeCompare(b.campaign ?? '')))
        const csv = await t.request('GET', `/v1/stats/cards/${cardId}?list=by_campaign&format=csv`, { key })
        assert.equal(csv.status, 200)
        assert.match(csv.text.split(/\r?\n/)[0], /^channel,campaign,claims,redemptions/)
        assert.ok(csv.text.includes('livestream,double-11,1,1,2000,12800,1'), csv.text)
      })

      it('refuses tags over 64 characters, writing nothing', async () => {
        const cardId = await card()
        const [coupons, links] = [await count('coupons'), await count('claim_links')]
        assertInvalidFields(await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'tag-x', channel: 'x'.repeat(65) } }), ['channel'])
        assertInvalidFields(await t.request('POST', `/v1/cards/${cardId}/claim-links`, { key, body: { campaign: 'y'.repeat(65) } }), ['campaign'])
        assertInvalidFields(await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'tag-x', channel: '' } }), ['channel'])
        assert.deepEqual([await count('coupons'), await count('claim_links')], [coupons, links])
        const ok = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'tag-x', channel: 'x'.repeat(64) } })
        assert.equal(ok.status, 201, ok.text)
      })
    })

    describe('share links', () => {
      it('gives a customer one hashed share link per card, attributes claims through it and counts every share', async () => {
        const cardId = await card({ can_share: true })
        const first = await share(cardId, 'sharer-42')
        assert.equal(first.status, 201, first.text)
        assert.match(first.body.token, /^[A-Za-z0-9_-]{32}$/)
        assert.equal(first.body.url, `http://kabao.test/wallet/claim/${first.body.token}`)
        assert.equal(first.body.qr_svg_url, `http://kabao.test/v1/claim-links/${first.body.token}/qr.svg`)
        assert.equal(first.body.friends, 0)
        const again = await share(cardId, 'sharer-42')
        assert.equal(again.status, 201, again.text)
        assert.equal(again.body.token, first.body.token)

        // Stored as a hash, as every claim link's token.
        const row = await t.db.database.db.selectFrom('claim_links').selectAll().where('id', '=', first.body.claim_link_id).executeTakeFirstOrThrow()
        assert.equal(row.token_hash, hashToken(first.body.token))
        assert.ok(!JSON.stringify(row).includes(first.body.token))
        assert.equal(row.shared_by, 'sharer-42')

        const page = await t.request('GET', `/v1/claim/${first.body.token}`)
        assert.equal(page.status, 200, page.text)
        assert.deepEqual(page.body.sharer, { name: null, masked_id: 'sh***42' })
        const merchantLink = await t.request('POST', `/v1/cards/${cardId}/claim-links`, { key, body: {} })
        assert.equal((await t.request('GET', `/v1/claim/${merchantLink.body.token}`)).body.sharer, null)

        const friend = await claim(first.body.token, 'friend-1')
        assert.equal(friend.status, 201, friend.text)
        assert.deepEqual([friend.body.source, friend.body.shared_by], ['share', 'sharer-42'])
        // The sharer claiming through their own link makes a plain claim.
        const own = await claim(first.body.token, 'sharer-42')
        assert.equal(own.status, 201, own.text)
        assert.deepEqual([own.body.source, own.body.shared_by], ['claim_link', null])

        const shared = (await events('coupon.shared')).filter((e) => e.data.card_id === cardId)
        assert.deepEqual(shared.map((e) => [e.data.user_id, e.data.claim_link_id]), [['sharer-42', first.body.claim_link_id], ['sharer-42', first.body.claim_link_id]])

        await share(cardId, 'sharer-43')
        const stats = (await t.request('GET', `/v1/stats/cards/${cardId}`, { key })).body
        assert.deepEqual([stats.shares, stats.sharers, stats.claimers, stats.share_rate], [3, 2, 2, 1])
        assert.deepEqual(stats.by_channel.map((c: any) => [c.channel, c.claims]).sort(), [['claim_link', 1], ['share', 1]])
      })

      it('refuses a card that cannot be shared, unknown and foreign cards, and blocked customers, recording nothing', async () => {
        const closed = await card({ can_share: false })
        const before = [await count('claim_links'), await count('card_shares')]
        assertProblem(await share(closed, 'sharer-x'), 409, 'sharing_not_allowed')
        assertProblem(await share('crd_unknown', 'sharer-x'), 404, 'card_not_found')
        const foreign = await card({ can_share: true }, otherKey)
        assertProblem(await share(foreign, 'sharer-x'), 404, 'card_not_found')
        const open = await card({ can_share: true })
        const blocked = await t.request('POST', '/v1/risk/blocks', { key, body: { type: 'user', value: 'sharer-blocked' } })
        assert.equal(blocked.status, 201, blocked.text)
        assertProblem(await share(open, 'sharer-blocked'), 403, 'risk_blocked')
        assert.deepEqual([await count('claim_links'), await count('card_shares')], before)
      })
    })

    describe('share rewards and fission cards', () => {
      it('checks that reward cards are the merchant’s own and tiers distinct', async () => {
        const foreign = await card({}, otherKey)
        const mine = await card()
        assertInvalidFields(await t.request('POST', '/v1/cards', { key, body: cashCard({ share_rewards: [{ friends: 3, card_id: foreign }] }) }), ['share_rewards[0].card_id'], 'not_found')
        assertInvalidFields(
          await t.request('POST', '/v1/cards', { key, body: cashCard({ share_rewards: [{ friends: 3, card_id: mine }, { friends: 3, card_id: mine }] }) }),
          ['share_rewards[1].friends'],
          'duplicate',
        )
        assertInvalidFields(await t.request('POST', '/v1/cards', { key, body: cashCard({ unlock_after_friends: 0 }) }), ['unlock_after_friends'])
        const cardId = await card({ share_rewards: [{ friends: 10, card_id: mine }, { friends: 3, card_id: mine }], unlock_after_friends: 2 })
        const got = (await t.request('GET', `/v1/cards/${cardId}`, { key })).body
        assert.deepEqual(got.share_rewards, [{ friends: 3, card_id: mine }, { friends: 10, card_id: mine }])
        assert.equal(got.unlock_after_friends, 2)
        assertInvalidFields(await t.request('PATCH', `/v1/cards/${cardId}`, { key, body: { share_rewards: [{ friends: 1, card_id: foreign }] } }), ['share_rewards[0].card_id'])
        const changed = await t.request('PATCH', `/v1/cards/${cardId}`, { key, body: { share_rewards: null, unlock_after_friends: null } })
        assert.equal(changed.status, 200, changed.text)
        assert.deepEqual([changed.body.share_rewards, changed.body.unlock_after_friends, changed.body.version], [[], null, 1])
      })

      it('rewards each tier once, counts each friend once and only on their first coupon, and tells the sharer', async () => {
        const coffee = await card({ title: '咖啡券' })
        const cake = await card({ title: '蛋糕券' })
        const cardId = await card({ title: '新客券', can_share: true, get_limit: 3, share_rewards: [{ friends: 2, card_id: coffee }, { friends: 3, card_id: cake }] })
        const { token } = (await share(cardId, 'tier-sharer')).body
        // Already held a coupon of the card: not a new friend.
        await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'tier-old' } })
        assert.equal((await claim(token, 'tier-old')).status, 201)
        assert.equal((await claim(token, 'tier-f1')).status, 201)
        assert.equal((await claim(token, 'tier-f1')).status, 201)
        assert.equal((await claim(token, 'tier-sharer')).status, 201)
        assert.deepEqual(await couponsOf('tier-sharer', coffee), [])
        assert.equal((await claim(token, 'tier-f2')).status, 201)
        const rewarded = await couponsOf('tier-sharer', coffee)
        assert.deepEqual(rewarded.map((c) => c.source), ['share_reward'])
        assert.equal((await claim(token, 'tier-f3')).status, 201)
        assert.equal((await claim(token, 'tier-f4')).status, 201)
        assert.equal((await couponsOf('tier-sharer', coffee)).length, 1)
        assert.equal((await couponsOf('tier-sharer', cake)).length, 1)
        assert.equal((await share(cardId, 'tier-sharer')).body.friends, 4)

        const told = (await inbox('tier-sharer')).filter((n) => n.kind === 'share.rewarded')
        assert.deepEqual(told.map((n) => n.title), ['分享奖励到账', '分享奖励到账'])
        assert.ok(told.some((n) => n.body === '已有 2 位好友通过您的分享领取“新客券”，奖励“咖啡券”已放入您的卡包。'), JSON.stringify(told))
      })

      it('issues fission coupons locked, refuses to redeem them, and unlocks them when enough friends claimed', async () => {
        const cardId = await card({ title: '裂变券', can_share: true, unlock_after_friends: 2 })
        const held = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'fission-holder' } })
        assert.deepEqual([held.body.state, held.body.unlock_after_friends], ['locked', 2])
        assertProblem(await t.request('POST', '/v1/redemptions', { key, body: { code: held.body.code, order_amount: 12800 } }), 409, 'coupon_locked')
        assert.equal((await t.request('GET', `/v1/coupons/${held.body.code}`, { key })).body.state, 'locked')
        const { token } = (await share(cardId, 'fission-holder')).body
        const friend = await claim(token, 'fission-f1')
        assert.equal(friend.status, 201, friend.text)
        assert.equal(friend.body.state, 'locked')
        assert.equal((await couponsOf('fission-holder', cardId))[0].state, 'locked')
        assert.equal((await claim(token, 'fission-f2')).status, 201)
        assert.equal((await couponsOf('fission-holder', cardId))[0].state, 'available')
        const unlocked = (await events('coupon.unlocked')).filter((e) => e.data.card_id === cardId)
        assert.deepEqual(unlocked.map((e) => [e.data.coupon_id, e.data.user_id, e.data.friends]), [[held.body.id, 'fission-holder', 2]])
        const told = (await inbox('fission-holder')).filter((n) => n.kind === 'coupon.unlocked')
        assert.deepEqual(told.map((n) => n.body), ['已有 2 位好友通过您的分享领取，“裂变券”现在可以使用了。'])
        const redeemed = await t.request('POST', '/v1/redemptions', { key, body: { code: held.body.code, order_amount: 12800 } })
        assert.equal(redeemed.status, 201, redeemed.text)
      })

      it('writes a locked coupon down as expired at the end of its validity, and friends no longer unlock it', async () => {
        const cardId = await card({ title: '过期裂变券', can_share: true, unlock_after_friends: 1 })
        const held = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'late-holder' } })
        assert.equal(held.body.state, 'locked')
        // Its validity ends a minute ago, as if the days had passed.
        await t.db.database.db.updateTable('coupons').set({ valid_until: Date.now() - 60_000 }).where('id', '=', held.body.id).execute()
        assert.equal((await t.request('GET', `/v1/coupons/${held.body.code}`, { key })).body.state, 'expired')
        assert.ok((await runJobsOnce(t.ctx, [expireCoupons]))['expire-coupons'] >= 1)
        const stored = await t.db.database.db.selectFrom('coupons').select('state').where('id', '=', held.body.id).executeTakeFirstOrThrow()
        assert.equal(stored.state, 'expired')
        assert.deepEqual((await events('coupon.expired')).filter((e) => e.data.coupon_id === held.body.id).length, 1)
        const { token } = (await share(cardId, 'late-holder')).body
        assert.equal((await claim(token, 'late-friend')).status, 201)
        assert.equal((await couponsOf('late-holder', cardId))[0].state, 'expired')
        assert.equal((await events('coupon.unlocked')).filter((e) => e.data.coupon_id === held.body.id).length, 0)
      })

      it('lets the merchant void a locked coupon', async () => {
        const cardId = await card({ can_share: true, unlock_after_friends: 3 })
        const held = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'void-holder' } })
        assert.equal(held.body.state, 'locked')
        const voided = await t.request('POST', `/v1/coupons/${encodeURIComponent(held.body.code)}/void`, { key })
        assert.equal(voided.status, 200, voided.text)
        assert.equal(voided.body.state, 'voided')
        assertProblem(await t.request('POST', '/v1/redemptions', { key, body: { code: held.body.code, order_amount: 12800 } }), 409, 'voided')
      })

      it('with parallel claims over HTTP: each tier rewarded exactly once, each friend counted once, the coupon unlocked once', async () => {
        const reward = await card({ title: 'Reward', stock: 1000 })
        const cardId = await card({ can_share: true, stock: 1000, get_limit: 4, unlock_after_friends: 7, share_rewards: [{ friends: 3, card_id: reward }, { friends: 5, card_id: reward }, { friends: 8, card_id: reward }] })
        await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'race-sharer' } })
        const { token } = (await share(cardId, 'race-sharer')).body
        const friends = Array.from({ length: 8 }, (_, i) => `race-f${i}`)
        for (const f of friends) await wallet(f)
        // Every friend claims twice at once: 16 parallel claims, 8 friends.
        const replies = await Promise.all(
          [...friends, ...friends].map(async (f) => {
            const res = await fetch(`${base}/v1/claim/${token}`, { method: 'POST', headers: { authorization: `Bearer ${await wallet(f)}` } })
            return res.status
          }),
        )
        assert.deepEqual(replies.filter((s) => s !== 201), [])
        const rewards = await couponsOf('race-sharer', reward)
        assert.equal(rewards.length, 3)
        const grants = await t.db.database.db.selectFrom('share_reward_grants').select(['friends', 'coupon_id']).where('card_id', '=', cardId).orderBy('friends').execute()
        assert.deepEqual(grants.map((g) => Number(g.friends)), [3, 5, 8])
        assert.deepEqual(grants.map((g) => g.coupon_id).sort(), rewards.map((c) => c.id).sort())
        assert.equal((await share(cardId, 'race-sharer')).body.friends, 8)
        const counted = await t.db.database.db.selectFrom('share_friends').select('friend_id').where('card_id', '=', cardId).execute()
        assert.deepEqual(counted.map((r) => r.friend_id).sort(), [...friends].sort())
        assert.equal((await couponsOf('race-sharer', cardId))[0].state, 'available')
        assert.equal((await events('coupon.unlocked')).filter((e) => e.data.card_id === cardId).length, 1)
        assert.equal((await inbox('race-sharer')).filter((n) => n.kind === 'share.rewarded').length, 3)
        void merchantId
      })
    })
  })
}
