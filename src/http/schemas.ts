import { Type, type TSchema } from 'typebox'
import { ERROR_CODES, statusOf } from '../errors.ts'

/** Shared pieces of route schemas. */
export const Money = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer fen (分)' })
export const ORDER_AMOUNT_LIMIT = 'At most the merchant’s policy max_order_amount (¥100,000 unless changed): above it 422 order_amount_too_large'
/** An order's amount: within the schema's bound, and then within the merchant's limit (domain/limits.ts). */
export const OrderAmount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: `Integer fen (分). ${ORDER_AMOUNT_LIMIT}` })
export const PositiveMoney = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer fen (分), > 0' })
export const IdParam = (name: string) => Type.Object({ [name]: Type.String({ minLength: 1, maxLength: 100 }) })
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 with offset' })
export const UserId = Type.String({ minLength: 1, maxLength: 128, description: 'The merchant’s own id for its customer (like an openid)' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
export const ScopeSchema = Type.Enum(['full', 'redeem', 'read'], { description: 'full | redeem (till work) | read' })

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
})

/** RFC 9457 problem+json, the body of every error; `code` is one of the closed list in src/errors.ts. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Union(ERROR_CODES.map((code) => Type.Literal(code))),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() }))),
    limit: Type.Optional(Type.Integer({ description: 'balance_limit_exceeded: the most the balance may hold under the merchant’s policy' })),
    balance: Type.Optional(Type.Integer({ description: 'balance_limit_exceeded: the balance when the posting was refused' })),
    request_id: Type.Optional(Type.String()),
    // What a refusal is about, for apps to word in their own language (src/domain/types.ts ProblemParams).
    order_amount: Type.Optional(Type.Integer({ description: 'below_threshold: the order amount, fen' })),
    threshold: Type.Optional(Type.Integer({ description: 'below_threshold: the least order amount the coupon needs, fen' })),
    store_id: Type.Optional(Nullable(Type.String({ description: 'already_redeemed: the store it was redeemed in; store_not_allowed: the store it cannot be used in (null: no store was given)' }))),
    redeemed_at: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'already_redeemed: when, in the store’s zone' }))),
    valid_from: Type.Optional(Type.String({ format: 'date-time', description: 'not_yet_valid: the first moment it can be used' })),
    valid_until: Type.Optional(Type.String({ format: 'date-time', description: 'expired: the last moment it could be used' })),
    usable_hours: Type.Optional(
      Type.Array(
        Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 })), start: Type.String(), end: Type.String() }),
        { description: 'outside_usable_hours: when in the week it can be used, in the store’s zone (days 1 = Monday … 7 = Sunday)' },
      ),
    ),
    challenge_id: Type.Optional(Type.String({ description: 'confirmation_required: send the same request again with `confirm` set to it' })),
    rule: Type.Optional(Type.String({ description: 'confirmation_required: the risk rule that asked for it (redemptions_per_clerk, discount_per_store_day, …), for the till to say why' })),
  },
  { $id: undefined, description: 'A problem (RFC 9457); switch on `code`' },
)

/** The error statuses any route can answer, each with the codes that carry it. */
const PROBLEM_RESPONSES = (() => {
  const statuses = new Map<number, string[]>()
  for (const code of ERROR_CODES) statuses.set(statusOf(code), [...(statuses.get(statusOf(code)) ?? []), code])
  // Rate limiting (429) and a failure of ours (500) can answer any request.
  for (const status of [429, 500]) statuses.set(status, statuses.get(status) ?? [])
  return Object.fromEntries([...statuses].sort(([a], [b]) => a - b).map(([status, codes]) => [status, { ...ProblemSchema, description: codes.length > 0 ? `Problem: ${codes.join(', ')}` : 'Problem' }]))
})() as Record<number, typeof ProblemSchema>

/** A success body that is not JSON, by its media type: `{ 200: textBody('text/plain', 'Prometheus metrics') }`. */
interface MediaBody {
  description: string
  content: Record<string, { schema: TSchema }>
}

export function textBody(mediaType: string, description: string): MediaBody {
  return { description, content: { [mediaType]: { schema: Type.String() } } }
}

/**
 * A route's `response` schema: its success bodies plus the problem answers, so `/openapi.json` tells a
 * client every shape it can get back. A body-less success is `{ 204: NoContent }`.
 */
export function responses<Ok extends Record<number, TSchema | MediaBody>>(ok: Ok): Ok & Record<number, TSchema | MediaBody> {
  return { ...PROBLEM_RESPONSES, ...ok }
}

export const NoContent = Type.Null({ description: 'No content' })

export function listOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) })
}

/** The wallet's device id (`Kabao-Device`), which the risk rules count users per device by. */
export const DeviceHeaders = Type.Object({
  'kabao-device': Type.Optional(Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The wallet’s device id (random, kept by the wallet)' })),
})
