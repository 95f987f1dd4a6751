import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { FormatQuery, jsonOrCsv, sendJsonOrCsv } from '../../http/csv.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, Nullable, Timestamp, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import { claimUrl } from '../claim-links/claim-links.routes.ts'
import { createExperiment, experimentResults, experimentToken, listExperimentsWithVariants, stopExperiment, type ExperimentRow } from './experiments.service.ts'

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    variants: Type.Array(Type.Object({ card_id: Type.String({ minLength: 1, maxLength: 100 }), weight: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false }), {
      minItems: 2,
      maxItems: 10,
      description: 'Two to ten different cards; visitors are spread over them in proportion to their weights',
    }),
  },
  { additionalProperties: false },
)

const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, description }))
const Status = Type.Union([Type.Literal('running'), Type.Literal('stopped')])

const CreatedSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  token: Type.String({ description: 'Works in the claim flow: GET/POST /v1/claim/{token}' }),
  url: Type.String({ description: 'The wallet’s claim page for the token' }),
  variants: Type.Array(Type.Object({ card_id: Type.String(), weight: Type.Integer() })),
  created_at: Timestamp,
})

const VariantSchema = Type.Object({
  card_id: Type.String(),
  weight: Type.Integer(),
  views: Type.Integer({ minimum: 0, description: 'Claim-page views that showed this variant while the experiment ran' }),
  claims: Type.Integer({ minimum: 0, description: 'Coupons claimed through the experiment, not voided' }),
  redemptions: Type.Integer({ minimum: 0, description: 'Of those, redeemed and not reversed' }),
  claim_rate: Rate('claims ÷ views'),
  redemption_rate: Rate('redemptions ÷ claims'),
})
const VARIANT_COLUMNS = ['card_id', 'weight', 'views', 'claims', 'redemptions', 'claim_rate', 'redemption_rate'] as const

const ResultsSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  token: Type.String(),
  url: Type.String(),
  variants: Type.Array(VariantSchema),
  p_value: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'Two-sided two-proportion z-test of redemptions per claim, best variant against the runner-up' })),
  leader: Nullable(Type.String({ description: 'The best variant’s card_id once p < 0.05, else null' })),
  winner_card_id: Nullable(Type.String({ description: 'The card kept when the experiment stopped: every visitor gets it since' })),
  created_at: Timestamp,
  stopped_at: Nullable(Timestamp),
})

const SummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  token: Type.String(),
  url: Type.String(),
  variants: Type.Array(Type.Object({ card_id: Type.String(), weight: Type.Integer() })),
  winner_card_id: Nullable(Type.String({ description: 'The card kept when the experiment stopped' })),
  created_at: Timestamp,
  stopped_at: Nullable(Timestamp),
})

function head(ctx: AppContext, experiment: ExperimentRow, tz: string) {
  const token = experimentToken(ctx, experiment)
  return { id: experiment.id, name: experiment.name, status: experiment.status, token, url: claimUrl(ctx, token), created_at: formatInstant(experiment.created_at, tz) }
}

export async function experimentsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/experiments',
    { schema: { tags: ['experiments'], summary: 'Start an A/B test of two or more cards behind one claim token', body: CreateBody, response: responses({ 201: CreatedSchema }) } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { experiment, variants } = await createExperiment(ctx, merchantId, request.body, idempotencyRefOf(request))
      return reply.code(201).send({ ...head(ctx, experiment, merchantTz), variants: variants.map((v) => ({ card_id: v.card_id, weight: v.weight })) })
    },
  )

  app.get(
    '/v1/experiments',
    {
      schema: {
        tags: ['experiments'],
        summary: 'List experiments with their variants, oldest first (results: GET /v1/experiments/{id})',
        querystring: ListQuery,
        response: responses({ 200: listOf(SummarySchema) }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const limit = request.query.limit ?? 50
      const rows = await listExperimentsWithVariants(ctx, merchantId, decodeCursor(request.query.cursor), limit + 1)
      return page(rows, limit, (row) => ({
        ...head(ctx, row.experiment, merchantTz),
        variants: row.variants.map((v) => ({ card_id: v.card_id, weight: v.weight })),
        winner_card_id: row.experiment.winner_card_id,
        stopped_at: formatOptionalInstant(row.experiment.stopped_at, merchantTz),
      }))
    },
  )

  const present = (r: Awaited<ReturnType<typeof experimentResults>>, tz: string) => ({
    ...head(ctx, r.experiment, tz),
    variants: r.variants,
    p_value: r.p_value,
    leader: r.leader,
    winner_card_id: r.experiment.winner_card_id,
    stopped_at: formatOptionalInstant(r.experiment.stopped_at, tz),
  })

  app.get(
    '/v1/experiments/:experiment_id',
    {
      schema: {
        tags: ['experiments'],
        summary: 'Per-variant funnel of an experiment, the p-value and the leader at 95 %',
        params: IdParam('experiment_id'),
        querystring: Type.Object({ ...FormatQuery }, { additionalProperties: false }),
        response: responses({ 200: jsonOrCsv(ResultsSchema, 'The rows of `variants`') }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const body = present(await experimentResults(ctx, merchantId, request.params.experiment_id), merchantTz)
      return sendJsonOrCsv(request, reply, body, { columns: VARIANT_COLUMNS, rows: (b) => b.variants })
    },
  )

  app.post(
    '/v1/experiments/:experiment_id/stop',
    {
      schema: {
        tags: ['experiments'],
        summary: 'Stop the experiment and keep one card (the given one, else the leader, else the best so far) for every visitor from now on',
        params: IdParam('experiment_id'),
        body: Type.Optional(Type.Object({ keep_card_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false })),
        response: responses({ 200: ResultsSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return present(await stopExperiment(ctx, merchantId, request.params.experiment_id, request.body?.keep_card_id), merchantTz)
    },
  )
}
