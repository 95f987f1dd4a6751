import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { PositiveMoney, responses } from '../../http/schemas.ts'
import { formatInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import { ledgerPage, MemberParams, memberLedgerRoute, type LedgerQuery } from '../ledger/ledger.routes.ts'
import { listStoredValueEntryRows, type StoredValueEntryRow } from './stored-value.repository.ts'
import { StoredValueEntrySchema, StoredValuePostedSchema, StoredValueRefundedSchema } from './stored-value.schemas.ts'
import { changeStoredValue, refundStoredValue } from './stored-value.service.ts'

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
export async function listStoredValueEntries(db: Db, merchantId: string, memberId: string, query: LedgerQuery, tz: string) {
  return ledgerPage(query, (before, limit) => listStoredValueEntryRows(db, merchantId, memberId, before, limit), (row) => presentStoredValueEntry(row, tz))
}

export async function storedValueRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/members/:member_id/stored-value',
    {
      schema: {
        tags: ['stored value'],
        summary: 'Top up (+, with the payment reference) or pay with (−) stored value; 409 insufficient_balance beyond the balance, 409 balance_limit_exceeded past the policy’s max_stored_value_balance',
        params: MemberParams,
        body: Type.Object(
          {
            delta: Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'Fen, non-zero' }),
            reason: Type.String({ minLength: 1, maxLength: 200 }),
            payment_ref: Type.Optional(Type.Union([PaymentRef, Type.Null()], { description: 'The payment behind a top-up; it tops up once (a repeat returns the first entry with 200)' })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: StoredValuePostedSchema, 200: { ...StoredValuePostedSchema, description: 'The payment_ref had already topped up: its first entry, nothing moved' } }),
      },
    },
    async (request, reply) => {
      const { body } = request
      const { entry, replayed } = await changeStoredValue(ctx, merchantOf(request), request.params.member_id, {
        delta: body.delta,
        reason: body.reason,
        paymentRef: body.payment_ref ?? null,
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(replayed ? 200 : 201).send({ entry_id: entry.id, delta: entry.delta, stored_value_balance: entry.balance_after })
    },
  )

  memberLedgerRoute(app, ctx, { path: 'stored-value', tag: 'stored value', summary: 'The member’s stored-value ledger, newest first', item: StoredValueEntrySchema, list: listStoredValueEntries })

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
        response: responses({ 201: StoredValueRefundedSchema }),
      },
    },
    async (request, reply) => {
      const { body } = request
      const { entry, refund } = await refundStoredValue(ctx, merchantOf(request), request.params.member_id, {
        amount: body.amount ?? null,
        reason: body.reason,
        paymentRef: body.payment_ref ?? null,
        requestRef: idempotencyRefOf(request),
      })
      return reply.code(201).send({ entry_id: entry.id, amount: refund.amount, fee: refund.fee, payout: refund.payout, stored_value_balance: entry.balance_after })
    },
  )
}
