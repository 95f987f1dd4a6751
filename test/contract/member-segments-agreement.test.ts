import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { createMemberCard } from '../helpers/member-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import type { Db } from '../../src/db/database.ts'
import { DEFAULT_RFM_THRESHOLDS, RFM_SEGMENTS, rfmWindowStart, scoreRfm, type RfmSegment, type RfmThresholds } from '../../src/domain/rfm.ts'
import { rfmInputsOf } from '../../src/features/member-analytics/member-analytics.repository.ts'

const DAY = 86_400_000

/** A small deterministic random source, so a failure can be run again. */
function random(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

/**
 * Members with orders written straight into the tables: orders on and around the edges of recency and of the
 * window (a day exactly, a millisecond either side), refunded in full, in part or not at all.
 */
async function seed(db: Db, merchantId: string, memberCardId: string, prefix: string, count: number, t: RfmThresholds, now: number, rand: () => number) {
  const edges = [0, 1, -1]
  const times = [
    () => now - t.recency_days * DAY + edges[Math.floor(rand() * 3)],
    () => now - (t.recency_days + 1) * DAY + edges[Math.floor(rand() * 3)],
    () => rfmWindowStart(t, now) + edges[Math.floor(rand() * 3)],
    () => now - Math.floor(rand() * (t.window_days + 30)) * DAY - Math.floor(rand() * DAY),
    () => now + Math.floor(rand() * DAY),
  ]
  const members = []
  const orders = []
  for (let i = 0; i < count; i++) {
    const id = `mem_${prefix}${String(i).padStart(25, '0')}`
    members.push({
      id, merchant_id: merchantId, member_card_id: memberCardId, user_id: `u-${prefix}${i}`, member_number: `${prefix}${i}`, level_index: 0, growth: 0,
      points_balance: 0, points_seq: 0, stored_value_balance: 0, stored_value_seq: 0, profile: '{}', consented_at: null, profile_completed_at: null,
      birthday: null, next_birthday_at: null, next_review_at: null, referrer_member_id: null, joined_at: now - 400 * DAY, level_changed_at: now - 400 * DAY, updated_at: now, request_ref: null,
    })
    const n = Math.floor(rand() * 6)
    for (let j = 0; j < n; j++) {
      const amount = [1, 10_000, 20_000, 50_000, t.monetary][Math.floor(rand() * 5)]
      const refunded = [0, 0, amount, Math.floor(amount / 2)][Math.floor(rand() * 4)]
      const at = times[Math.floor(rand() * times.length)]()
      orders.push({
        id: `mor_${prefix}${i}_${j}`, merchant_id: merchantId, member_id: id, order_ref: `o-${prefix}${i}-${j}`, store_id: null, redemption_id: null, order_amount: amount, refunded_amount: refunded,
        points_earned: 0, points_lot_id: null, points_reversed: 0, points_unrecovered: 0, growth_earned: 0, growth_reversed: 0, stored_value_paid: 0, stored_value_returned: 0, created_at: at, updated_at: at,
      })
    }
  }
  for (let i = 0; i < members.length; i += 200) await db.insertInto('members').values(members.slice(i, i + 200)).execute()
  for (let i = 0; i < orders.length; i += 200) await db.insertInto('member_orders').values(orders.slice(i, i + 200)).execute()
  return members.map((m) => m.id)
}

/** The segment of each member scored as before: their inputs read 500 members at a time and scored one by one. */
async function scoredOneByOne(db: Db, merchantId: string, memberIds: string[], t: RfmThresholds, now: number): Promise<Map<string, RfmSegment>> {
  const segments = new Map<string, RfmSegment>()
  for (let i = 0; i < memberIds.length; i += 500) {
    const ids = memberIds.slice(i, i + 500)
    const inputs = await rfmInputsOf(db, merchantId, ids, rfmWindowStart(t, now))
    for (const id of ids) segments.set(id, scoreRfm(inputs.get(id) ?? { last_order_at: null, orders: 0, spend: 0 }, t, now).segment)
  }
  return segments
}

for (const engine of ENGINES) {
  describe(`member segments scored in the database on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let api: MerchantApi & { merchantId: string }
    const clock = new ManualClock('2030-06-15T04:00:00Z')
    before(async () => {
      t = await startTestApp(engine, { clock })
      api = await newMerchant(t)
    })
    after(() => t.close())

    it('agree with scoring each member on its own, segment counts and lists, default and changed thresholds', async () => {
      const db = t.db.database.db
      const now = clock.now()
      const own: RfmThresholds = { window_days: 90, recency_days: 7, frequency: 2, monetary: 20_000 }
      const plain = await createMemberCard(api)
      const changed = await createMemberCard(api, { title: 'Tea Club' })
      expectStatus(await api.put(`/v1/member-cards/${changed.id}/segment-thresholds`, own), 200)
      const rand = random(20300615)
      const cards = [
        { id: plain.id as string, thresholds: DEFAULT_RFM_THRESHOLDS, members: await seed(db, api.merchantId, plain.id, 'a', 300, DEFAULT_RFM_THRESHOLDS, now, rand) },
        { id: changed.id as string, thresholds: own, members: await seed(db, api.merchantId, changed.id, 'b', 300, own, now, rand) },
      ]
      const everyone = new Map<string, RfmSegment>()
      for (const card of cards) {
        const want = await scoredOneByOne(db, api.merchantId, card.members, card.thresholds, now)
        for (const [id, s] of want) everyone.set(id, s)
        const counts = Object.fromEntries(RFM_SEGMENTS.map((s) => [s.segment, [...want.values()].filter((w) => w === s.segment).length]))
        const body = expectStatus(await api.get(`/v1/member-cards/${card.id}/segments`), 200)
        assert.equal(body.members, card.members.length)
        assert.deepEqual(Object.fromEntries(body.segments.map((s: { segment: string; members: number }) => [s.segment, s.members])), counts)
        assert.ok(Object.values(counts).filter((n) => n > 0).length >= 6, 'the members spread over the segments')
      }
      // The list of each segment across both cards, read a page at a time, and each member's score.
      for (const { segment } of RFM_SEGMENTS) {
        const listed: string[] = []
        for (let cursor: string | null = null; ; ) {
          const page = expectStatus(await api.get(`/v1/members?segment=${segment}&limit=70${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), 200)
          listed.push(...page.data.map((m: { id: string }) => m.id))
          cursor = page.next_cursor
          if (!cursor) break
        }
        assert.deepEqual(listed, [...everyone].filter(([, s]) => s === segment).map(([id]) => id).sort(), segment)
      }
    })
  })
}
