/**
 * A client of the cluster: sends requests to a random live server, records each in the history, and keeps
 * what it believes of the coupons and the member it owns (to choose its next operation; the checkers never
 * trust it).
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { Cluster } from './cluster.ts'
import type { Attempt, History } from './history.ts'

export interface Card {
  id: string
  stock: number
  getLimit: number
}

/** What every client shares. */
export interface World {
  cluster: Cluster
  history: History
  apiKey: string
  /** Little stock and a per-user limit above 1: parallel issues compete for it. */
  scarceCard: Card
  /** Stock enough for every coupon the clients redeem, reverse and void. */
  plentifulCard: Card
  /** A claim link with fewer claims than its card's stock. */
  claimLink: { token: string; card: Card; maxClaims: number }
  /** The member card every client's member belongs to. */
  memberCard: { id: string }
  /** A card whose coupons may be given as gifts (the gift operation issues its own coupons of it). */
  giftCard: Card
  /** Runs the return-expired-gifts job once as of `now`, from the harness process, against the same database. */
  returnGifts(now: number): Promise<number>
}

export interface OwnedCoupon {
  id: string
  code: string
  redemptionId: string | null
  believed: 'available' | 'redeemed' | 'voided' | 'unknown'
  /** Raced by parallel redemptions once: left alone afterwards. */
  raced: boolean
}

/** A member whose points only this client moves (apart from its own parallel burns in a race). */
export interface OwnedMember {
  id: string
  /** The points balance the client last heard of; null when an answer left it unknown. */
  believed: number | null
}

export interface Request {
  op: string
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  /** Who calls: the merchant's API key, the client's customer with their wallet token, or the friend they give gifts to. */
  as?: 'merchant' | 'customer' | 'receiver'
  key?: string | null
  /** Safe to send again while its outcome is unknown even without a key (a points posting with a source_ref). */
  retrySafe?: boolean
  coupon?: string | null
  member?: string | null
  ref?: string | null
  replayOf?: number | null
  race?: string | null
}

/** An answer that does not say whether the request took effect. */
function isUnknown(status: number, code: string | null): boolean {
  return status >= 500 || code === 'request_in_progress'
}

/** Retries of an attempt whose outcome is unknown, with the same Idempotency-Key. */
const SETTLE_TRIES = 5
/** A live server answers long before this; only a request to a dead one is still waiting. */
const REQUEST_TIMEOUT_MS = 30_000
/** How long a server holds the key of a request it runs (src/http/idempotency.ts): a retry after that takes over. */
const LEASE_MS = 60_000

export class Client {
  readonly id: number
  readonly world: World
  readonly coupons = new Map<string, OwnedCoupon>()
  readonly walletToken: string
  /** The wallet token of the friend this client gives gifts to; set by the run's set-up. */
  receiverToken = ''
  /** The member whose points this client earns and burns; set once the run's set-up made it. */
  member: OwnedMember | null = null
  /** Keyed points postings left unknown, sent again once the key's lease has run out (see lateRetry). */
  readonly unsettled: { request: Request; due: number }[] = []
  #users = 0
  #refs = 0

  constructor(world: World, id: number, walletToken: string) {
    this.world = world
    this.id = id
    this.walletToken = walletToken
  }

  newKey(): string {
    return `c${this.id}-${randomBytes(6).toString('hex')}`
  }

  /** A name for a new logical operation, unique in the run. */
  newRef(prefix: string): string {
    return `${prefix}-c${this.id}-${this.#refs++}`
  }

  /** One of a few user ids of this client, so that the per-user limit is reached now and then. */
  someUser(): string {
    return `c${this.id}-u${this.#users++ % 3}`
  }

  pick(believed: OwnedCoupon['believed'], withRedemption = false): OwnedCoupon | undefined {
    const candidates = [...this.coupons.values()].filter((c) => !c.raced && c.believed === believed && (!withRedemption || c.redemptionId !== null))
    return candidates[Math.floor(Math.random() * candidates.length)]
  }

  adopt(body: { id: string; code: string }): void {
    this.coupons.set(body.id, { id: body.id, code: body.code, redemptionId: null, believed: 'available', raced: false })
  }

  /** One HTTP request, recorded. Waits while every server is down (a restart is under way). */
  async send(request: Request): Promise<Attempt> {
    let base = this.world.cluster.pick()
    while (base === null) {
      await delay(20)
      base = this.world.cluster.pick()
    }
    const token = request.as === 'customer' ? this.walletToken : request.as === 'receiver' ? this.receiverToken : this.world.apiKey
    const headers: Record<string, string> = { authorization: `Bearer ${token}` }
    if (request.body !== undefined) headers['content-type'] = 'application/json'
    if (request.key) headers['idempotency-key'] = request.key
    const start = performance.now()
    let status: number | null = null
    let text: string | null = null
    let replayed = false
    try {
      const res = await fetch(base + request.path, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      text = await res.text()
      status = res.status
      replayed = res.headers.get('idempotent-replayed') === 'true'
    } catch {
      // The connection broke: the server died with the request, before or after doing it.
    }
    const parsed = text ? safeJson(text) : undefined
    const code = status !== null && status >= 400 ? (parsed?.code ?? null) : null
    const outcome = status === null || isUnknown(status, code) ? 'unknown' : status < 300 ? 'ok' : 'failed'
    return this.world.history.add({
      client: this.id,
      op: request.op,
      coupon: request.coupon ?? null,
      member: request.member ?? null,
      ref: request.ref ?? null,
      key: request.key ?? null,
      replayOf: request.replayOf ?? null,
      race: request.race ?? null,
      server: base,
      start,
      end: performance.now(),
      outcome,
      status,
      code,
      text,
      replayed,
      body: outcome === 'ok' ? parsed : undefined,
    })
  }

  /** Sends, and while the outcome is unknown and the request is safe to repeat (a key, or retrySafe), sends it again. Returns the last attempt. */
  async settle(request: Request): Promise<Attempt> {
    let attempt = await this.send(request)
    for (let tries = 1; attempt.outcome === 'unknown' && (request.key || request.retrySafe) && tries < SETTLE_TRIES; tries++) {
      await delay(50 + Math.random() * 200)
      attempt = await this.send(request)
    }
    return attempt
  }

  /** Sometimes repeats an acknowledged keyed (or otherwise repeatable) request: the answer must be the same, byte for byte. */
  async maybeReplay(request: Request, acknowledged: Attempt): Promise<void> {
    if (!(request.key || request.retrySafe) || Math.random() >= 0.3) return
    await this.send({ ...request, replayOf: acknowledged.id })
  }

  /** Asks what became of a coupon after an answer that did not say (or said something unexpected). */
  async lookup(coupon: OwnedCoupon): Promise<void> {
    let attempt: Attempt
    do attempt = await this.send({ op: 'lookup', method: 'GET', path: `/v1/coupons/${coupon.code}`, coupon: coupon.id })
    while (attempt.outcome === 'unknown')
    if (attempt.outcome !== 'ok') {
      coupon.believed = 'unknown'
      return
    }
    coupon.believed = attempt.body.state
    coupon.redemptionId = attempt.body.redemption_id
  }

  /** Asks for the member's balance after an answer that did not say (or said no). */
  async lookupMember(member: OwnedMember): Promise<void> {
    let attempt: Attempt
    do attempt = await this.send({ op: 'member-lookup', method: 'GET', path: `/v1/members/${member.id}`, member: member.id })
    while (attempt.outcome === 'unknown')
    member.believed = attempt.outcome === 'ok' ? attempt.body.points_balance : null
  }

  /**
   * A keyed request left unknown after its retries may belong to a process killed between its commit and
   * storing its answer: its key stays "running" until a lease of a minute runs out, and a retry after that
   * takes over. Such a retry must find what the first run did rather than post again; these are sent then
   * (only runs longer than the lease get there). Returns whether one was due.
   */
  async lateRetry(): Promise<boolean> {
    const index = this.unsettled.findIndex((u) => u.due <= performance.now())
    if (index === -1) return false
    const [{ request }] = this.unsettled.splice(index, 1)
    await this.settle(request)
    if (this.member) await this.lookupMember(this.member)
    return true
  }

  /** Remembers a keyed request left unknown, to send again once its key's lease has run out. */
  leaveUnsettled(request: Request, attempt: Attempt): void {
    if (request.key && attempt.outcome === 'unknown') this.unsettled.push({ request, due: performance.now() + LEASE_MS + 2_000 })
  }
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
