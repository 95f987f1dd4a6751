import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { responses } from '../../http/schemas.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import { ledgerPage, MemberParams, memberLedgerRoute, type LedgerQuery } from '../ledger/ledger.routes.ts'
import { listPointsEntryRows } from './points.repository.ts'
import { PointsEntrySchema, PointsPostedSchema } from './points.schemas.ts'
import { adjustPoints } from './points.service.ts'

/** A member's points entries, newest first, each with the expiry of the points it earned. */
export async function listPointsEntries(db: Db, merchantId: string, memberId: string, query: LedgerQuery, tz: string) {
  return ledgerPage(query, (before, limit) => listPointsEntryRows(db, merchantId, memberId, before, limit), (row) => ({
    id: row.id,
    type: row.type,
    delta: row.delta,
    reason: row.reason,
    balance_after: row.balance_after,
    source_ref: row.source_ref,
    /** For earned points: when they expire (null: never) and how many of them are left. */
    expires_at: formatOptionalInstant(row.expires_at, tz),
    remaining: row.remaining,
    created_at: formatInstant(row.created_at, tz),
  }))
}

export async function pointsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/members/:member_id/points',
    {
      schema: {
        tags: ['points'],
        summary: 'Adjust points with a reason: + adds, − burns the oldest points (409 insufficient_points beyond the balance, 409 balance_limit_exceeded past the policy’s max_points_balance)',
        params: MemberParams,
        body: Type.Object(
          {
            delta: Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'Non-zero' }),
            reason: Type.String({ minLength: 1, maxLength: 200 }),
            source_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Your reference of the event; it posts once (a repeat returns the first entry with 200)' })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: PointsPostedSchema, 200: { ...PointsPostedSchema, description: 'The source_ref had already posted: its first entry, nothing moved' } }),
      },
    },
    async (request, reply) => {
      const { body } = request
      const { entry, replayed } = await adjustPoints(ctx, merchantOf(request), request.params.member_id, {
        delta: body.delta,
        reason: body.reason,
        sourceRef: body.source_ref ?? null,
        // Without a source_ref, the request's reference makes a retry after a crash find this entry instead of posting again.
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(replayed ? 200 : 201).send({ entry_id: entry.id, delta: entry.delta, points_balance: entry.balance_after })
    },
  )

  memberLedgerRoute(app, ctx, { path: 'points', tag: 'points', summary: 'The member’s points ledger, newest first', item: PointsEntrySchema, list: listPointsEntries })
}
