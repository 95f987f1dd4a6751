import { Type } from 'typebox'
import { pick } from '../../pick.ts'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { IdParam, ListQuery, NoContent, Nullable, Timestamp, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, formatOptionalInstant, parseInstant } from '../../domain/time.ts'
import { RISK_ACTIVITIES, RISK_RULE_NAMES, type RiskRuleName } from '../../domain/risk.ts'
import { validationFailed } from '../../errors.ts'
import { listRiskEvents } from './risk.repository.ts'
import { activeBlocks, addBlock, changeRiskRules, getRiskRules, removeBlock, type RiskBlockRow, type RiskEventRow } from './risk.service.ts'
import type { FeatureApp } from '../feature.ts'

const tags = ['risk']
const RuleName = Type.Unsafe<RiskRuleName>(Type.Union(RISK_RULE_NAMES.map((name) => Type.Literal(name))))
const Action = Type.Union([Type.Literal('challenge'), Type.Literal('block')])
const Decision = Action
const Limit = Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'What the rule lets through in its window (users, requests, codes, redemptions; metres for redemption_distance, fen for discount_per_store_day)' })
const WindowSeconds = Type.Integer({ minimum: 0, maximum: 31 * 86_400 })

const RuleSchema = Type.Object({ name: RuleName, enabled: Type.Boolean(), limit: Limit, window_seconds: WindowSeconds, action: Action })
const RulesSchema = Type.Object({ rules: Type.Array(RuleSchema) })
const RulesChange = Type.Object(
  {
    rules: Type.Array(
      Type.Object(
        { name: RuleName, enabled: Type.Optional(Type.Boolean()), limit: Type.Optional(Limit), window_seconds: Type.Optional(WindowSeconds), action: Type.Optional(Action) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: RISK_RULE_NAMES.length },
    ),
  },
  { additionalProperties: false },
)

const BlockType = Type.Union([Type.Literal('user'), Type.Literal('device'), Type.Literal('address'), Type.Literal('phone')])
const SubjectType = Type.Union([...BlockType.anyOf, Type.Literal('key'), Type.Literal('clerk'), Type.Literal('store')])
const BlockSchema = Type.Object({
  id: Type.String(),
  type: SubjectType,
  value: Type.String(),
  until: Nullable(Timestamp),
  rule: Nullable(RuleName),
  created_at: Timestamp,
})
const NewBlock = Type.Object({ type: BlockType, value: Type.String({ minLength: 1, maxLength: 200 }), until: Type.Optional(Nullable(Timestamp)) }, { additionalProperties: false })

const RiskEventSchema = Type.Object({
  id: Type.String({ description: 'Also the `challenge_id` of a challenge' }),
  decision: Decision,
  rule: RuleName,
  activity: Type.Union(RISK_ACTIVITIES.map((name) => Type.Literal(name))),
  subject: Type.Object({ type: SubjectType, value: Type.String() }),
  confirmed_at: Nullable(Timestamp),
  confirmed_by: Nullable(Type.String()),
  created_at: Timestamp,
})
const EventsQuery = Type.Object({
  ...ListQuery.properties,
  decision: Type.Optional(Decision),
  rule: Type.Optional(RuleName),
  since: Type.Optional(Timestamp),
  subject_type: Type.Optional(SubjectType),
  subject_value: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'With subject_type: one subject’s history' })),
})

function presentBlock(row: RiskBlockRow, tz: string) {
  return { id: row.id, type: row.type, value: row.value, until: formatOptionalInstant(row.until, tz), rule: row.rule, created_at: formatInstant(row.created_at, tz) }
}

function presentRiskEvent(row: RiskEventRow, tz: string) {
  return {
    ...pick(row, ['id', 'decision', 'rule', 'activity']),
    subject: { type: row.subject_type, value: row.subject_value },
    confirmed_at: formatOptionalInstant(row.confirmed_at, tz),
    confirmed_by: row.confirmed_by,
    created_at: formatInstant(row.created_at, tz),
  }
}

function instantOf(field: string, value: string): number {
  const at = parseInstant(value)
  if (at === null) throw validationFailed([{ field, code: 'invalid', message: 'is not an ISO 8601 timestamp with an offset' }])
  return at
}

export async function riskRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.get('/v1/risk/rules', { schema: { tags, summary: 'The merchant’s risk rules, defaults included', response: responses({ 200: RulesSchema }) } }, async (request) => ({
    rules: await getRiskRules(ctx, merchantOf(request).merchantId),
  }))

  app.put(
    '/v1/risk/rules',
    { config: { ownerOnly: true }, schema: { tags, summary: 'Change the named rules; the others stay as they are', body: RulesChange, response: responses({ 200: RulesSchema }) } },
    async (request) => ({ rules: await changeRiskRules(ctx, merchantOf(request).merchantId, request.body.rules) }),
  )

  app.get(
    '/v1/risk/events',
    { schema: { tags, summary: 'Every challenge and block the rules decided, newest first', querystring: EventsQuery, response: responses({ 200: listOf(RiskEventSchema) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { query } = request
      const limit = query.limit ?? 50
      if ((query.subject_type === undefined) !== (query.subject_value === undefined)) {
        throw validationFailed([{ field: query.subject_type === undefined ? 'subject_type' : 'subject_value', code: 'required', message: 'subject_type and subject_value go together' }])
      }
      const subject = query.subject_type && query.subject_value ? { type: query.subject_type, value: query.subject_value } : null
      const filter = { decision: query.decision ?? null, rule: query.rule ?? null, since: query.since === undefined ? null : instantOf('since', query.since), subject }
      const rows = await listRiskEvents(ctx.database.db, merchantId, filter, decodeCursor(query.cursor), limit + 1)
      return page(rows, limit, (row) => presentRiskEvent(row, merchantTz))
    },
  )

  app.get('/v1/risk/blocks', { schema: { tags, summary: 'The blocks in force', response: responses({ 200: Type.Object({ data: Type.Array(BlockSchema) }) }) } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    return { data: (await activeBlocks(ctx, merchantId)).map((row) => presentBlock(row, merchantTz)) }
  })

  app.post(
    '/v1/risk/blocks',
    { config: { ownerOnly: true }, schema: { tags, summary: 'Refuse a user, device, address or phone (until a time, or until removed)', body: NewBlock, response: responses({ 201: BlockSchema }) } },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const { type, value, until } = request.body
      const row = await addBlock(ctx, merchantId, { type, value, until: until == null ? null : instantOf('until', until) })
      return reply.code(201).send(presentBlock(row, merchantTz))
    },
  )

  app.delete(
    '/v1/risk/blocks/:block_id',
    { config: { ownerOnly: true }, schema: { tags, summary: 'Remove a block', params: IdParam('block_id'), response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      await removeBlock(ctx, merchantOf(request).merchantId, request.params.block_id)
      return reply.code(204).send(null)
    },
  )
}
