import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { count, describeWechatRaces, wx, type WxRace } from '../helpers/wechat-races.ts'

// WX-7: the contract's concurrency guarantees hold through the WeChat-compatible facade, with real
// parallel HTTP requests to one server, and on PostgreSQL to two server processes sharing the database.

const card = (stock: number) => ({
  card: { card_type: 'CASH', cash: { base_info: { title: '立减20元', notice: 'Show the code', date_info: { type: 'DATE_TYPE_FIX_TERM', fixed_term: 7 }, sku: { quantity: stock } }, reduce_cost: 2000, least_cost: 10000 } },
})

const RACES: WxRace[] = [
  {
    name: 'N parallel kabao/card/issue on stock K: exactly K errcode 0, the rest 45031, stock 0',
    async run(target) {
      const K = 5
      const N = 16
      const created = await wx(target, 0, '/card/create', card(K))
      assert.equal(created.errcode, 0, JSON.stringify(created))
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/kabao/card/issue', { card_id: created.card_id, openid: `user-${i}` })))
      assert.deepEqual(count(answers), { 0: K, 45031: N - K })
      assert.equal(new Set(answers.filter((a) => a.errcode === 0).map((a) => a.code)).size, K)
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from coupons where card_id = ${created.card_id}`.execute(target.db)
      assert.equal(Number(rows[0].n), K)
      const got = await wx(target, 1, '/card/get', { card_id: created.card_id })
      assert.deepEqual(got.card.cash.base_info.sku, { quantity: 0, total_quantity: K })
    },
  },
  {
    name: 'parallel code/consume of one code: exactly one errcode 0, the rest 40099, one redemption',
    async run(target) {
      const N = 12
      const created = await wx(target, 0, '/card/create', card(10))
      const issued = await wx(target, 1, '/kabao/card/issue', { card_id: created.card_id, openid: 'alice' })
      assert.equal(issued.errcode, 0, JSON.stringify(issued))
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/code/consume', { code: issued.code })))
      assert.deepEqual(count(answers), { 0: 1, 40099: N - 1 })
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from redemptions r join coupons c on c.id = r.coupon_id where c.card_id = ${created.card_id}`.execute(target.db)
      assert.equal(Number(rows[0].n), 1)
    },
  },
  {
    name: 'parallel card/landingpage/create: every page gets its own page_id, 1 to N',
    async run(target) {
      const N = 16
      const created = await wx(target, 0, '/card/create', card(10))
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/landingpage/create', { page_title: `Page ${i}`, card_list: [{ card_id: created.card_id }] })))
      assert.deepEqual(count(answers), { 0: N })
      assert.deepEqual(answers.map((a) => a.page_id).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i + 1))
    },
  },
]

await describeWechatRaces('WeChat-compatible API', RACES, [
  {
    name: 'a token fetched from one process works on the other',
    async run(target) {
      const other = { ...target, bases: [target.bases[1]] }
      const answer = await wx(other, 0, '/card/batchget', { offset: 0, count: 10 })
      assert.equal(answer.errcode, 0, JSON.stringify(answer))
      assert.equal((await wx({ ...other, token: 'garbage' }, 0, '/card/batchget', {})).errcode, 40001)
    },
  },
])
