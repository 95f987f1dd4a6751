/**
 * What the clients did and saw: every HTTP request is an attempt with its start, end and outcome. The
 * checkers judge the system by this history and by the final database, nothing else.
 */

/** ok: the server said it was done; failed: the server said no; unknown: no answer (the process died, a 5xx, a request still in progress). */
export type Outcome = 'ok' | 'failed' | 'unknown'

export interface Attempt {
  id: number
  client: number
  /** The operation type, as named by its module in operations/. */
  op: string
  /** The coupon the attempt is about, when known. */
  coupon: string | null
  /** The member whose points the attempt is about, when it is about points. */
  member: string | null
  /**
   * The logical operation the attempt belongs to, for operations whose request names it (a points posting
   * carries it in its reason): every retry and replay of one operation shares it, and so does the ledger
   * entry it made, if any.
   */
  ref: string | null
  /** The Idempotency-Key sent, if any. */
  key: string | null
  /** A deliberate repeat of an acknowledged attempt with the same key. */
  replayOf: number | null
  /** Attempts sent at the same moment for one coupon (a race), sharing this label. */
  race: string | null
  server: string
  start: number
  end: number
  outcome: Outcome
  status: number | null
  /** The problem code of a refusal. */
  code: string | null
  /** The raw response body. */
  text: string | null
  /** Whether the server said it replayed a stored response. */
  replayed: boolean
  /** The parsed body of a 2xx. */
  body: any
}

export class History {
  readonly attempts: Attempt[] = []
  #next = 1

  add(attempt: Omit<Attempt, 'id'>): Attempt {
    const recorded = { id: this.#next++, ...attempt }
    this.attempts.push(recorded)
    return recorded
  }

  /** Counts by operation and outcome, e.g. { 'redeem ok': 120, 'redeem unknown': 3 }. */
  summary(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const a of this.attempts) {
      const label = `${a.op}${a.replayOf !== null ? ' replay' : ''} ${a.outcome}`
      counts[label] = (counts[label] ?? 0) + 1
    }
    return Object.fromEntries(Object.entries(counts).sort())
  }
}
