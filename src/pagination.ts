import { AppError } from './errors.ts'

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
