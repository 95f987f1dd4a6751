import { AppError } from '../../errors.ts'

/**
 * Ledgers list a member's entries newest first by their sequence number (the order the balance moved in,
 * whichever process wrote them); a cursor is the last sequence number returned.
 */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq.${seq}`, 'utf8').toString('base64url')
}

export function decodeSeqCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null
  const match = /^seq\.([0-9]{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) {
    throw new AppError('validation_failed', 'The cursor is not one this API returned.', [
      { field: 'cursor', code: 'invalid', message: 'is not a cursor returned by this API' },
    ])
  }
  return Number(match[1])
}

/** A page of entries fetched newest first with `limit + 1` rows. */
export function seqPage<Row extends { seq: number }, Out>(rows: Row[], limit: number, present: (row: Row) => Out) {
  const more = rows.length > limit
  const slice = more ? rows.slice(0, limit) : rows
  return { data: slice.map(present), next_cursor: more ? encodeSeqCursor(slice[slice.length - 1].seq) : null }
}
