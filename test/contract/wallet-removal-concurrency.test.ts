import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cashCard } from '../helpers/app.ts'
import { describeRaces } from '../helpers/race-suites.ts'
import { call, tally, type Race, type Reply, type Target } from '../helpers/races.ts'

// A holder removing a coupon from the wallet (DELETE /v1/wallet/coupons/{id}) with real parallel HTTP
// requests: first one server (SQLite file-backed as in production), then two `kabao serve` processes on one
// database. Exactly one removal changes the coupon and writes its event and its count; a removal racing a
// redemption wins or loses whole.

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`

function ok(reply: Reply, status = 201): any {
  assert.equal(reply.status, status, JSON.stringify(reply.body))
  return reply.body
}

async function setUp(target: Target) {
  const card = ok(await call(target, 0, 'POST', '/v1/cards', cashCard({ get_limit: 100 }))).id as string
  const userId = unique('holder')
  const token = ok(await call(target, 0, 'POST', '/v1/wallet-tokens', { user_id: userId, ttl_seconds: 3600 })).token as string
  const issue = async () => ok(await call(target, 0, 'POST', `/v1/cards/${card}/issue`, { user_id: userId })) as { id: string; code: string }
  const remove = (i: number, couponId: string) => call(target, i, 'DELETE', `/v1/wallet/coupons/${couponId}`, undefined, { authorization: `Bearer ${token}` })
  return { card, issue, remove }
}

async function voidEvents(target: Target, couponId: string): Promise<number> {
  const rows = await target.db.selectFrom('events').select('data').where('type', '=', 'coupon.voided').execute()
  return rows.filter((row) => JSON.stringify(row.data).includes(couponId)).length
}

const REMOVAL_RACES: Race[] = [
  {
    name: '16 parallel removals of one coupon: all answer 200, one change, one event, one void counted',
    async run(target) {
      const { card, issue, remove } = await setUp(target)
      const coupon = await issue()
      const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => remove(i, coupon.id)))
      assert.deepEqual(tally(replies), { '200': 16 })
      assert.equal(new Set(replies.map((r) => r.body.voided_at)).size, 1)
      assert.equal(await voidEvents(target, coupon.id), 1)
      const activity = await target.db.selectFrom('card_activity_days').select(['voided', 'claims_kept']).where('card_id', '=', card).execute()
      assert.deepEqual(activity.map((a) => [Number(a.voided), Number(a.claims_kept)]), [[1, 0]])
    },
  },
  {
    name: 'a removal racing a redemption: exactly one of them happens',
    async run(target) {
      const { issue, remove } = await setUp(target)
      for (let round = 0; round < 6; round++) {
        const coupon = await issue()
        const [removal, redemption] = await Promise.all([remove(round, coupon.id), call(target, round + 1, 'POST', '/v1/redemptions', { code: coupon.code, order_amount: 20000 })])
        const outcome = JSON.stringify([removal.status === 200 ? 'removed' : removal.body.code, redemption.status === 201 ? 'redeemed' : redemption.body.code])
        assert.ok([JSON.stringify(['removed', 'voided']), JSON.stringify(['already_redeemed', 'redeemed'])].includes(outcome), outcome)
        const { state } = await target.db.selectFrom('coupons').select('state').where('id', '=', coupon.id).executeTakeFirstOrThrow()
        assert.equal(state, outcome.includes('removed') ? 'voided' : 'redeemed')
        assert.equal(await voidEvents(target, coupon.id), outcome.includes('removed') ? 1 : 0)
      }
    },
  },
]

await describeRaces('removing coupons from the wallet', REMOVAL_RACES)
