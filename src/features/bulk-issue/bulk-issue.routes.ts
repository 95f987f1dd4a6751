import { Readable } from 'node:stream'
import { Type } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { IdParam, Nullable, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { idempotencyKeyOf } from '../../http/idempotency.ts'
import { countBytes, readUpload, rowsOfList, uploadFormatOf, UploadError, uploadTooLarge, type UploadRow } from './bulk-issue.parse.ts'
import { BulkIssueInterrupted, bulkIssue, MAX_LISTED_FAILURES } from './bulk-issue.service.ts'
import { findMemberCard } from '../member-cards/member-cards.repository.ts'
import { segmentUserIds } from '../member-analytics/member-analytics.service.ts'
import { SegmentName } from '../member-analytics/member-analytics.routes.ts'
import type { RfmSegment } from '../../domain/rfm.ts'

/** A CSV or NDJSON upload may be this large (about three million ids); it is read as it arrives. */
export const UPLOAD_LIMIT_BYTES = 64 * 1024 * 1024

/** Read as a stream by this route; `application/json` goes through the app's JSON parser (1 MiB). */
const STREAMED_MEDIA_TYPES = ['text/csv', 'text/plain', 'application/x-ndjson']

const ReportSchema = Type.Object({
  card_id: Type.String(),
  total_rows: Type.Integer({ description: 'Data rows read (a header row and blank lines do not count)' }),
  issued: Type.Integer({ description: 'Rows that have their coupon, including those an earlier send of the same upload issued' }),
  already_issued: Type.Integer({ description: 'Of `issued`, the rows an earlier send with the same Idempotency-Key had issued' }),
  failed: Type.Integer(),
  stock_remaining: Type.Integer(),
  failure_counts: Type.Record(Type.String(), Type.Integer(), { description: 'Failed rows by code' }),
  failures: Type.Array(
    Type.Object({
      row: Type.Integer({ description: '1-based data row number' }),
      user_id: Nullable(Type.String()),
      code: Type.String(),
      message: Type.String(),
    }),
    { description: `Failed rows in file order; at most ${MAX_LISTED_FAILURES}` },
  ),
  failures_truncated: Type.Boolean({ description: `More than ${MAX_LISTED_FAILURES} rows failed; only the first are listed` }),
})

const DESCRIPTION = `Issues one coupon of the card to each user id of an upload, under the same rules as a single issue
(card active, \`get_limit\` per user, stock), committing a few hundred rows at a time. A row that fails does not
stop the others; the report lists it with its 1-based row number and a code: \`get_limit_reached\`,
\`out_of_stock\`, \`card_not_active\` (the card was paused or ended during the run), \`invalid_user_id\`
(empty, not a string or longer than 128 characters), \`malformed_row\` (an NDJSON line that is not JSON),
\`idempotency_key_reused\` (see below).

**Body**, by Content-Type:
- \`text/csv\` (or \`text/plain\`): one user id per line, or a header row with a \`user_id\` column (other
  columns are ignored; without such a header the first column is the user id). Quoted fields, a BOM, CRLF
  line ends and blank lines are fine.
- \`application/x-ndjson\`: one JSON string or \`{"user_id": "…"}\` per line.
- \`application/json\`: \`{"user_ids": ["…", …]}\`, within the usual 1 MiB body limit; or
  \`{"segment": {"member_card_id": "…", "segment": "at_risk"}}\`: the members of a member card's RFM segment
  now (see \`GET /v1/member-cards/{id}/segments\`), in member order.

CSV and NDJSON are read as they arrive, up to ${UPLOAD_LIMIT_BYTES / (1024 * 1024)} MiB, so a list of 100,000 users
and more fits in one call. A CSV that cannot be parsed further answers 400 \`malformed_request\` saying how many
rows before the fault were processed.

**Retries**: this route does not replay stored responses. Instead, with an \`Idempotency-Key\`, row N's
coupon is stored with the reference \`bulk:<key>:<N>\` (unique per merchant), so sending the same upload again
with the same key (after a dropped connection, say) issues only the rows still missing and reports the others
as issued (\`already_issued\`). A row that the key already issued to a different user fails with
\`idempotency_key_reused\`: use a new key for a different list.`

function unsupportedMediaType(): AppError {
  return new AppError('unsupported_media_type', `Send the user ids as ${STREAMED_MEDIA_TYPES.join(', ')} or application/json.`)
}


async function* listRows(values: readonly unknown[]): AsyncGenerator<UploadRow> {
  yield* rowsOfList(values)
}

/** The JSON body's list (its schema, checked before the handler runs, makes it one). */
function userIdsOf(body: unknown): unknown[] {
  return typeof body === 'object' && body !== null && 'user_ids' in body && Array.isArray(body.user_ids) ? body.user_ids : []
}

/** The segment a JSON body targets instead of a list, if any. */
function segmentOf(body: unknown): { member_card_id: string; segment: RfmSegment } | null {
  return typeof body === 'object' && body !== null && 'segment' in body ? (body.segment as { member_card_id: string; segment: RfmSegment }) : null
}

/** The members of a member card's segment as rows, numbered in member order. */
async function* segmentRows(ctx: AppContext, merchantId: string, target: { member_card_id: string; segment: RfmSegment }): AsyncGenerator<UploadRow> {
  let row = 0
  for await (const userId of segmentUserIds(ctx, merchantId, target.member_card_id, target.segment)) yield { row: ++row, userId, problem: null }
}

/** The rows of the request: a streamed CSV or NDJSON body, or the JSON body's list. */
function uploadRowsOf(request: FastifyRequest): AsyncIterable<UploadRow> {
  const format = uploadFormatOf(request.headers['content-type'])
  const body = request.body
  if (body instanceof Readable && format !== null) {
    if (Number(request.headers['content-length']) > UPLOAD_LIMIT_BYTES) throw uploadTooLarge(UPLOAD_LIMIT_BYTES)
    return readUpload(format, countBytes(body, UPLOAD_LIMIT_BYTES))
  }
  if (format === 'json') return listRows(userIdsOf(body))
  // A CSV or NDJSON request without a body is an empty list.
  if (body === undefined && format !== null) return listRows([])
  // No body at all: name what is missing, as every route does.
  if (body === undefined && request.headers['content-type'] === undefined) throw validationFailed([{ field: 'user_ids', code: 'required', message: 'is required' }])
  throw unsupportedMediaType()
}

export async function bulkIssueRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  // A plugin of its own, so that CSV and NDJSON reach this route as a raw stream and no other route changes.
  await app.register(async (scope: FeatureApp) => {
    for (const type of STREAMED_MEDIA_TYPES) {
      if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type)
      scope.addContentTypeParser(type, (_request, payload, done) => done(null, payload))
    }
    if (scope.hasContentTypeParser('*')) scope.removeContentTypeParser('*')
    scope.addContentTypeParser('*', (_request, _payload, done) => done(unsupportedMediaType(), undefined))

    scope.post(
      '/v1/cards/:card_id/bulk-issue',
      {
        // Retries are made safe by source references instead (see the description).
        config: { idempotency: false },
        schema: {
          tags: ['coupons'],
          summary: 'Issue a coupon of this card to each user of a list (CSV, NDJSON or JSON)',
          description: DESCRIPTION,
          params: IdParam('card_id'),
          body: {
            content: {
              'application/json': {
                schema: Type.Object(
                  {
                    user_ids: Type.Optional(Type.Array(Type.Unknown({ description: 'A user id (each is checked as a row of its own)' }))),
                    segment: Type.Optional(
                      Type.Object({ member_card_id: Type.String({ minLength: 1, maxLength: 100 }), segment: SegmentName }, { additionalProperties: false, description: 'Instead of user_ids: the members of this RFM segment now' }),
                    ),
                  },
                  { additionalProperties: false, description: 'Either user_ids or segment' },
                ),
              },
              // Streams: described here, read by the route (a schema with a type would be applied to the stream).
              'text/csv': { schema: { description: 'One user id per line, or a CSV whose header row has a `user_id` column', examples: ['user_id,name\nu1001,Li Lei\nu1002,Han Meimei\n'] } },
              'application/x-ndjson': { schema: { description: 'One JSON string or {"user_id": …} object per line', examples: ['"u1001"\n{"user_id":"u1002"}\n'] } },
            },
          },
          response: responses({ 200: ReportSchema }),
        },
      },
      async (request, reply) => {
        const { merchantId, merchantTz } = merchantOf(request)
        const { card_id } = request.params
        const runKey = idempotencyKeyOf(request)
        const segment = request.body instanceof Readable ? null : segmentOf(request.body)
        if (segment !== null && userIdsOf(request.body).length > 0) {
          throw validationFailed([{ field: 'segment', code: 'conflict', message: 'send either user_ids or segment, not both' }])
        }
        const jsonBody = typeof request.body === 'object' && request.body !== null && !(request.body instanceof Readable)
        if (jsonBody && segment === null && !('user_ids' in (request.body as object))) throw validationFailed([{ field: 'user_ids', code: 'required', message: 'is required (or segment)' }])
        if (segment !== null) await findMemberCard(ctx.database.db, merchantId, segment.member_card_id)
        const rows = segment === null ? uploadRowsOf(request) : segmentRows(ctx, merchantId, segment)
        try {
          const report = await bulkIssue(ctx, { merchantId, merchantTz, cardId: card_id, runKey }, rows)
          return reply.code(200).send(report)
        } catch (error) {
          const cause = error instanceof BulkIssueInterrupted ? error.cause : error
          if (cause instanceof UploadError) {
            const done = error instanceof BulkIssueInterrupted ? error.report : null
            const progress = done
              ? ` The ${done.total_rows} rows before it were processed: ${done.issued} issued, ${done.failed} failed.${runKey ? ' Send the corrected upload again with the same Idempotency-Key to issue the rest.' : ''}`
              : ''
            throw new AppError(cause.code, cause.message + progress)
          }
          throw cause
        }
      },
    )
  })
}
