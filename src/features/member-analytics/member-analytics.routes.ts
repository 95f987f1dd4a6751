import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { FormatQuery, jsonOrCsv, sendJsonOrCsv } from '../../http/csv.ts'
import { IdParam, Nullable, responses } from '../../http/schemas.ts'
import { AGE_BANDS, GENDERS, SEGMENT_NAMES } from '../../domain/rfm.ts'
import type { FeatureApp } from '../feature.ts'
import { changeThresholds, memberMetrics, redeemerProfiles, segmentsOf, thresholdsOf } from './member-analytics.service.ts'

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A local date in the merchant’s time zone, YYYY-MM-DD' })
const Count = Type.Integer({ minimum: 0 })
const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, description }))
const Score = Nullable(Type.Union([Type.Literal('high'), Type.Literal('low')]))

export const SegmentName = Type.Union(
  SEGMENT_NAMES.map((s) => Type.Literal(s)),
  { description: 'An RFM segment: high_value, potential, at_risk, win_back, loyal, promising, needs_attention, hibernating, no_orders' },
)

const ThresholdFields = {
  window_days: Type.Integer({ minimum: 1, maximum: 3660, description: 'Frequency and monetary count orders of the last this many days' }),
  recency_days: Type.Integer({ minimum: 0, maximum: 3660, description: 'Recency is high when the last order is at most this many days ago' }),
  frequency: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Frequency is high from this many orders in the window' }),
  monetary: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Monetary is high from this much spent in the window, integer fen, net of refunds' }),
}
const ThresholdsSchema = Type.Object({ member_card_id: Type.String(), ...ThresholdFields, is_default: Type.Boolean({ description: 'The seed table’s defaults, not changed by the merchant' }) })
const ThresholdsBody = Type.Object(
  Object.fromEntries(Object.entries(ThresholdFields).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof typeof ThresholdFields]: ReturnType<typeof Type.Optional<(typeof ThresholdFields)[K]>> },
  { additionalProperties: false, description: 'The thresholds to change; the others keep their values' },
)

const SegmentsSchema = Type.Object({
  member_card_id: Type.String(),
  thresholds: Type.Object(ThresholdFields),
  thresholds_are_default: Type.Boolean(),
  members: Count,
  segments: Type.Array(
    Type.Object({
      segment: SegmentName,
      name: Type.String({ description: 'The segment’s name in the seed table (重要价值客户 …)' }),
      description: Type.String(),
      recency: Score,
      frequency: Score,
      monetary: Score,
      members: Count,
      share: Rate('members ÷ all members of the card'),
    }),
  ),
})
const SEGMENT_COLUMNS = ['segment', 'name', 'recency', 'frequency', 'monetary', 'members', 'share'] as const

const Spend = Type.Object({ orders: Count, amount: Type.Integer({ description: 'Integer fen, net of refunds' }), average_order: Nullable(Type.Integer({ description: 'Integer fen' })) })
const MetricsSchema = Type.Object({
  member_card_id: Type.String(),
  timezone: Type.String(),
  from: Day,
  to: Day,
  members: Type.Integer({ minimum: 0, description: 'Members at the end of the range' }),
  new_members: Type.Integer({ minimum: 0, description: 'Members who joined in the range' }),
  member_growth_rate: Rate('new_members ÷ members before the range'),
  active_members: Type.Integer({ minimum: 0, description: 'Members with an order in the range' }),
  active_share: Rate('active_members ÷ members'),
  points_earned: Count,
  points_exchanged: Type.Integer({ description: 'Points spent on rewards in the range' }),
  points_exchange_rate: Rate('points_exchanged ÷ points_earned'),
  member_spend: Spend,
  other_spend: Type.Object(Spend.properties, { description: 'Redemptions in the range that no member order names: customers who are not members (or did not say)' }),
  by_day: Type.Array(Type.Object({ date: Day, new_members: Count, members: Count })),
})

const RedeemersSchema = Type.Object({
  card_id: Nullable(Type.String()),
  from: Day,
  to: Day,
  redeemers: Count,
  by_gender: Type.Array(Type.Object({ gender: Type.Union([...GENDERS, 'unknown'].map((g) => Type.Literal(g))), redeemers: Count, share: Rate('of all redeemers') })),
  by_age_band: Type.Array(Type.Object({ age_band: Type.Union(AGE_BANDS.map((b) => Type.Literal(b))), redeemers: Count, share: Rate('of all redeemers') })),
})

const RangeQuery = {
  from: Type.Optional(Type.String({ ...Day, description: 'First local day (default: 29 days before `to`)' })),
  to: Type.Optional(Type.String({ ...Day, description: 'Last local day, included (default: today)' })),
  ...FormatQuery,
}

const CardParams = IdParam('member_card_id')

export async function memberAnalyticsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/member-cards/:member_card_id/segments',
    {
      schema: {
        tags: ['member analytics'],
        summary: 'Members per RFM segment (recency, frequency, monetary against the card’s thresholds), now',
        params: CardParams,
        querystring: Type.Object({ ...FormatQuery }, { additionalProperties: false }),
        response: responses({ 200: jsonOrCsv(SegmentsSchema, 'The rows of `segments`') }),
      },
    },
    async (request, reply) => {
      const { merchantId } = merchantOf(request)
      const body = await segmentsOf(ctx, merchantId, request.params.member_card_id)
      return sendJsonOrCsv(request, reply, body, { columns: SEGMENT_COLUMNS, rows: (b) => b.segments })
    },
  )

  app.get(
    '/v1/member-cards/:member_card_id/segment-thresholds',
    { schema: { tags: ['member analytics'], summary: 'The card’s RFM thresholds (the seed table’s defaults until changed)', params: CardParams, response: responses({ 200: ThresholdsSchema }) } },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { thresholds, is_default } = await thresholdsOf(ctx, merchantId, request.params.member_card_id)
      return { member_card_id: request.params.member_card_id, ...thresholds, is_default }
    },
  )

  app.put(
    '/v1/member-cards/:member_card_id/segment-thresholds',
    {
      schema: { tags: ['member analytics'], summary: 'Change the card’s RFM thresholds', params: CardParams, body: ThresholdsBody, response: responses({ 200: ThresholdsSchema }) },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { thresholds, is_default } = await changeThresholds(ctx, merchantId, request.params.member_card_id, request.body)
      return { member_card_id: request.params.member_card_id, ...thresholds, is_default }
    },
  )

  app.get(
    '/v1/member-cards/:member_card_id/metrics',
    {
      schema: {
        tags: ['member analytics'],
        summary: 'Member growth, active share, points exchange rate and member against other spend over local days',
        params: CardParams,
        querystring: Type.Object(RangeQuery, { additionalProperties: false }),
        response: responses({ 200: jsonOrCsv(MetricsSchema, 'The rows of `by_day`') }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = await memberMetrics(ctx, merchantId, merchantTz, request.params.member_card_id, request.query)
      return sendJsonOrCsv(request, reply, body, { columns: ['date', 'new_members', 'members'], rows: (b) => b.by_day })
    },
  )

  app.get(
    '/v1/stats/redeemers',
    {
      schema: {
        tags: ['stats'],
        summary: 'Redeemers of a card (or of all) by gender and age band, from the profiles members gave with consent',
        querystring: Type.Object(
          {
            ...RangeQuery,
            card_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            list: Type.Optional(Type.Union([Type.Literal('by_gender'), Type.Literal('by_age_band')], { description: 'Which list CSV answers (default by_gender)' })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: jsonOrCsv(RedeemersSchema, 'The rows of `by_gender` (or of `by_age_band` with `list=by_age_band`)') }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = await redeemerProfiles(ctx, merchantId, merchantTz, request.query.card_id, request.query)
      const csv =
        request.query.list === 'by_age_band'
          ? { columns: ['age_band', 'redeemers', 'share'], rows: (b: typeof body) => b.by_age_band }
          : { columns: ['gender', 'redeemers', 'share'], rows: (b: typeof body) => b.by_gender }
      return sendJsonOrCsv(request, reply, body, csv)
    },
  )
}
