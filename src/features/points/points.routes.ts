import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery } from '../../http/schemas.ts'
import { formatInstant } from '../../domain/time.ts'
import { findMember } from '../members/members.repository.ts'
import { decodeSeqCursor, seqPage } from '../members/ledger-cursor.ts'
import { adjustPoints } from './points.service.ts'

const MemberParams = IdParam('member_id')

/** A member's points entries, newest first, each with the expiry of the points it earned. */
export async function listPointsEntries(db: Db, merchantId: string, memberId: string, query: { limit?: number; cursor?: string }, tz: string) {
  const limit = query.limit ?? 50
  const before = decodeSeqCursor(query.cursor)
  let q = db
    .selectFrom('points_entries')
    .leftJoin('points_lots', (join) => join.onRef('points_lots.merchant_id', '=', 'points_entries.merchant_id').onRef('points_lots.id', '=', 'points_entries.id'))
    .selectAll('points_entries')
    .select(['points_lots.expires_at', 'points_lots.remaining'])
    .where('points_entries.merchant_id', '=', merchantId)
    .where('points_entries.member_id', '=', memberId)
  if (before !== null) q = q.where('points_entries.seq', '<', before)
  const rows = await q.orderBy('points_entries.seq', 'desc').limit(limit + 1).execute()
  return seqPage(rows, limit, (row) => ({
    id: row.id,
    type: row.type,
    delta: row.delta,
    reason: row.reason,
    balance_after: row.balance_after,
    source_ref: row.source_ref,
    /** For earned points: when they expire (null: never) and how many of them are left. */
    expires_at: row.expires_at === null ? null : formatInstant(row.expires_at, tz),
    remaining: row.remaining,
    created_at: formatInstant(row.created_at, tz),
  }))
}

export async function pointsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/members/:member_id/points',
    {
      schema: {
        tags: ['points'],
        summary: 'Adjust points with a reason: + adds, − burns the oldest points (409 insufficient_points beyond the balance)',
        params: MemberParams,
        body: Type.Object(
          {
            delta: Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'Non-zero' }),
            reason: Type.String({ minLength: 1, maxLength: 200 }),
            source_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Your reference of the event; it posts once (a repeat returns the first entry with 200)' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const scope = merchantOf(request)
      const body = request.body as { delta: number; reason: string; source_ref?: string }
      const { entry, replayed } = await adjustPoints(ctx, scope, (request.params as { member_id: string }).member_id, {
        delta: body.delta,
        reason: body.reason,
        sourceRef: body.source_ref ?? null,
        // Without a source_ref, the request's reference makes a retry after a crash find this entry instead of posting again.
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(replayed ? 200 : 201).send({ entry_id: entry.id, delta: entry.delta, points_balance: entry.balance_after })
    },
  )

  app.get(
    '/v1/members/:member_id/points',
    { schema: { tags: ['points'], summary: 'The member’s points ledger, newest first', params: MemberParams, querystring: ListQuery } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const member = await findMember(db, merchantId, (request.params as { member_id: string }).member_id)
      return listPointsEntries(db, merchantId, member.id, request.query as { limit?: number; cursor?: string }, merchantTz)
    },
  )
}
