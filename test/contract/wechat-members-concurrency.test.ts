import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { count, describeWechatRaces, wx, type WxRace, type WxTarget } from '../helpers/wechat-races.ts'
import type { Db } from '../../src/db/database.ts'

// Parallel membercard/updateuser and activate through the WeChat-compatible facade, with real parallel HTTP
// requests to one server, and on PostgreSQL to two server processes sharing the database: no ledger goes
// below zero, every change is applied exactly once, and a first activation posts its entries once.

const memberCard = {
  card: { card_type: 'MEMBER_CARD', member_card: { base_info: { title: 'Club', notice: 'n', date_info: { type: 'DATE_TYPE_PERMANENT' }, sku: { quantity: 100 } }, supply_bonus: true, supply_balance: true, prerogative: 'p' } },
}

/** A claimed, activated member with `points` and `fen`; its card, code and native member id. */
async function member(target: WxTarget, openid: string, points: number, fen: number) {
  const created = await wx(target, 0, '/card/create', memberCard)
  assert.equal(created.errcode, 0, JSON.stringify(created))
  const issued = await wx(target, 1, '/kabao/card/issue', { card_id: created.card_id, openid })
  assert.equal(issued.errcode, 0, JSON.stringify(issued))
  const activated = await wx(target, 0, '/card/membercard/activate', { code: issued.code, membership_number: `N-${openid}`, init_bonus: points, init_balance: fen })
  assert.equal(activated.errcode, 0, JSON.stringify(activated))
  const { rows } = await sql<{ id: string }>`select id from members where member_card_id = ${created.card_id} and user_id = ${openid}`.execute(target.db)
  return { cardId: created.card_id as string, code: issued.code as string, memberId: rows[0].id }
}

async function balances(db: Db, memberId: string) {
  const { rows } = await sql<{ points_balance: number | string; stored_value_balance: number | string }>`select points_balance, stored_value_balance from members where id = ${memberId}`.execute(db)
  const points = await sql<{ n: number | string; total: number | string | null }>`select count(*) as n, sum(delta) as total from points_entries where member_id = ${memberId}`.execute(db)
  const stored = await sql<{ n: number | string; total: number | string | null }>`select count(*) as n, sum(delta) as total from stored_value_entries where member_id = ${memberId}`.execute(db)
  const negative = await sql<{ n: number | string }>`select count(*) as n from points_entries where member_id = ${memberId} and balance_after < 0`.execute(db)
  const negativeStored = await sql<{ n: number | string }>`select count(*) as n from stored_value_entries where member_id = ${memberId} and balance_after < 0`.execute(db)
  assert.equal(Number(negative.rows[0].n) + Number(negativeStored.rows[0].n), 0, 'no entry ever left a balance below zero')
  return {
    points: Number(rows[0].points_balance), fen: Number(rows[0].stored_value_balance),
    pointsEntries: Number(points.rows[0].n), pointsSum: Number(points.rows[0].total ?? 0),
    storedEntries: Number(stored.rows[0].n), storedSum: Number(stored.rows[0].total ?? 0),
  }
}

const RACES: WxRace[] = [
  {
    name: 'N parallel burns of points and balance together on a member who can afford K: exactly K errcode 0, the rest 40097, both ledgers at 0',
    async run(target) {
      const K = 6
      const N = 16
      const m = await member(target, 'burner', K * 10, K * 100)
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/membercard/updateuser', { code: m.code, card_id: m.cardId, add_bonus: -10, add_balance: -100, record_bonus: `burn ${i}` })))
      assert.deepEqual(count(answers), { 0: K, 40097: N - K })
      assert.deepEqual(answers.filter((a) => a.errcode === 0).map((a) => [a.result_bonus, a.result_balance]).sort((a, b) => a[0] - b[0]), Array.from({ length: K }, (_, i) => [i * 10, i * 100]))
      assert.deepEqual(await balances(target.db, m.memberId), { points: 0, fen: 0, pointsEntries: 1 + K, pointsSum: 0, storedEntries: 1 + K, storedSum: 0 })
    },
  },
  {
    name: 'parallel credits and debits that the balance always covers: every one applied exactly once',
    async run(target) {
      const N = 10
      const m = await member(target, 'mixer', 30, 300)
      const bodies = Array.from({ length: 2 * N }, (_, i) => (i % 2 === 0 ? { add_bonus: -3, add_balance: -30 } : { add_bonus: 5, add_balance: 50 }))
      const answers = await Promise.all(bodies.map((body, i) => wx(target, i, '/card/membercard/updateuser', { code: m.code, card_id: m.cardId, ...body })))
      assert.deepEqual(count(answers), { 0: 2 * N })
      assert.deepEqual(await balances(target.db, m.memberId), { points: 30 - 3 * N + 5 * N, fen: 300 - 30 * N + 50 * N, pointsEntries: 1 + 2 * N, pointsSum: 30 - 3 * N + 5 * N, storedEntries: 1 + 2 * N, storedSum: 300 - 30 * N + 50 * N })
    },
  },
  {
    name: 'parallel updateuser setting the total (bonus) and parallel first activations: the ledgers end where the last says, activation posts once',
    async run(target) {
      const created = await wx(target, 0, '/card/create', memberCard)
      const issued = await wx(target, 1, '/kabao/card/issue', { card_id: created.card_id, openid: 'setter' })
      const N = 8
      const activations = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/membercard/activate', { code: issued.code, membership_number: 'SET-1', init_bonus: 40, init_balance: 400 })))
      assert.deepEqual(count(activations), { 0: N })
      const { rows } = await sql<{ id: string }>`select id from members where member_card_id = ${created.card_id}`.execute(target.db)
      assert.deepEqual(await balances(target.db, rows[0].id), { points: 40, fen: 400, pointsEntries: 1, pointsSum: 40, storedEntries: 1, storedSum: 400 })
      const answers = await Promise.all(Array.from({ length: N }, (_, i) => wx(target, i, '/card/membercard/updateuser', { code: issued.code, card_id: created.card_id, bonus: 10, balance: 0 })))
      assert.deepEqual(count(answers), { 0: N })
      for (const a of answers) assert.deepEqual([a.result_bonus, a.result_balance], [10, 0])
      // The first moves 40 → 10 and 400 → 0; the others find the totals reached and post nothing.
      assert.deepEqual(await balances(target.db, rows[0].id), { points: 10, fen: 0, pointsEntries: 2, pointsSum: 10, storedEntries: 2, storedSum: 0 })
    },
  },
]

await describeWechatRaces('WeChat-compatible member cards', RACES)
