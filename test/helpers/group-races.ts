/**
 * The guarantees of group coupons (拼团) and referrals (邀请有礼) under concurrency, as real parallel HTTP
 * requests against one or several servers sharing a database. Assertions are on outcomes only.
 */
import assert from 'node:assert/strict'
import { cashCard } from './app.ts'
import { memberCardBody } from './member-api.ts'
import { call, inParallel, ok, tally, unique, type Race, type Reply, type Target } from './races.ts'


async function tokenOf(target: Target, userId: string): Promise<string> {
  return ok(await call(target, 0, 'POST', '/v1/wallet-tokens', { user_id: userId, ttl_seconds: 3600 })).token
}

const asCustomer = (token: string) => ({ authorization: `Bearer ${token}` })

async function groupCard(target: Target, size: number, stock: number): Promise<string> {
  return ok(await call(target, 0, 'POST', '/v1/cards', cashCard({ stock, group: { size, hours: 24 } }))).id
}

async function cardState(target: Target, cardId: string): Promise<{ stock_remaining: number; issued_count: number }> {
  return ok(await call(target, 1, 'GET', `/v1/cards/${cardId}`), 200)
}

export const GROUP_RACES: Race[] = [
  {
    name: 'parallel joins of one group: exactly size members, the group completes once and issues exactly size coupons',
    async run(target) {
      const size = 5
      const joiners = 16
      const cardId = await groupCard(target, size, 50)
      const opener = await tokenOf(target, unique('opener'))
      const group = ok(await call(target, 0, 'POST', `/v1/wallet/cards/${cardId}/groups`, undefined, asCustomer(opener)))
      const tokens = await Promise.all(Array.from({ length: joiners }, () => tokenOf(target, unique('friend'))))
      const replies = await inParallel(joiners, (i) => call(target, i, 'POST', `/v1/wallet/groups/${group.id}/join`, undefined, asCustomer(tokens[i])))
      assert.deepEqual(tally(replies), { '200': size - 1, '409 group_closed': joiners - (size - 1) })
      const final = ok(await call(target, 0, 'GET', `/v1/groups/${group.id}`), 200)
      assert.equal(final.state, 'completed')
      assert.equal(final.members, size)
      assert.equal(final.member_list.length, size)
      const coupons = await target.db.selectFrom('coupons').select(['user_id']).where('card_id', '=', cardId).execute()
      assert.equal(coupons.length, size, 'a completed group issues exactly size coupons')
      assert.equal(new Set(coupons.map((c) => c.user_id)).size, size)
      const card = await cardState(target, cardId)
      assert.equal(card.stock_remaining, 50 - size)
      assert.equal(card.issued_count, size)
      const completed = (await target.db.selectFrom('events').select('data').where('type', '=', 'group.completed').execute())
        .map((row) => (typeof row.data === 'string' ? JSON.parse(row.data) : row.data))
        .filter((data) => data.group_id === group.id)
      assert.equal(completed.length, 1, 'the group completed once')
    },
  },
  {
    name: 'parallel openings hold stock exactly: groups of 3 from a stock of 10 open three times, then out_of_stock',
    async run(target) {
      const cardId = await groupCard(target, 3, 10)
      const users = 12
      const tokens = await Promise.all(Array.from({ length: users }, () => tokenOf(target, unique('opener'))))
      const replies = await inParallel(users, (i) => call(target, i, 'POST', `/v1/wallet/cards/${cardId}/groups`, undefined, asCustomer(tokens[i])))
      assert.deepEqual(tally(replies), { '201': 3, '409 out_of_stock': users - 3 })
      assert.equal((await cardState(target, cardId)).stock_remaining, 1)
      const groups = await target.db.selectFrom('groups').select('id').where('card_id', '=', cardId).execute()
      assert.equal(groups.length, 3, 'a refused opening leaves no group behind')
    },
  },
  {
    name: 'one user opening and joining groups of one card in parallel ends in one open group',
    async run(target) {
      const cardId = await groupCard(target, 4, 100)
      const others = await Promise.all(Array.from({ length: 3 }, async () => ok(await call(target, 0, 'POST', `/v1/wallet/cards/${cardId}/groups`, undefined, asCustomer(await tokenOf(target, unique('opener')))))))
      const token = await tokenOf(target, unique('eager'))
      const replies = await inParallel(8, (i) =>
        i < 3 ? call(target, i, 'POST', `/v1/wallet/groups/${others[i].id}/join`, undefined, asCustomer(token)) : call(target, i, 'POST', `/v1/wallet/cards/${cardId}/groups`, undefined, asCustomer(token)),
      )
      const wins = replies.filter((r) => r.status < 300)
      assert.equal(wins.length, 1, JSON.stringify(tally(replies)))
      assert.ok(replies.every((r) => r.status < 300 || r.body.code === 'already_in_group'), JSON.stringify(tally(replies)))
    },
  },
  {
    name: 'parallel joins with one invite code: each invitee rewarded exactly once, the referrer once per invitee',
    async run(target) {
      const rewardCard = ok(await call(target, 0, 'POST', '/v1/cards', cashCard({ stock: 100 }))).id
      const card = ok(await call(target, 0, 'POST', '/v1/member-cards', memberCardBody({ referral: { referrer_points: 100, invitee_points: 50, invitee_card_id: rewardCard } }))).id
      const referrerUser = unique('referrer')
      const referrerToken = await tokenOf(target, referrerUser)
      const referrer = ok(await call(target, 0, 'POST', `/v1/wallet/member-cards/${card}/join`, {}, asCustomer(referrerToken)))
      const invite = ok(await call(target, 1, 'GET', `/v1/wallet/members/${referrer.id}/invite`, undefined, asCustomer(referrerToken)), 200)
      const invitees = 4
      const tries = 3
      const tokens = await Promise.all(Array.from({ length: invitees }, () => tokenOf(target, unique('friend'))))
      const replies = await inParallel(invitees * tries, (i) => call(target, i, 'POST', `/v1/wallet/member-cards/${card}/join`, { invite_code: invite.code }, asCustomer(tokens[i % invitees])))
      const counts = tally(replies)
      assert.equal(counts['201'], invitees, JSON.stringify(counts))
      assert.ok(replies.every((r) => r.status === 201 || ['invite_not_allowed', 'already_member'].includes(r.body.code)), JSON.stringify(counts))
      const referrals = await target.db.selectFrom('referrals').select(['invitee_user_id']).where('referrer_member_id', '=', referrer.id).execute()
      assert.equal(referrals.length, invitees)
      const referrerNow = ok(await call(target, 0, 'GET', `/v1/members/${referrer.id}`), 200)
      assert.equal(referrerNow.points_balance, 100 * invitees)
      const coupons = await target.db.selectFrom('coupons').select('user_id').where('card_id', '=', rewardCard).execute()
      assert.equal(coupons.length, invitees, 'each invitee’s coupon once')
      const again = await call(target, 0, 'POST', `/v1/wallet/member-cards/${card}/join`, { invite_code: invite.code }, asCustomer(referrerToken))
      assert.equal(again.body.code, 'invite_not_allowed')
    },
  },
]
