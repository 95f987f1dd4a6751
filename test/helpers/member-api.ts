import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { fromJson, type Db } from '../../src/db/database.ts'
import type { TestApp } from './app.ts'
import { expectStatus, type MerchantApi } from './merchant-api.ts'

/** A valid member card body: three levels, 1 point and 1 growth per ¥1, stored value with a refund rule. */
export function memberCardBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Bakery Club',
    color: '#aa3300',
    levels: [
      { name: 'Member', min_growth: 0 },
      { name: 'Silver', min_growth: 1000, percent_off: 5, points_multiplier: 1.5, perks: ['Free coffee refill'] },
      { name: 'Gold', min_growth: 5000, percent_off: 10, points_multiplier: 2 },
    ],
    stored_value: { enabled: true, refund_rule: { description: 'Unspent balance is refunded on request, less a 5% fee.', refundable: true, fee_percent: 5 } },
    ...overrides,
  }
}

export async function createMemberCard(m: MerchantApi, overrides: Record<string, unknown> = {}): Promise<any> {
  return expectStatus(await m.post('/v1/member-cards', memberCardBody(overrides)), 201)
}

export async function join(m: MerchantApi, memberCardId: string, userId: string, extra: Record<string, unknown> = {}): Promise<any> {
  return expectStatus(await m.post(`/v1/member-cards/${memberCardId}/members`, { user_id: userId, ...extra }), 201)
}

export async function getMember(m: MerchantApi, memberId: string): Promise<any> {
  return expectStatus(await m.get(`/v1/members/${memberId}`), 200)
}

/** Posts points with an Idempotency-Key when given. */
export function postPoints(t: TestApp, key: string, memberId: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return t.request('POST', `/v1/members/${memberId}/points`, { key, body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} })
}

export async function ledger(m: MerchantApi, memberId: string, path: 'points' | 'stored-value' = 'points'): Promise<any[]> {
  return expectStatus(await m.get(`/v1/members/${memberId}/${path}?limit=500`), 200).data
}

/** An order at the till that earns points and growth (and may pay with stored value). */
export async function order(m: MerchantApi, memberId: string, body: Record<string, unknown>): Promise<any> {
  return expectStatus(await m.post(`/v1/members/${memberId}/orders`, body), 201)
}

const count = (value: unknown) => Number(value ?? 0)

/**
 * The ledger invariants, straight from the database: the points balance equals the sum of the member's
 * entries and the sum of what their lots still hold, never negative; entries run in sequence with each
 * balance_after the running sum; the same for stored value; no source reference twice.
 */
export async function assertLedgersConsistent(db: Db, memberId: string): Promise<{ points: number; storedValue: number }> {
  const member = await db.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow()
  assert.ok(member.points_balance >= 0, `points balance ${member.points_balance} is negative`)
  assert.ok(member.stored_value_balance >= 0, `stored value balance ${member.stored_value_balance} is negative`)
  for (const [table, balance, seq] of [
    ['points_entries', member.points_balance, member.points_seq],
    ['stored_value_entries', member.stored_value_balance, member.stored_value_seq],
  ] as const) {
    const entries = await db.selectFrom(table).select(['seq', 'delta', 'balance_after']).where('member_id', '=', memberId).orderBy('seq').execute()
    let running = 0
    entries.forEach((entry, i) => {
      assert.equal(entry.seq, i + 1, `${table}: sequence numbers run without gaps`)
      running += entry.delta
      assert.equal(entry.balance_after, running, `${table}: balance_after of entry ${entry.seq}`)
      assert.ok(entry.balance_after >= 0)
    })
    assert.equal(running, balance, `${table}: the balance equals the sum of the entries`)
    assert.equal(entries.length, seq)
  }
  // Every entry was announced exactly once through the outbox.
  for (const [table, type] of [['points_entries', 'points.changed'], ['stored_value_entries', 'stored_value.changed']] as const) {
    const ids = (await db.selectFrom(table).select('id').where('member_id', '=', memberId).execute()).map((row) => row.id).sort()
    const events = await db.selectFrom('events').select('data').where('merchant_id', '=', member.merchant_id).where('type', '=', type).execute()
    const announced = events.map((e) => fromJson<{ member_id: string; entry_id: string }>(e.data)).filter((d) => d.member_id === memberId).map((d) => d.entry_id).sort()
    assert.deepEqual(announced, ids, `${type}: one event per entry`)
    // …and told to the member exactly once, in their inbox.
    const told = await db.selectFrom('notifications').select(['dedupe_key', 'user_id', 'data']).where('merchant_id', '=', member.merchant_id).where('kind', '=', type).execute()
    const toldEntries = told.map((n) => ({ ...n, data: fromJson<{ member_id: string; entry_id: string }>(n.data) })).filter((n) => n.data.member_id === memberId)
    assert.deepEqual(toldEntries.map((n) => n.data.entry_id).sort(), ids, `${type}: one notification per entry`)
    for (const n of toldEntries) assert.deepEqual([n.user_id, n.dedupe_key], [member.user_id, `${type}:${n.data.entry_id}`])
  }
  const lots = await db.selectFrom('points_lots').select((eb) => eb.fn.sum<number | string>('remaining').as('held')).where('member_id', '=', memberId).executeTakeFirst()
  assert.equal(count(lots?.held), member.points_balance, 'the lots hold exactly the balance')
  return { points: member.points_balance, storedValue: member.stored_value_balance }
}

/** No business event (source reference) posted twice, in either ledger, across every member. */
export async function assertNoSourcePostedTwice(db: Db): Promise<void> {
  for (const table of ['points_entries', 'stored_value_entries'] as const) {
    const { rows } = await sql<{ source_ref: string; n: number | string }>`
      select source_ref, count(*) as n from ${sql.table(table)} where source_ref is not null group by merchant_id, source_ref having count(*) > 1`.execute(db)
    assert.deepEqual(rows, [], `${table}: a source reference posted twice`)
  }
}
