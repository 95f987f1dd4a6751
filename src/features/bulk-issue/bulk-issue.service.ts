import { countIssued } from '../stats/stats.service.ts'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import type { CouponValidity } from '../../domain/validity.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { findCardStock, findCardWithTerms } from '../cards/cards.repository.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import { draftCoupon, validityForIssue, type CouponDraftInput } from '../coupons/coupons.service.ts'
import type { UploadRow } from './bulk-issue.parse.ts'
import { recordEvents } from '../events/events.repository.ts'
import {
  findIssuedRefs,
  giveBackAllowances,
  giveBackStock,
  insertCoupons,
  chunkRows,
  readClaims,
  takeAllowances,
  takeStock,
  type CardKey,
} from './bulk-issue.repository.ts'

/**
 * Rows per transaction: each commit (an fsync on SQLite) and each statement's round trip is shared by this
 * many rows, and the write lock is still held only for a fraction of a second. The statements a batch runs
 * are cut to fit the engines' limits on bound values (chunkRows).
 */
export const BATCH_ROWS = 5000
/** Failures a report lists one by one; past this they are only counted (in `failed` and `failure_counts`). */
export const MAX_LISTED_FAILURES = 10_000

export interface BulkIssueInput {
  merchantId: string
  merchantTz: string
  cardId: string
  /**
   * Names the upload (its Idempotency-Key, or the CLI's resume key): row N's coupon is stored with
   * source_ref `bulk:<runKey>:<N>`, so sending the same upload again issues only the rows still missing.
   */
  runKey: string | null
}

export interface RowFailure {
  row: number
  user_id: string | null
  code: string
  message: string
}

export interface BulkIssueReport {
  card_id: string
  total_rows: number
  /** Rows that have their coupon, including those an earlier run of the same upload issued. */
  issued: number
  /** Of `issued`, the rows an earlier run of the same upload had already issued. */
  already_issued: number
  failed: number
  stock_remaining: number
  /** Failed rows by code. */
  failure_counts: Record<string, number>
  /** The failed rows in file order, the first MAX_LISTED_FAILURES of them. */
  failures: RowFailure[]
  failures_truncated: boolean
}

export interface BulkProgress {
  rows: number
  issued: number
  failed: number
  /** Bytes of the upload processed, when its reader knows (CSV, NDJSON). */
  offset: number | null
}

/** The upload could not be read to its end; every row before that point was processed, as `report` says. */
export class BulkIssueInterrupted extends Error {
  readonly report: BulkIssueReport
  constructor(cause: unknown, report: BulkIssueReport) {
    super(`bulk issue stopped after ${report.total_rows} rows`, { cause })
    this.report = report
  }
}

export function bulkSourceRef(runKey: string, row: number): string {
  return `bulk:${runKey}:${row}`
}

/** At least the columns of an events row (events.repository.ts outboxRow plus request_ref: 6), for chunkRows. */
const EVENT_COLUMNS = 10

const OUT_OF_STOCK = 'The card has no stock left.'
const getLimitMessage = (limit: number) => `This user already has the most coupons of this card allowed (${limit}).`

/**
 * Issues one coupon of the card to the user of each row, reading the rows as they come and committing them
 * a batch at a time. The rules are those of a single issue (card active, per-user limit, stock), enforced
 * by the same conditional writes, so bulk and single issues running together never over-issue. A row that
 * fails leaves no trace and does not stop the others; the report says which failed and why.
 */
export async function bulkIssue(
  ctx: AppContext,
  input: BulkIssueInput,
  rows: AsyncIterable<UploadRow>,
  onProgress?: (progress: BulkProgress) => void,
): Promise<BulkIssueReport> {
  const { db } = ctx.database
  const found = await findCardWithTerms(db, input.merchantId, input.cardId)
  if (!found) throw new AppError('card_not_found', 'There is no card with this id.')
  validityForIssue(found, ctx.clock.now(), input.merchantTz)

  const report = emptyReport(input.cardId)
  let batch: UploadRow[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const offset = batch[batch.length - 1].offset ?? null
    addToReport(report, batch.length, await issueBatch(ctx, input, batch))
    batch = []
    onProgress?.({ rows: report.total_rows, issued: report.issued, failed: report.failed, offset })
  }

  const iterator = rows[Symbol.asyncIterator]()
  let interruption: unknown = null
  try {
    for (;;) {
      let next: IteratorResult<UploadRow>
      try {
        next = await iterator.next()
      } catch (error) {
        interruption = error
        break
      }
      if (next.done) break
      batch.push(next.value)
      if (batch.length === BATCH_ROWS) await flush()
    }
    // Rows read before an interruption are processed too: the report then covers everything up to it.
    await flush()
  } finally {
    await iterator.return?.(undefined)
  }

  report.stock_remaining = (await findCardStock(db, input.merchantId, input.cardId)) ?? 0
  if (interruption !== null) throw new BulkIssueInterrupted(interruption, report)
  return report
}

function emptyReport(cardId: string): BulkIssueReport {
  return { card_id: cardId, total_rows: 0, issued: 0, already_issued: 0, failed: 0, stock_remaining: 0, failure_counts: {}, failures: [], failures_truncated: false }
}

function addToReport(report: BulkIssueReport, rows: number, outcome: BatchOutcome): void {
  report.total_rows += rows
  report.issued += outcome.issued + outcome.alreadyIssued
  report.already_issued += outcome.alreadyIssued
  report.failed += outcome.failures.length
  for (const failure of outcome.failures.sort((a, b) => a.row - b.row)) {
    report.failure_counts[failure.code] = (report.failure_counts[failure.code] ?? 0) + 1
    if (report.failures.length < MAX_LISTED_FAILURES) report.failures.push(failure)
    else report.failures_truncated = true
  }
}

/** A row with a well-formed user id. */
interface IssuableRow extends UploadRow {
  userId: string
}

/** A row this batch did not issue, and why. */
interface Refusal extends IssuableRow {
  code: string
  message: string
}

interface BatchOutcome {
  issued: number
  alreadyIssued: number
  failures: RowFailure[]
}

function failureOf(row: UploadRow, code: string, message: string): RowFailure {
  return { row: row.row, user_id: row.userId, code, message }
}

function refuse(rows: IssuableRow[], code: string, message: string): Refusal[] {
  return rows.map((row) => ({ ...row, code, message }))
}

/** One batch, one transaction: rows without a usable user id fail before the database is asked. */
async function issueBatch(ctx: AppContext, input: BulkIssueInput, rows: UploadRow[]): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { issued: 0, alreadyIssued: 0, failures: [] }
  const issuable: IssuableRow[] = []
  for (const row of rows) {
    if (row.problem) outcome.failures.push(failureOf(row, row.problem.code, row.problem.message))
    else issuable.push(row as IssuableRow)
  }
  if (issuable.length === 0) return outcome
  return ctx.database.db.transaction().execute(async (tx) => {
    const fresh = await setAsideEarlier(tx, input, issuable, outcome)
    const refused = await issueFresh(ctx, tx, input, fresh, outcome)
    // A run of the same upload going on at the same time may have issued a refused row meanwhile: it counts as issued.
    for (const refusal of await setAsideEarlier(tx, input, refused, outcome)) {
      outcome.failures.push(failureOf(refusal, refusal.code, refusal.message))
    }
    return outcome
  })
}

/**
 * Rows whose source reference already has a coupon were issued by an earlier run of this upload: issued if
 * it went to the same user of the same card, a failure if the key was reused for a different list. Returns
 * the other rows.
 */
async function setAsideEarlier<T extends IssuableRow>(tx: Db, input: BulkIssueInput, rows: T[], outcome: BatchOutcome): Promise<T[]> {
  const { runKey } = input
  if (runKey === null || rows.length === 0) return rows
  const earlier = await findIssuedRefs(tx, input.merchantId, rows.map((row) => bulkSourceRef(runKey, row.row)))
  const rest: T[] = []
  for (const row of rows) {
    const coupon = earlier.get(bulkSourceRef(runKey, row.row))
    if (!coupon) rest.push(row)
    else if (coupon.card_id === input.cardId && coupon.user_id === row.userId) outcome.alreadyIssued++
    else outcome.failures.push(failureOf(row, 'idempotency_key_reused', 'An upload with this key already issued this row to another user or card; send a different list with a new key.'))
  }
  return rest
}

/** Issues what the card allows (status, per-user limit, stock) and returns the rows it refused. */
async function issueFresh(ctx: AppContext, tx: Db, input: BulkIssueInput, rows: IssuableRow[], outcome: BatchOutcome): Promise<Refusal[]> {
  if (rows.length === 0) return []
  const now = ctx.clock.now()
  const key: CardKey = { merchantId: input.merchantId, cardId: input.cardId }
  const found = await findCardWithTerms(tx, input.merchantId, input.cardId)
  if (!found) return refuse(rows, 'card_not_found', 'There is no card with this id.')
  let validity: CouponValidity
  try {
    validity = validityForIssue(found, now, input.merchantTz)
  } catch (error) {
    if (error instanceof AppError) return refuse(rows, error.code, error.detail)
    throw error
  }
  if (found.card.stock_remaining === 0) return refuseWithoutStock(tx, key, found.card.get_limit, rows)

  const refused: Refusal[] = []
  const granted = await takeAllowancesInFileOrder(tx, key, found.card.get_limit, rows, refused)
  const stock = await takeStock(tx, key, granted.length, now)
  const unstocked = granted.slice(stock.taken)
  refused.push(...(stock.active ? refuse(unstocked, 'out_of_stock', OUT_OF_STOCK) : refuse(unstocked, 'card_not_active', 'The card stopped issuing coupons.')))

  const drafts = granted.slice(0, stock.taken).map((row) => ({
    row,
    input: {
      id: newId('cpn', now),
      merchantId: input.merchantId,
      cardId: input.cardId,
      versionId: found.versionId,
      userId: row.userId,
      source: 'bulk',
      sourceRef: input.runKey === null ? null : bulkSourceRef(input.runKey, row.row),
      validity,
      now,
      // A fission card's coupons are issued locked, in bulk too.
      unlockAfterFriends: found.card.unlock_after_friends ?? null,
      codeFormat: found.card.code_format,
    } satisfies CouponDraftInput,
  }))
  const { inserted, lost } = await insertDrafts(ctx, tx, input, drafts)
  refused.push(...refuse(lost, 'request_in_progress', 'Another run of this upload is issuing this row.'))

  // Rows that got no coupon give back what they took, so a failed row leaves no trace.
  await giveBackStock(tx, key, lost.length, now)
  await giveBackAllowances(tx, key, countByUser([...unstocked, ...lost]))

  const stockAfter = stock.stockRemaining + lost.length
  const events = inserted.map((coupon, i) => ({
    merchantId: input.merchantId,
    type: 'coupon.issued',
    // As if issued one after the other: the stock left after each coupon.
    data: { coupon_id: coupon.id, card_id: input.cardId, user_id: coupon.user_id, source: 'bulk', channel: null, campaign: null, shared_by: null, state: coupon.state, stock_remaining: stockAfter + inserted.length - 1 - i },
    now,
  }))
  for (const chunk of chunkRows(events, EVENT_COLUMNS)) await recordEvents(tx, chunk)
  outcome.issued += inserted.length
  return refused
}

/**
 * With no stock left nothing is written: each row is refused for its user's limit when that is reached (the
 * reason a single issue gives first), else for stock.
 */
async function refuseWithoutStock(tx: Db, key: CardKey, getLimit: number, rows: IssuableRow[]): Promise<Refusal[]> {
  const claimed = await readClaims(tx, key, rows.map((row) => row.userId))
  return rows.map((row) => {
    const count = claimed.get(row.userId) ?? 0
    claimed.set(row.userId, count + 1)
    return count >= getLimit ? { ...row, code: 'get_limit_reached', message: getLimitMessage(getLimit) } : { ...row, code: 'out_of_stock', message: OUT_OF_STOCK }
  })
}

/**
 * Takes one from each row's per-user allowance. A user's rows are served in file order: round k asks for
 * every user's k-th row of the batch, so no statement touches a user twice.
 */
async function takeAllowancesInFileOrder(tx: Db, key: CardKey, getLimit: number, rows: IssuableRow[], refused: Refusal[]): Promise<IssuableRow[]> {
  const rounds: IssuableRow[][] = []
  const seen = new Map<string, number>()
  for (const row of rows) {
    const k = seen.get(row.userId) ?? 0
    seen.set(row.userId, k + 1)
    ;(rounds[k] ??= []).push(row)
  }
  const granted: IssuableRow[] = []
  let grantedBefore: Set<string> | null = null
  for (const [k, round] of rounds.entries()) {
    // A user refused once is refused again, and none gets more than get_limit from one batch.
    const asking = k < getLimit ? round.filter((row) => grantedBefore === null || grantedBefore.has(row.userId)) : []
    const ok = await takeAllowances(tx, key, getLimit, asking.map((row) => row.userId))
    for (const row of round) {
      if (ok.has(row.userId)) granted.push(row)
      else refused.push({ ...row, code: 'get_limit_reached', message: getLimitMessage(getLimit) })
    }
    grantedBefore = ok
  }
  return granted.sort((a, b) => a.row - b.row)
}

interface Draft {
  row: IssuableRow
  input: CouponDraftInput
}

/**
 * Inserts the coupons. One that is not inserted either lost its source reference to another run of the same
 * upload (it is `lost`) or drew a code already taken, which 65 random bits make astronomically rare: it
 * draws again.
 */
async function insertDrafts(ctx: AppContext, tx: Db, input: BulkIssueInput, drafts: Draft[]): Promise<{ inserted: CouponRow[]; lost: IssuableRow[] }> {
  const inserted: CouponRow[] = []
  const lost: IssuableRow[] = []
  let pending = drafts.map((draft) => ({ ...draft, values: draftCoupon(ctx, draft.input).values }))
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === 3) throw new Error('could not draw unique coupon codes')
    const ids = await insertCoupons(tx, pending.map((draft) => draft.values))
    const missing = pending.filter((draft) => !ids.has(draft.values.id))
    inserted.push(...pending.filter((draft) => ids.has(draft.values.id)).map((draft) => draft.values))
    if (missing.length === 0) break
    const refs = missing.map((draft) => draft.input.sourceRef).filter((ref) => ref !== null)
    const taken = await findIssuedRefs(tx, input.merchantId, refs)
    lost.push(...missing.filter((draft) => draft.input.sourceRef !== null && taken.has(draft.input.sourceRef)).map((draft) => draft.row))
    pending = missing
      .filter((draft) => draft.input.sourceRef === null || !taken.has(draft.input.sourceRef))
      .map((draft) => ({ ...draft, values: draftCoupon(ctx, draft.input).values }))
  }
  await countIssued(tx, inserted, input.merchantTz)
  return { inserted: inserted.sort((a, b) => (a.id < b.id ? -1 : 1)), lost }
}

function countByUser(rows: IssuableRow[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const row of rows) counts.set(row.userId, (counts.get(row.userId) ?? 0) + 1)
  return counts
}
