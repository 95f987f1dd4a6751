import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { overviewStats } from './stats.service.ts'

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
}
