import type { Database } from '../../db/database.ts'
import type { CardWithTerms } from '../cards/cards.repository.ts'
import { findCardForIssues, MAX_USERS_PER_CARD_READ, type CardForIssues } from './coupons.repository.ts'

export type CardForIssue = CardWithTerms & { claimed: number }

interface Batch {
  users: string[]
  result: Promise<CardForIssues | undefined>
  start: () => void
}

/** One card's reads: at most one in flight, and the batch that waits for it. */
interface Lane {
  running: boolean
  next: Batch | null
}

const lanesOf = new WeakMap<Database, Map<string, Lane>>()

/**
 * The card an issue reads before it decides, with the user's allowance, shared by the parallel issues of
 * the card (a rush: thousands of requests, most refused for stock). Nothing is remembered: a request joins
 * only a read sent after it arrived (the one waiting for the read in flight to come back), so it sees
 * every stock change, status change or claim committed before it, in any process, as its own read would.
 * On PostgreSQL this turns the rush's one round trip per request into one per batch of up to
 * MAX_USERS_PER_CARD_READ; a lone issue is read at once, as before.
 */
export function readCardForIssue(database: Database, merchantId: string, cardId: string, userId: string): Promise<CardForIssue | undefined> {
  let lanes = lanesOf.get(database)
  if (!lanes) lanesOf.set(database, (lanes = new Map()))
  const key = `${merchantId}\u0000${cardId}`
  let lane = lanes.get(key)
  if (!lane) lanes.set(key, (lane = { running: false, next: null }))
  let batch = lane.next
  if (batch === null || batch.users.length >= MAX_USERS_PER_CARD_READ) {
    batch = newBatch(database, merchantId, cardId, lanes, key, lane)
    // A full batch waiting is sent now, beside the read in flight.
    if (lane.next !== null) lane.next.start()
    lane.next = batch
  }
  if (!batch.users.includes(userId)) batch.users.push(userId)
  const read = batch.result.then((found) => found && { card: found.card, versionId: found.versionId, terms: found.terms, claimed: found.claimed.get(userId) ?? 0 })
  if (!lane.running) batch.start()
  return read
}

function newBatch(database: Database, merchantId: string, cardId: string, lanes: Map<string, Lane>, key: string, lane: Lane): Batch {
  let start!: () => void
  const started = new Promise<void>((resolve) => (start = resolve))
  const batch: Batch = {
    users: [],
    start: () => {
      if (lane.next === batch) lane.next = null
      lane.running = true
      start()
    },
    result: started.then(() => findCardForIssues(database, merchantId, cardId, batch.users)),
  }
  const done = () => {
    if (lane.next !== null) return lane.next.start()
    lane.running = false
    if (lanes.get(key) === lane) lanes.delete(key)
  }
  batch.result.then(done, done)
  return batch
}

/**
 * How many one-statement issues of one card this process sends at once (PostgreSQL): they take the card's
 * row one after another whatever their number, so more only add backends queued on its lock, competing for
 * the machine's cores with the one that holds it (the burst's p99 fell with the pool: 10 connections
 * 129–153 ms, 5: 111–124, 3: 93–106). Two: one holds the row, the next is ready as it is released.
 */
const ISSUES_IN_FLIGHT_PER_CARD = 2

const writesOf = new WeakMap<Database, Map<string, { running: number; waiting: (() => void)[] }>>()

/** Runs `write`, an issue of the card, once fewer than ISSUES_IN_FLIGHT_PER_CARD of the card's are running. */
export async function inTurnForCard<T>(database: Database, merchantId: string, cardId: string, write: () => Promise<T>): Promise<T> {
  let lanes = writesOf.get(database)
  if (!lanes) writesOf.set(database, (lanes = new Map()))
  const key = `${merchantId}\u0000${cardId}`
  let lane = lanes.get(key)
  if (!lane) lanes.set(key, (lane = { running: 0, waiting: [] }))
  if (lane.running >= ISSUES_IN_FLIGHT_PER_CARD) await new Promise<void>((resolve) => lane.waiting.push(resolve))
  else lane.running++
  try {
    return await write()
  } finally {
    // The turn passes straight to the next waiting issue; the lane goes when nobody waits.
    const next = lane.waiting.shift()
    if (next) next()
    else if (--lane.running === 0 && lanes.get(key) === lane) lanes.delete(key)
  }
}
