import { Type, type TSchema } from 'typebox'
import { ERROR_CODES, statusOf } from '../errors.ts'

/** Shared pieces of route schemas. */
export const Money = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer fen (分)' })
export const PositiveMoney = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer fen (分), > 0' })
export const IdParam = (name: string) => Type.Object({ [name]: Type.String({ minLength: 1, maxLength: 100 }) })
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 with offset' })
export const UserId = Type.String({ minLength: 1, maxLength: 128, description: 'The merchant’s own id for its customer (like an openid)' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

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
    request_id: Type.Optional(Type.String()),
    challenge_id: Type.Optional(Type.String({ description: 'confirmation_required: send the same request again with `confirm` set to it' })),
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

/**
 * A route's `response` schema: its success bodies plus the problem answers, so `/openapi.json` tells a
 * client every shape it can get back. A body-less success is `{ 204: NoContent }`.
 */
export function responses<Ok extends Record<number, TSchema>>(ok: Ok): Ok & Record<number, TSchema> {
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
