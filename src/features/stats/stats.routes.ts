import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { overviewStats } from './stats.service.ts'

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A local date in the merchant’s time zone, YYYY-MM-DD' })

export async function statsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/stats/overview',
    {
      schema: {
        tags: ['stats'],
        summary: 'The dashboard: claims, redemptions and redemption rate per day (merchant’s local days, today last) and the stock left per card',
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return overviewStats(ctx, merchantId, merchantTz, (request.query as { days?: number }).days ?? 30)
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
      },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const query = request.query as { from?: string; to?: string; card_id?: string }
      let q = ctx.database.db.selectFrom('daily_stats').selectAll().where('merchant_id', '=', merchantId)
      if (query.from) q = q.where('day', '>=', query.from)
      if (query.to) q = q.where('day', '<=', query.to)
      if (query.card_id) q = q.where('card_id', '=', query.card_id)
      const rows = await q.orderBy('day').orderBy('card_id').limit(5000).execute()
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
