import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { Nullable, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { overviewStats } from './stats.service.ts'
import { listDailyStats } from './stats.repository.ts'

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A local date in the merchant’s time zone, YYYY-MM-DD' })
const Count = Type.Integer({ minimum: 0 })

const DayStatsSchema = Type.Object({
  date: Day,
  claims: Type.Integer({ minimum: 0, description: 'Coupons claimed (issued) that day' }),
  redemptions: Type.Integer({ minimum: 0, description: 'Redemptions made that day and not reversed' }),
  redeemed: Type.Integer({ minimum: 0, description: 'Of the coupons claimed that day, how many are redeemed now' }),
  redemption_rate: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'redeemed ÷ claims; null without claims' })),
})

const OverviewSchema = Type.Object({
  timezone: Type.String(),
  days: Type.Integer({ minimum: 1 }),
  from: Day,
  to: Day,
  today: DayStatsSchema,
  totals: Type.Object({ claims: Count, redemptions: Count, redeemed: Count, redemption_rate: Nullable(Type.Number({ minimum: 0, maximum: 1 })) }),
  daily: Type.Array(DayStatsSchema),
  cards: Type.Array(
    Type.Object({
      card_id: Type.String(),
      title: Type.String(),
      status: Type.String(),
      stock_remaining: Type.Integer(),
      issued_count: Count,
      redeemed_count: Count,
    }),
    { description: 'Cards still issuing (not ended), newest first, at most 50' },
  ),
})

const DailyStatsSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      day: Day,
      card_id: Type.String(),
      issued: Count,
      redeemed: Count,
      reversed: Count,
      expired: Count,
      voided: Count,
      discount_amount: Type.Integer({ description: 'Net discount given that day, integer fen (reversals subtracted)' }),
    }),
  ),
})

export async function statsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/stats/overview',
    {
      schema: {
        tags: ['stats'],
        summary: 'The dashboard: claims, redemptions and redemption rate per day (merchant’s local days, today last) and the stock left per card',
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }, { additionalProperties: false }),
        response: responses({ 200: OverviewSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return overviewStats(ctx, merchantId, merchantTz, request.query.days ?? 30)
    },
  )

  // The daily roll-ups the `daily-stats` job writes (yesterday's appear after the next UTC midnight).
  app.get(
    '/v1/stats/daily',
    {
      schema: {
        tags: ['stats'],
        summary: 'Per card and local day: coupons issued, redeemed, reversed, expired, voided and the net discount (fen)',
        querystring: Type.Object(
          { from: Type.Optional(Day), to: Type.Optional(Day), card_id: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: responses({ 200: DailyStatsSchema }),
      },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { from, to, card_id } = request.query
      const rows = await listDailyStats(ctx.database.db, merchantId, { from, to, cardId: card_id }, 5000)
      return {
        data: rows.map((row) => ({
          day: row.day,
          card_id: row.card_id,
          issued: row.issued,
          redeemed: row.redeemed,
          reversed: row.reversed,
          expired: row.expired,
          voided: row.voided,
          discount_amount: row.discount_amount,
        })),
      }
    },
  )
}
