import { Type, type TSchema } from 'typebox'
import type { FastifyReply } from 'fastify'

/** What deciding between JSON and CSV reads of a request. */
interface AskedFormat {
  query: unknown
  headers: { accept?: string }
}

/** One field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break; quotes doubled. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Rows as RFC 4180 CSV: a header row of `columns`, CRLF after every row; null is an empty field. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [columns, ...rows.map((row) => columns.map((c) => row[c]))].map((fields) => fields.map(csvField).join(',') + '\r\n').join('')
}

/** `?format=` of the routes whose lists also answer CSV. */
export const FormatQuery = {
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv answers the list as text/csv (as `Accept: text/csv` does)' })),
}

/** A 200 that is `schema` as JSON, or the list it holds as CSV. */
export function jsonOrCsv(schema: TSchema, csvDescription: string) {
  return {
    description: (schema as { description?: string }).description ?? 'OK',
    content: {
      'application/json': { schema },
      'text/csv': { schema: Type.String({ description: csvDescription }) },
    },
  }
}

/** Whether the caller asked for CSV: `?format=csv`, or an Accept naming text/csv before any JSON. */
export function wantsCsv(request: AskedFormat): boolean {
  const { format } = request.query as { format?: 'json' | 'csv' }
  if (format !== undefined) return format === 'csv'
  const accept = request.headers.accept ?? ''
  const csv = accept.indexOf('text/csv')
  const json = accept.indexOf('application/json')
  return csv !== -1 && (json === -1 || csv < json)
}

/** Answers `body` as JSON, or when CSV was asked for, the rows `listOf` picks from it with `columns`. */
export function sendJsonOrCsv<T>(
  request: AskedFormat,
  reply: FastifyReply,
  body: T,
  csv: { columns: readonly string[]; rows: (body: T) => readonly Record<string, unknown>[] },
) {
  if (!wantsCsv(request)) return reply.type('application/json; charset=utf-8').send(body)
  return reply.type('text/csv; charset=utf-8').send(toCsv(csv.columns, csv.rows(body)))
}
