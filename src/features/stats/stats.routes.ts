import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { FormatQuery, jsonOrCsv, sendJsonOrCsv } from '../../http/csv.ts'
import { Money, Nullable, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { cardStats, funnel, overviewStats } from './stats.service.ts'
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

const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, description }))
const Net = (description: string) => Type.Integer({ description: `${description}; net of reversals and voids, so a day may be negative` })

const CardDaySchema = Type.Object({
  date: Day,
  views: Count,
  viewers: Type.Integer({ minimum: 0, description: 'Distinct viewers that day' }),
  claims: Net('Coupons claimed that day less those voided that day'),
  redemptions: Net('Redemptions that day less reversals that day'),
  expired: Count,
  gifts: Type.Integer({ minimum: 0, description: 'Gifts of the card’s coupons accepted that day' }),
  discount_amount: Net('Discount given, integer fen'),
  order_amount: Net('Order amounts of the redemptions, integer fen'),
})
const CARD_DAY_COLUMNS = ['date', 'views', 'viewers', 'claims', 'redemptions', 'expired', 'gifts', 'discount_amount', 'order_amount'] as const

const ChannelSchema = Type.Object({
  channel: Type.String({ description: 'How the coupons were issued: claim_link, api, bulk, payment, points_exchange, birthday …' }),
  claims: Type.Integer(),
  redemptions: Type.Integer(),
  discount_amount: Type.Integer(),
  order_amount: Type.Integer(),
  redemption_rate: Rate('redemptions ÷ claims'),
})
const CHANNEL_COLUMNS = ['channel', 'claims', 'redemptions', 'discount_amount', 'order_amount', 'redemption_rate'] as const

const CampaignSchema = Type.Object({
  channel: Nullable(Type.String({ description: 'The channel tag given on the issue or claim link (`livestream`, `menu`, …); null = untagged' })),
  campaign: Nullable(Type.String({ description: 'The campaign tag; null = untagged' })),
  claims: Type.Integer({ description: 'Coupons issued in the range with these tags and not voided' }),
  redemptions: Type.Integer({ description: 'Redemptions in the range, not reversed' }),
  discount_amount: Type.Integer(),
  order_amount: Type.Integer(),
  redemption_rate: Rate('redemptions ÷ claims'),
})
const CAMPAIGN_COLUMNS = ['channel', 'campaign', 'claims', 'redemptions', 'discount_amount', 'order_amount', 'redemption_rate'] as const

const CardStatsSchema = Type.Object(
  {
    card_id: Type.String(),
    timezone: Type.String(),
    from: Day,
    to: Day,
    views: Count,
    viewers: Type.Integer({ minimum: 0, description: 'Distinct viewers over the range' }),
    claims: Type.Integer(),
    claimers: Type.Integer({ minimum: 0, description: 'Distinct customers who claimed in the range and hold a coupon not voided' }),
    shares: Count,
    sharers: Count,
    gifts: Type.Integer({ minimum: 0, description: 'Gifts of the card’s coupons accepted in the range (a receiver took them)' }),
    redemptions: Type.Integer(),
    redeemers: Type.Integer({ minimum: 0, description: 'Distinct customers with a redemption in the range, not reversed' }),
    expired: Count,
    discount_amount: Type.Integer({ description: 'Integer fen' }),
    order_amount: Type.Integer({ description: 'Integer fen' }),
    claim_rate: Rate('claimers ÷ viewers'),
    redemption_rate: Rate('redemptions ÷ claims'),
    share_rate: Rate('sharers ÷ claimers'),
    cost_per_redemption: Nullable(Type.Integer({ description: 'discount_amount ÷ redemptions, integer fen' })),
    roi: Rate('order_amount ÷ discount_amount'),
    by_day: Type.Array(CardDaySchema),
    by_channel: Type.Array(ChannelSchema, { description: 'Per issue channel (how coupons were issued), most claims first' }),
    by_campaign: Type.Array(CampaignSchema, { description: 'Per channel and campaign tag of yours, most claims first' }),
  },
  { description: 'A card’s figures over local days of the merchant’s zone, today live' },
)

const FunnelSchema = Type.Object({
  card_id: Nullable(Type.String()),
  from: Day,
  to: Day,
  steps: Type.Array(Type.Object({ name: Type.Union([Type.Literal('view'), Type.Literal('claim'), Type.Literal('redeem')]), users: Count })),
})

const RangeQuery = {
  from: Type.Optional(Type.String({ ...Day, description: 'First local day (default: 29 days before `to`)' })),
  to: Type.Optional(Type.String({ ...Day, description: 'Last local day, included (default: today)' })),
  ...FormatQuery,
}

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
          { from: Type.Optional(Day), to: Type.Optional(Day), card_id: Type.Optional(Type.String({ maxLength: 100 })), ...FormatQuery },
          { additionalProperties: false },
        ),
        response: responses({ 200: jsonOrCsv(DailyStatsSchema, 'The rows of `data`, one per line') }),
      },
    },
    async (request, reply) => {
      const { merchantId } = merchantOf(request)
      const { from, to, card_id } = request.query
      const rows = await listDailyStats(ctx.database.db, merchantId, { from, to, cardId: card_id }, 5000)
      const body = {
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
      return sendJsonOrCsv(request, reply, body, { columns: DAILY_COLUMNS, rows: (b) => b.data })
    },
  )

  app.get(
    '/v1/stats/cards/:card_id',
    {
      schema: {
        tags: ['stats'],
        summary: 'A card’s views, claims, redemptions, amounts and rates over local days, by day and by issue channel',
        params: Type.Object({ card_id: Type.String({ minLength: 1, maxLength: 100 }) }),
        querystring: Type.Object(
          { ...RangeQuery, list: Type.Optional(Type.Union([Type.Literal('by_day'), Type.Literal('by_channel'), Type.Literal('by_campaign')], { description: 'Which list CSV answers (default by_day)' })) },
          { additionalProperties: false },
        ),
        response: responses({ 200: jsonOrCsv(CardStatsSchema, 'The rows of `by_day` (or of `by_channel`, `by_campaign` with `list=`)') }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = await cardStats(ctx, merchantId, merchantTz, request.params.card_id, request.query)
      const { list } = request.query
      if (list === 'by_channel') return sendJsonOrCsv(request, reply, body, { columns: CHANNEL_COLUMNS, rows: (b) => b.by_channel })
      if (list === 'by_campaign') return sendJsonOrCsv(request, reply, body, { columns: CAMPAIGN_COLUMNS, rows: (b) => b.by_campaign })
      return sendJsonOrCsv(request, reply, body, { columns: CARD_DAY_COLUMNS, rows: (b) => b.by_day })
    },
  )

  app.get(
    '/v1/stats/funnel',
    {
      schema: {
        tags: ['stats'],
        summary: 'Distinct people who viewed, claimed and redeemed, of one card or of all, over local days',
        querystring: Type.Object({ ...RangeQuery, card_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
        response: responses({ 200: jsonOrCsv(FunnelSchema, 'The rows of `steps`') }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = await funnel(ctx, merchantId, merchantTz, request.query.card_id, request.query)
      return sendJsonOrCsv(request, reply, body, { columns: ['name', 'users'], rows: (b) => b.steps })
    },
  )
}

const DAILY_COLUMNS = ['day', 'card_id', 'issued', 'redeemed', 'reversed', 'expired', 'voided', 'discount_amount'] as const
