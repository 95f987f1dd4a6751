import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import type { MerchantScope } from '../members/members.service.ts'
import { lockMemberWithCard } from '../members/members.repository.ts'
import { findPointsEntryByRequest, findPointsEntryBySource, postPointsInTx, type PointsEntryRow } from './points.ledger.ts'

export interface Adjustment {
  delta: number
  reason: string
  /** The merchant's own reference of the event (an order, a campaign); it posts once. */
  sourceRef: string | null
  /**
   * The Idempotency-Key request making it (see idempotencyRefOf), if any: the entry records it, so that a
   * retry after a crash between the commit and the stored response finds this entry instead of posting
   * again; without a source reference it also names the posting.
   */
  requestRef?: string | null
}

export interface AdjustedPoints {
  entry: PointsEntryRow
  /** True when `sourceRef` had already posted: the first entry is returned and nothing moves. (A request
   * found by its `requestRef` is the same request going on, answered as the first time: not replayed.) */
  replayed: boolean
}

/** Turns a unique-key clash between two postings of one business event into a clean conflict. */
export async function postingOnce<T>(db: Db, isUniqueViolation: (error: unknown) => boolean, work: (tx: Db) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work)
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('duplicate_source_ref', 'This business event was posted at the same time by another request.')
    throw error
  }
}

/**
 * A manual adjustment with a reason: a positive delta adds a lot of points (expiring under the card's
 * rule), a negative one burns the oldest points; a burn beyond the balance is refused.
 */
export async function adjustPoints(ctx: AppContext, scope: MerchantScope, memberId: string, input: Adjustment): Promise<AdjustedPoints> {
  if (input.delta === 0) throw validationFailed([{ field: 'delta', code: 'zero', message: 'must not be 0' }])
  const { merchantId, merchantTz } = scope
  const now = ctx.clock.now()
  const requestRef = input.requestRef ?? null
  const sourceRef = input.sourceRef !== null ? `merchant:${input.sourceRef}` : requestRef !== null ? `api:${requestRef}` : null
  const { db } = ctx.database
  const posted = async (ref: string) => {
    const entry = await findPointsEntryByRequest(db, merchantId, memberId, ref)
    return entry && { entry, replayed: false }
  }
  return onceForRequest(requestRef, posted, () => postingOnce(db, ctx.database.isUniqueViolation, async (tx) => {
    const { member, card } = await lockMemberWithCard(tx, merchantId, memberId)
    if (sourceRef !== null) {
      const existing = await findPointsEntryBySource(tx, merchantId, sourceRef)
      if (existing && existing.member_id !== memberId) throw new AppError('duplicate_source_ref', 'This source_ref already posted points to another member.')
      if (existing) return { entry: existing, replayed: input.sourceRef !== null }
    }
    const { entry } = await postPointsInTx(tx, { notifier: ctx.notifier, member, terms: card.terms, merchantTz, delta: input.delta, type: 'adjustment', reason: input.reason, sourceRef, requestRef, now })
    return { entry, replayed: false }
  }))
}
