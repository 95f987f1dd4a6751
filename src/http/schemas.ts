import { Type, type TSchema } from 'typebox'
import { AppError } from './errors.ts'

/** Shared pieces of route schemas. */
export const Money = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer fen (分)' })
export const PositiveMoney = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer fen (分), > 0' })
export const IdParam = (name: string) => Type.Object({ [name]: Type.String({ minLength: 1, maxLength: 100 }) })
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 with offset' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
})

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() }))),
  },
  { $id: undefined },
)

export function listOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) })
}

/**
 * Cursors are the id of the last row returned: ids are time-sortable, so "after this id" pages through
 * a list in creation order without offsets.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null
  const id = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[a-z]+_[0-9a-z]{26}$/.test(id)) {
    throw new AppError('validation_failed', 'The cursor is not one this API returned.', [
      { field: 'cursor', code: 'invalid', message: 'is not a cursor returned by this API' },
    ])
  }
  return id
}

/** Turns `limit + 1` fetched rows into a page and its next cursor. */
export function page<Row extends { id: string }, Out>(rows: Row[], limit: number, present: (row: Row) => Out) {
  const more = rows.length > limit
  const slice = more ? rows.slice(0, limit) : rows
  return { data: slice.map(present), next_cursor: more ? encodeCursor(slice[slice.length - 1].id) : null }
}
