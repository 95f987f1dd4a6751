import { Type } from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, PositiveMoney } from '../../http/schemas.ts'
import { formatInstant } from '../../domain/time.ts'
import { findMember } from '../members/members.repository.ts'
import { decodeSeqCursor, seqPage } from '../members/ledger-cursor.ts'
import { changeStoredValue, refundStoredValue } from './stored-value.service.ts'
import type { StoredValueEntryRow } from './stored-value.ledger.ts'

const MemberParams = IdParam('member_id')
const PaymentRef = Type.String({ minLength: 1, maxLength: 200 })

export function presentStoredValueEntry(row: StoredValueEntryRow, tz: string) {
  return {
    id: row.id,
    type: row.type,
    delta: row.delta,
    reason: row.reason,
    payment_ref: row.payment_ref,
    balance_after: row.balance_after,
    created_at: formatInstant(row.created_at, tz),
  }
}

/** A member's stored-value movements, newest first. */
export async function listStoredValueEntries(db: Db, merchantId: string, memberId: string, query: { limit?: number; cursor?: string }, tz: string) {
  const limit = query.limit ?? 50
  const before = decodeSeqCursor(query.cursor)
  let q = db.selectFrom('stored_value_entries').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId)
  if (before !== null) q = q.where('seq', '<', before)
  const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute()
  return seqPage(rows, limit, (row) => presentStoredValueEntry(row, tz))
}

export async function storedValueRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db } = ctx.database

  app.post(
    '/v1/members/:member_id/stored-value',
    {
      schema: {
        tags: ['stored value'],
        summary: 'Top up (+, with the payment reference) or pay with (−) stored value; 409 insufficient_balance beyond the balance',
        params: MemberParams,
        body: Type.Object(
          {
            delta: Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'Fen, non-zero' }),
            reason: Type.String({ minLength: 1, maxLength: 200 }),
            payment_ref: Type.Optional(Type.Union([PaymentRef, Type.Null()], { description: 'The payment behind a top-up; it tops up once (a repeat returns the first entry with 200)' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const scope = merchantOf(request)
      const body = request.body as { delta: number; reason: string; payment_ref?: string | null }
      const { entry, replayed } = await changeStoredValue(ctx, scope, (request.params as { member_id: string }).member_id, {
        delta: body.delta,
        reason: body.reason,
        paymentRef: body.payment_ref ?? null,
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(replayed ? 200 : 201).send({ entry_id: entry.id, delta: entry.delta, stored_value_balance: entry.balance_after })
    },
  )

  app.get(
    '/v1/members/:member_id/stored-value',
    { schema: { tags: ['stored value'], summary: 'The member’s stored-value ledger, newest first', params: MemberParams, querystring: ListQuery } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const member = await findMember(db, merchantId, (request.params as { member_id: string }).member_id)
      return listStoredValueEntries(db, merchantId, member.id, request.query as { limit?: number; cursor?: string }, merchantTz)
    },
  )

  app.post(
    '/v1/members/:member_id/stored-value/refunds',
    {
      schema: {
        tags: ['stored value'],
        summary: 'Pay unspent stored value back under the card’s published refund rule (the whole balance when amount is absent)',
        params: MemberParams,
        body: Type.Object(
          {
            amount: Type.Optional(PositiveMoney),
            reason: Type.String({ minLength: 1, maxLength: 200 }),
            payment_ref: Type.Optional(Type.Union([PaymentRef, Type.Null()], { description: 'The payout’s reference; it refunds once' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const scope = merchantOf(request)
      const body = request.body as { amount?: number; reason: string; payment_ref?: string | null }
      const { entry, refund } = await refundStoredValue(ctx, scope, (request.params as { member_id: string }).member_id, {
        amount: body.amount ?? null,
        reason: body.reason,
        paymentRef: body.payment_ref ?? null,
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(201).send({ entry_id: entry.id, amount: refund.amount, fee: refund.fee, payout: refund.payout, stored_value_balance: entry.balance_after })
    },
  )
}
