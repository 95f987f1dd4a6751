/**
 * The checkers themselves: a checker that passes everything proves nothing. Each case builds a real ledger
 * through the API (in process, SQLite), records the attempts a harness client would have recorded, then
 * breaks one promise (in the history or in the database) and expects the checker that guards it to say so.
 */
import { describe, it, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { memberCardBody } from '../helpers/member-api.ts'
import {
  acknowledgedIsDurable,
  couponHistoriesFit,
  giftsSettleOnce,
  nothingRedeemedTwice,
  pointsLedgerAddsUp,
  pointsNeverNegative,
  pointsPostedOnce,
  replaysIdentical,
  type CheckInput,
} from './harness/checkers.ts'
import type { World } from './harness/client.ts'
import type { Attempt } from './harness/history.ts'

type Checker = (input: CheckInput) => Promise<string[]>

/** The checkers that need no cards of a run (nothingOverIssued does). */
const CHECKERS: Record<string, Checker> = { acknowledgedIsDurable, replaysIdentical, couponHistoriesFit, giftsSettleOnce, nothingRedeemedTwice, pointsNeverNegative, pointsLedgerAddsUp, pointsPostedOnce }

interface Scene {
  t: TestApp
  apiKey: string
  memberId: string
  attempts: Attempt[]
  /** Posts points as a harness client does (its reason `<op> <ref>`) and records the attempt, as answered or as `outcome` says. */
  post(op: string, ref: string, delta: number, options?: { key?: string; outcome?: 'unknown'; race?: string }): Promise<Attempt>
  /** Records an attempt the way the harness client does. */
  record(attempt: Partial<Attempt>): Attempt
  /** Every checker's violations. */
  check(): Promise<Record<string, string[]>>
}

const scenes: TestApp[] = []
afterEach(async () => {
  await Promise.all(scenes.splice(0).map((t) => t.close()))
})

/** A merchant with a member card and one member, and an empty history. */
async function scene(): Promise<Scene> {
  const t = await startTestApp('sqlite')
  scenes.push(t)
  const { apiKey } = await t.merchant()
  const card = (await t.request('POST', '/v1/member-cards', { key: apiKey, body: memberCardBody() })).body
  const memberId = (await t.request('POST', `/v1/member-cards/${card.id}/members`, { key: apiKey, body: { user_id: 'u1' } })).body.id as string
  const attempts: Attempt[] = []
  const record = (attempt: Partial<Attempt>): Attempt => {
    const full: Attempt = {
      id: attempts.length + 1,
      client: 0,
      op: 'burn',
      coupon: null,
      member: memberId,
      ref: null,
      key: null,
      replayOf: null,
      race: null,
      server: 'http://in-process',
      start: attempts.length,
      end: attempts.length + 0.5,
      outcome: 'ok',
      status: 201,
      code: null,
      text: null,
      replayed: false,
      body: undefined,
      ...attempt,
    }
    attempts.push(full)
    return full
  }
  return {
    t,
    apiKey,
    memberId,
    attempts,
    record,
    async post(op, ref, delta, { key, outcome, race } = {}) {
      const res = await t.request('POST', `/v1/members/${memberId}/points`, { key: apiKey, body: { delta, reason: `${op} ${ref}` }, headers: key ? { 'idempotency-key': key } : {} })
      const answered = res.status < 300 ? 'ok' : 'failed'
      return record({
        op,
        ref,
        key: key ?? null,
        race: race ?? null,
        outcome: outcome ?? answered,
        status: outcome ? null : res.status,
        code: outcome || answered === 'ok' ? null : res.body.code,
        text: outcome ? null : res.text,
        replayed: res.headers['idempotent-replayed'] === 'true',
        body: outcome || answered !== 'ok' ? undefined : res.body,
      })
    },
    async check() {
      const input: CheckInput = { world: {} as World, attempts, db: t.db.database.db, secrets: t.ctx.secrets }
      const found: Record<string, string[]> = {}
      for (const [name, checker] of Object.entries(CHECKERS)) found[name] = await checker(input)
      return found
    },
  }
}

/** Asserts that exactly the named checkers complain, each with a violation matching its pattern. */
function assertComplaints(found: Record<string, string[]>, expected: Record<string, RegExp>): void {
  const complaining = Object.keys(found).filter((name) => found[name].length > 0).sort()
  assert.deepEqual(complaining, Object.keys(expected).sort(), JSON.stringify(found, null, 1))
  for (const [name, pattern] of Object.entries(expected)) assert.ok(found[name].some((v) => pattern.test(v)), `${name}: ${JSON.stringify(found[name])} has nothing matching ${pattern}`)
}

/** An honest little history: an earning, burns with and without a key (one replayed), a refusal, a race, lookups. */
async function honest(s: Scene): Promise<void> {
  await s.post('earn', 'e1', 500, { key: 'k-e1' })
  const burned = await s.post('burn', 'b1', -200, { key: 'k-b1' })
  const replay = await s.post('burn', 'b1', -200, { key: 'k-b1' })
  replay.replayOf = burned.id
  await s.post('burn', 'b2', -400)
  await Promise.all([s.post('race-burn', 'r1', -150, { race: 'race-1' }), s.post('race-burn', 'r2', -150, { race: 'race-1' }), s.post('race-burn', 'r3', -150, { race: 'race-1' })])
  s.record({ op: 'member-lookup', status: 200, body: { points_balance: 0 } })
}

describe('the reliability checkers', () => {
  it('pass an honest history of points postings', async () => {
    const s = await scene()
    await honest(s)
    assert.deepEqual(
      s.attempts.map((a) => `${a.op} ${a.outcome} ${a.code ?? ''}`.trim()),
      ['earn ok', 'burn ok', 'burn ok', 'burn failed insufficient_points', 'race-burn ok', 'race-burn ok', 'race-burn failed insufficient_points', 'member-lookup ok'],
    )
    assertComplaints(await s.check(), {})
  })

  it('catch a burn in the ledger twice (a retry that posted again)', async () => {
    const s = await scene()
    await honest(s)
    await s.post('earn', 'e2', 300)
    // The first answer was lost; its retry, with the same reason, posted a second time.
    await s.post('burn', 'b3', -100, { key: 'k-b3', outcome: 'unknown' })
    await s.post('burn', 'b3', -100)
    assertComplaints(await s.check(), { pointsPostedOnce: /burn b3 is in the ledger 2 times/ })
  })

  it('catch a negative balance', async () => {
    const s = await scene()
    await honest(s)
    const db = s.t.db.database.db
    // The schema's CHECKs would refuse it: as a database without them would hold it.
    await sql`PRAGMA ignore_check_constraints = ON`.execute(db)
    await db.updateTable('members').set({ points_balance: -50 }).where('id', '=', s.memberId).execute()
    await db.updateTable('points_entries').set({ balance_after: -50 }).where('reason', '=', 'race-burn r2').execute()
    await sql`PRAGMA ignore_check_constraints = OFF`.execute(db)
    assertComplaints(await s.check(), {
      pointsNeverNegative: /has a points balance of -50/,
      pointsLedgerAddsUp: /has -50 points, its entries add up to 0/,
      pointsPostedOnce: /answered .* leaving -50/,
    })
  })

  it('catch an acknowledged burn missing from the database', async () => {
    const s = await scene()
    await honest(s)
    const db = s.t.db.database.db
    const lost = await db.selectFrom('points_entries').select(['id', 'seq']).where('reason', '=', 'burn b1').executeTakeFirstOrThrow()
    await db.deleteFrom('points_entries').where('id', '=', lost.id).execute()
    assertComplaints(await s.check(), {
      acknowledgedIsDurable: new RegExp(`acknowledged points entry ${lost.id}, which is not in the database`),
      pointsPostedOnce: /burn b1 was acknowledged .* but is not in the ledger/,
      pointsLedgerAddsUp: /has seq/,
    })
  })

  it('catch a refused burn that is in the ledger nonetheless', async () => {
    const s = await scene()
    await honest(s)
    await s.post('earn', 'e2', 300)
    const burned = await s.post('burn', 'b3', -100)
    Object.assign(burned, { outcome: 'failed', status: 409, code: 'insufficient_points', text: '{"code":"insufficient_points","detail":"The member has 50 points; 100 are needed."}', body: undefined })
    assertComplaints(await s.check(), { pointsPostedOnce: /burn b3 was refused .* yet is in the ledger/ })
  })

  it('catch a refusal when the balance covered the burn, or a balance the member never had', async () => {
    const s = await scene()
    await honest(s)
    await s.post('earn', 'e2', 300)
    const refusal = (balance: number, needed: number) => `{"code":"insufficient_points","detail":"The member has ${balance} points; ${needed} are needed."}`
    s.record({ op: 'burn', ref: 'b3', outcome: 'failed', status: 409, code: 'insufficient_points', text: refusal(300, 200) })
    s.record({ op: 'burn', ref: 'b4', outcome: 'failed', status: 409, code: 'insufficient_points', text: refusal(299, 300) })
    const found = await s.check()
    assertComplaints(found, { pointsPostedOnce: /burn b3: #\d+ refused 200 points with 300 on the balance/ })
    assert.ok(found.pointsPostedOnce.some((v) => /burn b4: #\d+ refused seeing a balance of 299, which member \S+ never had/.test(v)))
  })

  it('catch lots that do not hold the balance, and an entry no client asked for', async () => {
    const s = await scene()
    await honest(s)
    const db = s.t.db.database.db
    await db.updateTable('points_lots').set({ remaining: 10 }).where('member_id', '=', s.memberId).execute()
    // Posted, but by nobody in the history.
    assert.equal((await s.t.request('POST', `/v1/members/${s.memberId}/points`, { key: s.apiKey, body: { delta: 5, reason: 'x' } })).status, 201)
    const found = await s.check()
    assert.match(found.pointsLedgerAddsUp.join('\n'), /has 5 points, its lots hold 15/)
    assert.match(found.pointsLedgerAddsUp.join('\n'), /burned, \d+ taken from lots/)
    assert.match(found.pointsPostedOnce.join('\n'), /\(x\) was asked for by no client/)
  })

  it('catch an answer the ledger does not bear out, and replays that differ', async () => {
    const s = await scene()
    await honest(s)
    const answered = s.attempts[1]
    s.record({ ...answered, replayOf: null, body: { ...answered.body, points_balance: 400 }, text: answered.text!.replace('"points_balance":300', '"points_balance":400') })
    assertComplaints(await s.check(), {
      pointsPostedOnce: /burn b1: #\d+ answered .*"points_balance":400.* leaving 300/,
      replaysIdentical: /key k-b1: #2 answered 201 .*, #\d+ answered 201 .*"points_balance":400/,
    })
  })

  it('catch a member lookup answering a balance the ledger never had', async () => {
    const s = await scene()
    await honest(s)
    s.record({ op: 'member-lookup', status: 200, body: { points_balance: 123 } })
    assertComplaints(await s.check(), { pointsPostedOnce: /member-lookup #\d+ answered a balance of 123/ })
  })
  it('pass a gift accepted once, and catch its value living twice or an acknowledged cancel that did not stay', async () => {
    const s = await scene()
    const { t, apiKey } = s
    const card = (await t.request('POST', '/v1/cards', { key: apiKey, body: { type: 'cash', title: 'Gift', notice: 'n', reduce_cost: 2000, least_cost: 10000, stock: 10, can_gift: true, validity: { type: 'fixed_term', days: 30 } } })).body
    const coupon = (await t.request('POST', `/v1/cards/${card.id}/issue`, { key: apiKey, body: { user_id: 'w0' } })).body
    const token = async (userId: string) => (await t.request('POST', '/v1/wallet-tokens', { key: apiKey, body: { user_id: userId, ttl_seconds: 3600 } })).body.token
    const sent = (await t.request('POST', `/v1/wallet/coupons/${coupon.id}/gift`, { key: await token('w0') })).body
    const accepted = await t.request('POST', `/v1/wallet/gifts/${sent.token}/accept`, { key: await token('friend0') })
    assert.equal(accepted.status, 201, accepted.text)
    const race = `gift-${sent.gift_id}`
    s.record({ op: 'gift-accept', member: null, race, status: 201, body: accepted.body })
    assertComplaints(await s.check(), {})

    // A cancel answered 200 although the gift was accepted.
    s.record({ op: 'gift-cancel', member: null, race, status: 200, body: {} })
    // And the giver's coupon came back to life beside the receiver's.
    await t.db.database.db.updateTable('coupons').set({ state: 'available' }).where('id', '=', coupon.id).execute()
    assertComplaints(await s.check(), { giftsSettleOnce: /2 live coupons/ })
    const found = (await s.check()).giftsSettleOnce
    assert.ok(found.some((v) => /both accepted and cancelled/.test(v)), JSON.stringify(found))
    assert.ok(found.some((v) => /the giver's coupon is available, not gifted/.test(v)), JSON.stringify(found))
  })
})
