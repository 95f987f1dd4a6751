import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp } from '../helpers/app.ts'
import { expectProblem, expectStatus, newMerchant } from '../helpers/merchant-api.ts'
import { memberCardBody } from '../helpers/member-api.ts'

for (const engine of ENGINES) {
  describe(`referrals on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)

    async function setup() {
      const m = await newMerchant(t)
      const reward = await m.createCard(cashCard({ title: '五元券' }))
      const card = expectStatus(await m.post('/v1/member-cards', memberCardBody({ title: '茶会员', referral: { referrer_points: 100, invitee_points: 30, referrer_card_id: reward.id } })), 201)
      const as = async (userId: string) => {
        const token = expectStatus(await t.request('POST', '/v1/wallet-tokens', { key: m.key, body: { user_id: userId } }), 201).token
        return {
          join: (body: Record<string, unknown> = {}, cardId = card.id) => t.request('POST', `/v1/wallet/member-cards/${cardId}/join`, { key: token, body }),
          invite: (memberId: string) => t.request('GET', `/v1/wallet/members/${memberId}/invite`, { key: token }),
          inbox: async () => expectStatus(await t.request('GET', '/v1/wallet/notifications', { key: token }), 200).data,
          coupons: async () => expectStatus(await t.request('GET', '/v1/wallet/coupons', { key: token }), 200).data,
        }
      }
      return { m, card, reward, as }
    }

    it('a member card carries its referral rewards; unknown reward cards are refused', async () => {
      const { m, card, reward } = await setup()
      assert.deepEqual(card.referral, { referrer_points: 100, invitee_points: 30, referrer_card_id: reward.id, invitee_card_id: null })
      assert.equal(expectStatus(await m.post('/v1/member-cards', memberCardBody()), 201).referral, null)
      const refused = expectProblem(await m.post('/v1/member-cards', memberCardBody({ referral: { invitee_card_id: 'crd_nope' } })), 422, 'validation_failed')
      assert.deepEqual(refused.errors.map((e: any) => e.field), ['referral.invitee_card_id'])
    })

    it('joining with an invite code rewards both sides once, through the points ledger and the issue path, and tells both', async () => {
      const { m, reward, as } = await setup()
      const alice = await as('alice')
      const member = expectStatus(await alice.join(), 201)
      const invite = expectStatus(await alice.invite(member.id), 200)
      assert.match(invite.code, /^[0-9A-Z]{16}$/)
      assert.ok(invite.url.endsWith(`&invite=${invite.code}`), invite.url)
      assert.deepEqual(expectStatus(await alice.invite(member.id), 200), invite, 'the same code every time')

      const bob = await as('bob')
      const joined = expectStatus(await bob.join({ invite_code: invite.code.toLowerCase() }), 201)
      assert.equal(joined.points_balance, 30)
      assert.equal(joined.referrer_member_id, member.id)
      assert.equal(expectStatus(await m.get(`/v1/members/${member.id}`), 200).points_balance, 100)
      const coupons = await alice.coupons()
      assert.deepEqual(coupons.map((c: any) => [c.card_id, c.source]), [[reward.id, 'referral']])
      const [rewarded] = await m.events('referral.rewarded')
      assert.equal(rewarded.data.referrer.points, 100)
      assert.equal(rewarded.data.invitee.points, 30)
      const told = (await alice.inbox()).filter((n: any) => n.kind === 'referral.rewarded')
      assert.equal(told.length, 1)
      assert.equal(told[0].body, '您邀请的好友已加入“茶会员”：积分 +100，优惠券“五元券”已放入您的卡包。')
      assert.equal((await bob.inbox()).filter((n: any) => n.kind === 'referral.rewarded').length, 1)

      // Nobody is invited twice; nobody invites themself.
      expectProblem(await bob.join({ invite_code: invite.code }), 409, 'invite_not_allowed')
      expectProblem(await alice.join({ invite_code: invite.code }), 409, 'invite_not_allowed')
      assert.equal((await m.events('referral.rewarded')).length, 1)
      assert.equal(expectStatus(await m.get(`/v1/members/${member.id}`), 200).points_balance, 100)
    })

    it('bad input: an unknown code, another card’s or merchant’s code, another’s membership; nothing written', async () => {
      const { m, card, as } = await setup()
      const other = await setup()
      const alice = await as('alice')
      const member = expectStatus(await alice.join(), 201)
      const code = expectStatus(await alice.invite(member.id), 200).code
      const zed = await other.as('zed')
      const foreignMember = expectStatus(await zed.join(), 201)
      const foreignCode = expectStatus(await zed.invite(foreignMember.id), 200).code
      expectProblem(await alice.invite(foreignMember.id), 404, 'member_not_found')
      expectProblem(await alice.invite('mbr_nope'), 404, 'member_not_found')
      const carol = await as('carol')
      expectProblem(await carol.join({ invite_code: 'ZZZZZZZZZZZZZZZZ' }), 409, 'invite_not_allowed')
      expectProblem(await carol.join({ invite_code: 'nonsense' }), 409, 'invite_not_allowed')
      const secondCard = expectStatus(await m.post('/v1/member-cards', memberCardBody()), 201)
      expectProblem(await carol.join({ invite_code: code }, secondCard.id), 409, 'invite_not_allowed')
      expectProblem(await carol.join({ invite_code: foreignCode }), 409, 'invite_not_allowed')
      assert.equal(expectStatus(await m.get(`/v1/members?member_card_id=${card.id}`), 200).data.length, 1, 'a refused join makes no member')
      assert.equal((await m.events('referral.rewarded')).length, 0)
      // Through the API, the merchant joins its user with an invite code too.
      const api = expectStatus(await m.post(`/v1/member-cards/${card.id}/members`, { user_id: 'dan', invite_code: code }), 201)
      assert.equal(api.points_balance, 30)
    })
  })
}
