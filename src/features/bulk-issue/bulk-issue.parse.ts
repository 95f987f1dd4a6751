import { Readable, pipeline } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { parse as parseCsv, CsvError } from 'csv-parse'

/**
 * Reading a list of user ids as it arrives (CSV, NDJSON or a JSON list), one row at a time, so an upload
 * of any length needs only a line's worth of memory.
 */

export type UploadFormat = 'csv' | 'ndjson' | 'json'

export type RowProblemCode = 'invalid_user_id' | 'malformed_row'

/** One data row of an upload. */
export interface UploadRow {
  /** 1-based among the data rows: a header row and blank lines do not count. */
  row: number
  /** The user id as sent (shown back in the report even when it is unusable); null when the row holds no text. */
  userId: string | null
  /** Why the row holds no usable user id; null when it does. */
  problem: { code: RowProblemCode; message: string } | null
  /** Bytes of the upload up to the end of this row, when known: how far a run has come. */
  offset?: number
}

/** The upload cannot be read on (a broken CSV, a body over the limit): rows before it were read fine. */
export class UploadError extends Error {
  /** `malformed_request` or `payload_too_large`. */
  readonly code: 'malformed_request' | 'payload_too_large'
  constructor(code: 'malformed_request' | 'payload_too_large', message: string) {
    super(message)
    this.code = code
  }
}

/** Same rule as a single issue's `user_id`. */
const MAX_USER_ID_LENGTH = 128
/** No user id is this long: a longer line is a wrong file, not a row. */
export const MAX_LINE_BYTES = 64 * 1024

const MEDIA_TYPES: Record<string, UploadFormat> = {
  'text/csv': 'csv',
  'text/plain': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/json': 'json',
}

/** The format a Content-Type names, or null when it names none we read. */
export function uploadFormatOf(contentType: string | undefined): UploadFormat | null {
  const essence = (contentType ?? '').split(';')[0].trim().toLowerCase()
  return MEDIA_TYPES[essence] ?? null
}

/** The format of a file by its extension: `.ndjson`/`.jsonl`, `.json`, anything else CSV (or one id per line). */
export function uploadFormatOfFile(path: string): UploadFormat {
  const extension = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase()
  if (extension === 'ndjson' || extension === 'jsonl') return 'ndjson'
  if (extension === 'json') return 'json'
  return 'csv'
}

/** Why `value` is not a user id, or null when it is one. */
export function userIdProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string'
  if (value.length === 0) return 'is empty'
  // Counted in characters, as the single-issue schema counts them.
  if (value.length > MAX_USER_ID_LENGTH && [...value].length > MAX_USER_ID_LENGTH) return `is longer than ${MAX_USER_ID_LENGTH} characters`
  return null
}

/** A row from one value of a JSON list or NDJSON line: a string, or an object with `user_id`. */
function rowOfValue(row: number, value: unknown): UploadRow {
  const userId = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { user_id?: unknown }).user_id : value
  const problem = userIdProblem(userId)
  if (problem === null) return { row, userId: userId as string, problem: null }
  const shown = typeof userId === 'string' ? userId.slice(0, MAX_USER_ID_LENGTH) : null
  const message = userId === undefined ? 'has no user_id' : `user_id ${problem}`
  return { row, userId: shown, problem: { code: 'invalid_user_id', message } }
}

/** The rows of a JSON list of user ids (strings or `{user_id}` objects). */
export function* rowsOfList(values: readonly unknown[]): Generator<UploadRow> {
  for (let i = 0; i < values.length; i++) yield rowOfValue(i + 1, values[i])
}

export function uploadTooLarge(limit: number): UploadError {
  return new UploadError('payload_too_large', `The upload is larger than the limit of ${limit / (1024 * 1024)} MiB; split it.`)
}

/** Passes the body through, counting its bytes; past `limit` it stops with `payload_too_large`. */
export async function* countBytes(body: AsyncIterable<Buffer | string>, limit: number): AsyncGenerator<Buffer | string> {
  let total = 0
  for await (const chunk of body) {
    total += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
    if (total > limit) throw uploadTooLarge(limit)
    yield chunk
  }
}

/** Reads the rows of an upload in `format` as the body arrives. */
export function readUpload(format: UploadFormat, body: AsyncIterable<Buffer | string>): AsyncGenerator<UploadRow> {
  if (format === 'ndjson') return readNdjson(body)
  if (format === 'json') return readJsonList(body)
  return readCsv(body)
}

/**
 * CSV: one user id per line, or a header row naming a `user_id` column (other columns are ignored).
 * Without such a header the first column holds the user id. Quotes, a BOM, CRLF and blank lines are fine.
 */
async function* readCsv(body: AsyncIterable<Buffer | string>): AsyncGenerator<UploadRow> {
  const parser = parseCsv({
    bom: true,
    trim: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    // Files joined from several sources mix line ends; any of them ends a record.
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_LINE_BYTES,
    info: true,
  })
  // pipeline() hands a failure of the body on to the parser, whose iteration then throws it.
  const records = pipeline(Readable.from(body), parser, () => {}) as AsyncIterable<{ record: string[]; info: { bytes: number } }>
  let column: number | null = null
  let row = 0
  try {
    for await (const { record, info } of records) {
      if (column === null) {
        const header = record.findIndex((field) => field.toLowerCase() === 'user_id')
        column = header === -1 ? 0 : header
        if (header !== -1) continue
      }
      row++
      yield { ...csvRow(row, record[column]), offset: info.bytes }
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new UploadError('malformed_request', `The CSV cannot be read at line ${(error as CsvError & { lines?: number }).lines ?? '?'}: ${error.message}.`)
    }
    throw error
  } finally {
    parser.destroy()
  }
}

function csvRow(row: number, field: string | undefined): UploadRow {
  if (field === undefined || field === '') return { row, userId: null, problem: { code: 'invalid_user_id', message: 'user_id is empty' } }
  return rowOfValue(row, field)
}

/** NDJSON: each non-blank line is a JSON string or an object with `user_id`. */
async function* readNdjson(body: AsyncIterable<Buffer | string>): AsyncGenerator<UploadRow> {
  let row = 0
  for await (const { text, offset } of readLines(body)) {
    if (text.trim() === '') continue
    row++
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      yield { row, userId: null, problem: { code: 'malformed_row', message: 'is not valid JSON' }, offset }
      continue
    }
    yield { ...rowOfValue(row, value), offset }
  }
}

/**
 * The lines of a UTF-8 body without their line ends (LF or CRLF) and without a leading BOM, each with the
 * number of bytes of the body up to its end.
 */
export async function* readLines(body: AsyncIterable<Buffer | string>): AsyncGenerator<{ text: string; offset: number }> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let atStart = true
  let lineNumber = 0
  let offset = 0
  const line = (raw: string, ending: number) => {
    lineNumber++
    offset += Buffer.byteLength(raw) + ending
    return { text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, offset }
  }
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
    if (atStart && pending.length > 0) {
      if (pending.charCodeAt(0) === 0xfeff) {
        pending = pending.slice(1)
        offset += 3
      }
      atStart = false
    }
    let start = 0
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      yield line(pending.slice(start, end), 1)
      start = end + 1
    }
    pending = pending.slice(start)
    if (pending.length > MAX_LINE_BYTES) throw new UploadError('malformed_request', `Line ${lineNumber + 1} is longer than ${MAX_LINE_BYTES} bytes; is this a list of user ids?`)
  }
  pending += decoder.end()
  if (pending.length > 0) yield line(pending, 0)
}

/** A JSON document: `{"user_ids": [...]}` or a bare list. Read whole, so only for lists that fit in memory. */
async function* readJsonList(body: AsyncIterable<Buffer | string>): AsyncGenerator<UploadRow> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  const text = Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '')
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw new UploadError('malformed_request', `The JSON cannot be read: ${(error as Error).message}`)
  }
  yield* rowsOfList(userIdList(document))
}

/** The list of a `{"user_ids": [...]}` document (or a bare list). */
function userIdList(document: unknown): unknown[] {
  if (Array.isArray(document)) return document
  const list = (document as { user_ids?: unknown } | null)?.user_ids
  if (!Array.isArray(list)) throw new UploadError('malformed_request', 'The JSON must be {"user_ids": [...]} or a list of user ids.')
  return list
}
