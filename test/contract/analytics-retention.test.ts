import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type TestApp } from '../helpers/app.ts'
import { expectStatus, newMerchant, type MerchantApi } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { DAY_VIEWER_RETENTION_DAYS, purgeTrackedEventsJob, TRACKED_EVENT_RETENTION_MS } from '../../src/jobs/purge-tracked-events.job.ts'
import { scheduledJobs } from '../../src/jobs/runner.ts'

const DAY = 86_400_000

for (const engine of ENGINES) {
  describe(`retention of views and tracked events on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let clock: ManualClock
    let api: MerchantApi

    before(async () => {
      clock = new ManualClock('2030-01-01T04:00:00Z')
      t = await startTestApp(engine, { clock })
      api = await newMerchant(t)
    })
    after(() => t.close())

    it('purges raw events after 180 days and day viewers after 400, keeping the views per day', async () => {
      assert.ok(scheduledJobs().includes(purgeTrackedEventsJob), 'the job is scheduled with the other retention jobs')
      const card = await api.createCard(cashCard())
      const link = expectStatus(await api.post(`/v1/cards/${card.id}/claim-links`, {}), 201)
      const view = () => t.request('GET', `/v1/claim/${link.token}`, { headers: { 'kabao-device': 'dev-1' } })
      expectStatus(await view(), 200)
      expectStatus(await api.post('/v1/track', { event: 'banner_click', card_id: card.id }), 201)
      clock.advance(100 * DAY)
      expectStatus(await view(), 200)
      const db = t.db.database.db
      const count = async (table: 'tracked_events' | 'card_day_viewers' | 'card_view_days') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
      // Each day viewer is noted twice: for the card, and for all the merchant's cards (the merchant's funnel).
      assert.deepEqual([await count('tracked_events'), await count('card_day_viewers'), await count('card_view_days')], [3, 4, 2])

      // 180 days after the first view: nothing is old enough yet.
      assert.equal(await purgeTrackedEventsJob.run(t.ctx, Date.parse('2030-01-01T04:00:00Z') + TRACKED_EVENT_RETENTION_MS - 1), 0)
      // Just past it: the first view and the click go, the later view stays; the day viewers stay.
      assert.equal(await purgeTrackedEventsJob.run(t.ctx, Date.parse('2030-01-01T04:00:00Z') + TRACKED_EVENT_RETENTION_MS + 1), 2)
      assert.deepEqual([await count('tracked_events'), await count('card_day_viewers')], [1, 4])
      // 400 days on, the first day's viewers go (and the later view, now past 180 days); the views per day are kept for good.
      const later = Date.parse('2030-01-02T00:00:00Z') + DAY_VIEWER_RETENTION_DAYS * DAY
      assert.equal(await purgeTrackedEventsJob.run(t.ctx, later), 3)
      assert.equal(await purgeTrackedEventsJob.run(t.ctx, later), 0)
      assert.deepEqual([await count('tracked_events'), await count('card_day_viewers'), await count('card_view_days')], [0, 2, 2])
      const stats = expectStatus(await api.get(`/v1/stats/cards/${card.id}?from=2030-01-01&to=2030-04-11`), 200)
      assert.equal(stats.views, 2)
    })
  })
}
