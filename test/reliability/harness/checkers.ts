/**
 * Checkers over the history and the final database. Each returns the violations it found, in words; an
 * empty list is a pass. None of them trusts what the clients believed, only what the servers answered and
 * what the database holds.
 */
import type { Db } from '../../../src/db/database.ts'
import { hashToken, type Secrets } from '../../../src/ports/secrets.ts'
import type { Attempt } from './history.ts'
import type { Card, World } from './client.ts'
import { parseInsufficient } from '../operations/points.ts'

export interface CheckInput {
  world: World
  attempts: Attempt[]
  db: Db
  secrets: Secrets
}

type Checker = (input: CheckInput) => Promise<string[]>

const countBy = <T>(items: T[], key: (item: T) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

/** Nothing over-issued: stock, per-user limits and the claim link's cap all hold, and the counters agree with the rows. */
export const nothingOverIssued: Checker = async ({ world, db }) => {
  const violations: string[] = []
  const cards: Card[] = [world.scarceCard, world.plentifulCard, world.claimLink.card]
  for (const card of cards) {
    const row = await db.selectFrom('cards').select(['stock_remaining', 'issued_count']).where('id', '=', card.id).executeTakeFirstOrThrow()
    const coupons = await db.selectFrom('coupons').select(['user_id']).where('card_id', '=', card.id).execute()
    if (coupons.length > card.stock) violations.push(`card ${card.id}: ${coupons.length} coupons for a stock of ${card.stock}`)
    if (row.issued_count !== coupons.length) violations.push(`card ${card.id}: issued_count ${row.issued_count} but ${coupons.length} coupons`)
    if (row.stock_remaining + row.issued_count !== card.stock) violations.push(`card ${card.id}: stock_remaining ${row.stock_remaining} + issued ${row.issued_count} ≠ stock ${card.stock}`)
    const claims = await db.selectFrom('card_user_claims').select(['user_id', 'claimed']).where('card_id', '=', card.id).execute()
    const claimed = new Map(claims.map((c) => [c.user_id, c.claimed]))
    for (const [user, n] of countBy(coupons, (c) => c.user_id)) {
      if (n > card.getLimit) violations.push(`card ${card.id}: user ${user} holds ${n} coupons, over the limit of ${card.getLimit}`)
      if (claimed.get(user) !== n) violations.push(`card ${card.id}: user ${user} holds ${n} coupons but the allowance counts ${claimed.get(user)}`)
    }
  }
  const link = await db.selectFrom('claim_links').select('claimed_count').where('token_hash', '=', hashToken(world.claimLink.token)).executeTakeFirstOrThrow()
  const viaLink = await db.selectFrom('coupons').select('id').where('card_id', '=', world.claimLink.card.id).where('source', '=', 'claim_link').execute()
  if (link.claimed_count > world.claimLink.maxClaims) violations.push(`claim link: ${link.claimed_count} claims over its cap of ${world.claimLink.maxClaims}`)
  if (link.claimed_count !== viaLink.length) violations.push(`claim link: counts ${link.claimed_count} claims but ${viaLink.length} coupons came through it`)
  return violations
}

/** Nothing redeemed twice: at most one redemption of a coupon stands at a time, and the coupon's state and the events agree with it. */
export const nothingRedeemedTwice: Checker = async ({ db }) => {
  const violations: string[] = []
  const redemptions = await db.selectFrom('redemptions').select(['id', 'coupon_id', 'reversed_at']).execute()
  const standing = new Map<string, string[]>()
  for (const r of redemptions) if (r.reversed_at === null) standing.set(r.coupon_id, [...(standing.get(r.coupon_id) ?? []), r.id])
  const coupons = await db.selectFrom('coupons').select(['id', 'state', 'redemption_id']).execute()
  for (const coupon of coupons) {
    const stands = standing.get(coupon.id) ?? []
    if (stands.length > 1) violations.push(`coupon ${coupon.id} has ${stands.length} standing redemptions: ${stands.join(', ')}`)
    if (coupon.state === 'redeemed' && (stands.length !== 1 || stands[0] !== coupon.redemption_id)) {
      violations.push(`coupon ${coupon.id} is redeemed by ${coupon.redemption_id} but its standing redemptions are [${stands.join(', ')}]`)
    }
    if (coupon.state !== 'redeemed' && stands.length > 0) violations.push(`coupon ${coupon.id} is ${coupon.state} yet redemption ${stands[0]} stands`)
  }
  const events = await db.selectFrom('events').select(['type', 'data']).where('type', 'in', ['coupon.redeemed', 'coupon.reversed']).execute()
  const perRedemption = countBy(events, (e) => `${e.type} ${(typeof e.data === 'string' ? JSON.parse(e.data) : e.data).redemption_id}`)
  for (const r of redemptions) {
    if (perRedemption.get(`coupon.redeemed ${r.id}`) !== 1) violations.push(`redemption ${r.id} has ${perRedemption.get(`coupon.redeemed ${r.id}`) ?? 0} coupon.redeemed events`)
    const reversals = perRedemption.get(`coupon.reversed ${r.id}`) ?? 0
    if (reversals !== (r.reversed_at === null ? 0 : 1)) violations.push(`redemption ${r.id} (reversed: ${r.reversed_at !== null}) has ${reversals} coupon.reversed events`)
  }
  return violations
}

/** Every acknowledged operation is in the database: what a server said it did, it did, and kept. */
export const acknowledgedIsDurable: Checker = async ({ attempts, db, secrets }) => {
  const violations: string[] = []
  // Read whole, once: a query per attempt would scan (the keys start with the merchant) and take minutes on a long run.
  const coupons = new Map((await db.selectFrom('coupons').select(['id', 'code_hash', 'state']).execute()).map((r) => [r.id, r]))
  const redemptions = new Map((await db.selectFrom('redemptions').select(['id', 'coupon_id', 'reversed_at']).execute()).map((r) => [r.id, r]))
  const entries = new Map((await pointsEntries(db)).map((e) => [e.id, e]))
  for (const a of attempts) {
    if (a.outcome !== 'ok') continue
    if (a.op === 'issue' || a.op === 'claim') {
      const row = coupons.get(a.body.id)
      if (!row) violations.push(`${a.op} #${a.id} acknowledged coupon ${a.body.id}, which is not in the database`)
      else if (row.code_hash !== secrets.codeLookupHash(a.body.code)) violations.push(`${a.op} #${a.id}: coupon ${a.body.id} has another code than the one answered`)
    } else if (a.op === 'redeem' || a.op === 'race-redeem') {
      const row = redemptions.get(a.body.id)
      if (row?.coupon_id !== a.coupon) violations.push(`${a.op} #${a.id} acknowledged redemption ${a.body.id}, which is not in the database`)
    } else if (a.op === 'reverse') {
      const row = redemptions.get(a.body.id)
      if (!row || row.reversed_at === null) violations.push(`reverse #${a.id} acknowledged reversing ${a.body.id}, which the database does not show reversed`)
    } else if (a.op === 'void') {
      const row = coupons.get(a.coupon!)
      if (row?.state !== 'voided') violations.push(`void #${a.id} acknowledged voiding ${a.coupon}, which is ${row?.state ?? 'missing'}`)
    } else if (POINTS_OPS.has(a.op)) {
      const row = entries.get(a.body.entry_id)
      if (!row) violations.push(`${a.op} #${a.id} acknowledged points entry ${a.body.entry_id}, which is not in the database`)
      else if (row.member_id !== a.member || row.delta !== a.body.delta) violations.push(`${a.op} #${a.id} acknowledged ${a.body.delta} points for ${a.member}, but entry ${a.body.entry_id} moves ${row.delta} for ${row.member_id}`)
    }
  }
  return violations
}

/** Every answer given for one Idempotency-Key is the same, byte for byte. */
export const replaysIdentical: Checker = async ({ attempts }) => {
  const violations: string[] = []
  const byKey = new Map<string, Attempt[]>()
  for (const a of attempts) if (a.key && a.outcome !== 'unknown') byKey.set(a.key, [...(byKey.get(a.key) ?? []), a])
  for (const [key, answered] of byKey) {
    const first = answered[0]
    for (const a of answered.slice(1)) {
      if (a.status !== first.status || a.text !== first.text) violations.push(`key ${key}: #${first.id} answered ${first.status} ${first.text?.slice(0, 80)}, #${a.id} answered ${a.status} ${a.text?.slice(0, 80)}`)
      if (!a.replayed) violations.push(`key ${key}: #${a.id} ran again instead of replaying #${first.id}`)
    }
  }
  return violations
}

/** A coupon's state as a string the model compares: 'available', 'voided', 'redeemed:<id>' ('redeemed:?' when the id is not known). */
type State = string

function observed(state: string, redemptionId: string | null): State {
  return state === 'redeemed' ? `redeemed:${redemptionId}` : state
}

/** Whether the model allows a state seen in an answer or in the database. */
function allows(possible: Set<State>, seen: State): boolean {
  return possible.has(seen) || (seen.startsWith('redeemed:') && possible.has('redeemed:?'))
}

/** One logical operation: an attempt and its retries with the same key count once, the outcome they settled on. */
interface Step {
  op: string
  outcome: Attempt['outcome']
  code: string | null
  body: any
  first: Attempt
}

function stepsOf(attempts: Attempt[]): Step[] {
  const steps: Step[] = []
  const byKey = new Map<string, Step>()
  for (const a of attempts) {
    if (a.replayOf !== null) continue
    const existing = a.key ? byKey.get(a.key) : undefined
    if (existing) {
      if (existing.outcome === 'unknown') Object.assign(existing, { outcome: a.outcome, code: a.code, body: a.body })
      continue
    }
    const step: Step = { op: a.op, outcome: a.outcome, code: a.code, body: a.body, first: a }
    steps.push(step)
    if (a.key) byKey.set(a.key, step)
  }
  return steps
}

/** The states a coupon may be in after a step, from those it may have been in before; empty when the step's answer fits none. */
function apply(possible: Set<State>, step: Step): Set<State> {
  const next = new Set<State>()
  const add = (...states: State[]) => states.forEach((s) => next.add(s))
  for (const s of possible) {
    const available = s === 'available'
    const redeemed = s.startsWith('redeemed:')
    switch (`${step.op} ${step.outcome}`) {
      case 'redeem ok':
        if (available) add(`redeemed:${step.body.id}`)
        break
      case 'redeem failed':
        if ((step.code === 'already_redeemed' && redeemed) || (step.code === 'voided' && s === 'voided')) add(s)
        break
      case 'redeem unknown':
        add(s)
        if (available) add('redeemed:?')
        break
      case 'reverse ok':
        if (s === `redeemed:${step.body.id}` || s === 'redeemed:?') add('available')
        break
      case 'reverse failed':
        if (step.code === 'already_reversed' && !s.startsWith('redeemed:')) add(s)
        break
      case 'reverse unknown':
        add(s)
        if (redeemed) add('available')
        break
      case 'void ok':
        if (available || s === 'voided') add('voided')
        break
      case 'void failed':
        if (step.code === 'already_redeemed' && redeemed) add(s)
        break
      case 'void unknown':
        add(s)
        if (available) add('voided')
        break
      case 'lookup ok': {
        const seen = observed(step.body.state, step.body.redemption_id)
        if (allows(new Set([s]), seen)) add(seen)
        break
      }
      case 'lookup failed':
      case 'lookup unknown':
        add(s)
        break
    }
  }
  return next
}

/**
 * Each coupon's history, one owner doing one thing at a time, must fit a sequence of states that starts at
 * available when it was issued and ends in the state the database holds; an unknown outcome may or may not
 * have happened. Raced coupons are judged by their race: at most one winner, and redeemed if anyone may have won.
 */
export const couponHistoriesFit: Checker = async ({ attempts, db }) => {
  const violations: string[] = []
  const rows = await db.selectFrom('coupons').select(['id', 'state', 'redemption_id']).execute()
  const finalState = new Map(rows.map((r) => [r.id, observed(r.state, r.redemption_id)]))
  const byCoupon = new Map<string, Attempt[]>()
  for (const a of attempts) if (a.coupon) byCoupon.set(a.coupon, [...(byCoupon.get(a.coupon) ?? []), a])

  for (const [couponId, own] of byCoupon) {
    const final = finalState.get(couponId)
    if (final === undefined) {
      violations.push(`coupon ${couponId} is not in the database`)
      continue
    }
    const racers = own.filter((a) => a.race !== null)
    const steps = stepsOf(own.filter((a) => a.race === null).sort((a, b) => a.start - b.start))
    let possible = new Set<State>(['available'])
    for (const step of steps) {
      const next = apply(possible, step)
      if (next.size === 0) {
        violations.push(`coupon ${couponId}: ${step.op} #${step.first.id} answered ${step.outcome} ${step.code ?? ''} when it could only be ${[...possible].join(' or ')}`)
        break
      }
      possible = next
    }
    if (racers.length > 0) {
      const winners = racers.filter((a) => a.outcome === 'ok')
      if (winners.length > 1) violations.push(`coupon ${couponId}: ${winners.length} of the raced redemptions succeeded`)
      const mayHaveWon = winners.length > 0 || racers.some((a) => a.outcome === 'unknown')
      possible = new Set(mayHaveWon ? (winners.length > 0 ? [`redeemed:${winners[0].body.id}`] : ['available', 'redeemed:?']) : ['available'])
    }
    if (!allows(possible, final)) violations.push(`coupon ${couponId} ends ${final} in the database, but its history allows only ${[...possible].join(' or ')}`)
  }
  return violations
}

/** The operations that post to a member's points ledger, their reason naming them: `<op> <ref>`. */
const POINTS_OPS = new Set(['earn', 'burn', 'race-burn'])

interface PointsEntry {
  id: string
  member_id: string
  seq: number
  delta: number
  balance_after: number
  reason: string
  source_ref: string | null
}

async function pointsEntries(db: Db): Promise<PointsEntry[]> {
  const rows = await db.selectFrom('points_entries').select(['id', 'member_id', 'seq', 'delta', 'balance_after', 'reason', 'source_ref']).orderBy('member_id').orderBy('seq').execute()
  return rows.map((r) => ({ ...r, seq: Number(r.seq), delta: Number(r.delta), balance_after: Number(r.balance_after) }))
}

/** The logical operation a ledger entry belongs to, from its reason; null for a reason no client writes. */
function refOfReason(reason: string): string | null {
  const [op, ref, ...rest] = reason.split(' ')
  return POINTS_OPS.has(op) && ref && rest.length === 0 ? ref : null
}

/** Points never go below zero: no member's balance, no entry's balance after it, no lot's remainder (nor a lot holding more than it earned). */
export const pointsNeverNegative: Checker = async ({ db }) => {
  const violations: string[] = []
  for (const m of await db.selectFrom('members').select(['id', 'points_balance']).execute()) {
    if (Number(m.points_balance) < 0) violations.push(`member ${m.id} has a points balance of ${m.points_balance}`)
  }
  for (const e of await pointsEntries(db)) {
    if (e.balance_after < 0) violations.push(`points entry ${e.id} (member ${e.member_id}, seq ${e.seq}) leaves a balance of ${e.balance_after}`)
  }
  for (const lot of await db.selectFrom('points_lots').select(['id', 'member_id', 'amount', 'remaining']).execute()) {
    if (Number(lot.remaining) < 0 || Number(lot.remaining) > Number(lot.amount)) violations.push(`points lot ${lot.id} (member ${lot.member_id}) holds ${lot.remaining} of ${lot.amount}`)
  }
  return violations
}

/**
 * Each member's balance is what its ledger adds up to: entries numbered 1, 2, … with each balance_after
 * the running sum, the last one the balance on the member row; the lots hold exactly the balance, each
 * earning opened its lot and the burns took from lots exactly what they burned; one points.changed event
 * per entry.
 */
export const pointsLedgerAddsUp: Checker = async ({ db }) => {
  const violations: string[] = []
  const entries = await pointsEntries(db)
  const lots = await db.selectFrom('points_lots').select(['id', 'member_id', 'amount', 'remaining']).execute()
  const events = await db.selectFrom('events').select('data').where('type', '=', 'points.changed').execute()
  const announced = countBy(events, (e) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data).entry_id)
  for (const member of await db.selectFrom('members').select(['id', 'points_balance', 'points_seq']).execute()) {
    const own = entries.filter((e) => e.member_id === member.id)
    const ownLots = new Map(lots.filter((l) => l.member_id === member.id).map((l) => [l.id, l]))
    let running = 0
    own.forEach((e, i) => {
      running += e.delta
      if (e.seq !== i + 1) violations.push(`member ${member.id}: entry ${e.id} has seq ${e.seq} where ${i + 1} comes`)
      if (e.balance_after !== running) violations.push(`member ${member.id}: entry ${e.id} (seq ${e.seq}) says ${e.balance_after} after it, the entries add up to ${running}`)
      if (e.delta > 0 && Number(ownLots.get(e.id)?.amount) !== e.delta) violations.push(`member ${member.id}: earning ${e.id} of ${e.delta} has lot ${ownLots.get(e.id)?.amount ?? 'none'}`)
      if (announced.get(e.id) !== 1) violations.push(`member ${member.id}: entry ${e.id} has ${announced.get(e.id) ?? 0} points.changed events`)
    })
    if (running !== Number(member.points_balance)) violations.push(`member ${member.id} has ${member.points_balance} points, its entries add up to ${running}`)
    if (own.length !== Number(member.points_seq)) violations.push(`member ${member.id} counts ${member.points_seq} entries, the ledger holds ${own.length}`)
    const held = [...ownLots.values()].reduce((n, l) => n + Number(l.remaining), 0)
    if (held !== Number(member.points_balance)) violations.push(`member ${member.id} has ${member.points_balance} points, its lots hold ${held}`)
    const taken = [...ownLots.values()].reduce((n, l) => n + Number(l.amount) - Number(l.remaining), 0)
    const burned = own.reduce((n, e) => n + Math.max(0, -e.delta), 0)
    if (taken !== burned) violations.push(`member ${member.id}: ${burned} points burned, ${taken} taken from lots`)
    for (const id of ownLots.keys()) if (!own.some((e) => e.id === id)) violations.push(`member ${member.id}: lot ${id} has no earning entry`)
  }
  return violations
}

/**
 * Every points posting is in the ledger as the answers say, once: an acknowledged one exactly once, as
 * the entry it was answered with (every answer to it the same); a refused one not at all, and refused
 * with `insufficient_points` only when the balance the server saw was one the ledger went through and
 * short of what was asked; one whose answer was lost at most once; no entry that no client asked for; no
 * source_ref twice; every balance a lookup answered one the ledger went through.
 */
export const pointsPostedOnce: Checker = async ({ attempts, db }) => {
  const violations: string[] = []
  const entries = await pointsEntries(db)
  const posted = new Map<string, PointsEntry[]>()
  const balances = new Map<string, Set<number>>()
  for (const e of entries) {
    const ref = refOfReason(e.reason)
    if (ref === null) violations.push(`points entry ${e.id} of member ${e.member_id} (${e.reason}) was asked for by no client`)
    else posted.set(ref, [...(posted.get(ref) ?? []), e])
    balances.set(e.member_id, (balances.get(e.member_id) ?? new Set([0])).add(e.balance_after))
  }
  const wentThrough = (member: string | null, balance: number) => (balances.get(member ?? '') ?? new Set([0])).has(balance)

  const byRef = new Map<string, Attempt[]>()
  for (const a of attempts) if (a.ref !== null && POINTS_OPS.has(a.op)) byRef.set(a.ref, [...(byRef.get(a.ref) ?? []), a])
  for (const [ref, group] of byRef) {
    const op = `${group[0].op} ${ref}`
    const made = posted.get(ref) ?? []
    const oks = group.filter((a) => a.outcome === 'ok')
    // duplicate_source_ref: another request of the same operation was posting at that moment, and may have.
    const refused = group.filter((a) => a.outcome === 'failed' && a.code !== 'duplicate_source_ref')
    if (made.length > 1) violations.push(`${op} is in the ledger ${made.length} times: ${made.map((e) => `${e.id} (seq ${e.seq})`).join(', ')}`)
    if (oks.length > 0 && refused.length > 0) violations.push(`${op} was acknowledged (#${oks[0].id}) and refused (#${refused[0].id} ${refused[0].code})`)
    if (oks.length > 0) {
      const entry = made[0]
      if (!entry) violations.push(`${op} was acknowledged (#${oks[0].id}, entry ${oks[0].body.entry_id}) but is not in the ledger`)
      for (const a of oks) {
        if (entry && (a.body.entry_id !== entry.id || a.body.delta !== entry.delta || a.body.points_balance !== entry.balance_after)) {
          violations.push(`${op}: #${a.id} answered ${a.text}, the ledger holds ${entry.id} of ${entry.delta} leaving ${entry.balance_after}`)
        }
        if (a.text !== oks[0].text) violations.push(`${op}: #${oks[0].id} answered ${oks[0].text}, #${a.id} answered ${a.text}`)
      }
    } else if (refused.length > 0 && made.length > 0) {
      violations.push(`${op} was refused (#${refused[0].id} ${refused[0].code}) yet is in the ledger as ${made[0].id}`)
    }
    for (const a of refused) {
      if (a.code !== 'insufficient_points') {
        violations.push(`${op}: #${a.id} was refused with ${a.status} ${a.code}`)
        continue
      }
      const seen = parseInsufficient(a.text)
      if (!seen) violations.push(`${op}: #${a.id} refused with ${a.text}`)
      else if (seen.balance >= seen.needed) violations.push(`${op}: #${a.id} refused ${seen.needed} points with ${seen.balance} on the balance`)
      else if (!wentThrough(a.member, seen.balance)) violations.push(`${op}: #${a.id} refused seeing a balance of ${seen.balance}, which member ${a.member} never had`)
    }
  }
  for (const [ref, made] of posted) if (!byRef.has(ref)) violations.push(`points entry ${made[0].id} (${made[0].reason}) was asked for by no client`)
  for (const [source, n] of countBy(entries.filter((e) => e.source_ref !== null), (e) => e.source_ref!)) {
    if (n > 1) violations.push(`source_ref ${source} posted ${n} times`)
  }
  for (const a of attempts) {
    if (a.op === 'member-lookup' && a.outcome === 'ok' && !wentThrough(a.member, a.body.points_balance)) {
      violations.push(`member-lookup #${a.id} answered a balance of ${a.body.points_balance}, which member ${a.member} never had`)
    }
  }
  return violations
}

/** A coupon's value is live while it can still be, or was, used. */
const LIVE_STATES = new Set(['available', 'gifting', 'redeemed'])

/**
 * Every gift settled once and no value exists twice: a gift's state, its coupons and its events agree (an
 * accepted gift has a dead giver's coupon and exactly one receiver's coupon; any other has none), exactly
 * one of the giver's and the receiver's coupons is live, and of the raced accept, cancel and redemption the
 * answers fit the gift's end (at most one of accept and cancel acknowledged, each as the gift ended; a
 * redemption of the giver's code acknowledged only for a gift that went back).
 */
export const giftsSettleOnce: Checker = async ({ attempts, db }) => {
  const violations: string[] = []
  const gifts = await db.selectFrom('gifts').selectAll().execute()
  const coupons = new Map((await db.selectFrom('coupons').select(['id', 'state', 'source_ref', 'user_id']).execute()).map((c) => [c.id, c]))
  const received = new Map<string, { id: string; state: string }[]>()
  for (const c of coupons.values()) if (c.source_ref?.startsWith('gift:')) received.set(c.source_ref.slice(5), [...(received.get(c.source_ref.slice(5)) ?? []), c])
  const events = await db.selectFrom('events').select(['type', 'data']).where('type', 'in', ['coupon.gifted', 'coupon.gift_returned']).execute()
  const perGift = countBy(events, (e) => `${e.type} ${(typeof e.data === 'string' ? JSON.parse(e.data) : e.data).gift_id}`)
  const raced = new Map<string, Attempt[]>()
  for (const a of attempts) if (a.race?.startsWith('gift-gft_')) raced.set(a.race.slice(5), [...(raced.get(a.race.slice(5)) ?? []), a])
  for (const gift of gifts) {
    const giver = coupons.get(gift.coupon_id)
    const theirs = received.get(gift.id) ?? []
    const where = `gift ${gift.id} (${gift.state})`
    if (!giver) {
      violations.push(`${where}: its coupon ${gift.coupon_id} is missing`)
      continue
    }
    if (gift.state === 'accepted') {
      if (giver.state !== 'gifted') violations.push(`${where}: the giver's coupon is ${giver.state}, not gifted`)
      if (theirs.length !== 1 || theirs[0].id !== gift.received_coupon_id) violations.push(`${where}: received coupons [${theirs.map((c) => c.id).join(', ')}], recorded ${gift.received_coupon_id}`)
    } else {
      if (theirs.length > 0) violations.push(`${where}: yet coupons [${theirs.map((c) => c.id).join(', ')}] were received`)
      if (gift.state === 'pending' ? giver.state !== 'gifting' : giver.state === 'gifting' || giver.state === 'gifted') violations.push(`${where}: the giver's coupon is ${giver.state}`)
    }
    const live = [giver, ...theirs].filter((c) => LIVE_STATES.has(c.state))
    if (live.length !== 1) violations.push(`${where}: ${live.length} live coupons (${[giver, ...theirs].map((c) => `${c.id} ${c.state}`).join(', ')})`)
    const gifted = perGift.get(`coupon.gifted ${gift.id}`) ?? 0
    const returned = perGift.get(`coupon.gift_returned ${gift.id}`) ?? 0
    if (gifted !== (gift.state === 'accepted' ? 1 : 0) || returned !== (gift.state === 'cancelled' || gift.state === 'returned' ? 1 : 0)) {
      violations.push(`${where}: ${gifted} coupon.gifted and ${returned} coupon.gift_returned events`)
    }
    const answered = raced.get(gift.id) ?? []
    const ok = (op: string) => answered.filter((a) => a.op === op && a.outcome === 'ok')
    if (ok('gift-accept').length + ok('gift-cancel').length > 1) violations.push(`${where}: both accepted and cancelled, acknowledged`)
    if (ok('gift-accept').length > 0 && (gift.state !== 'accepted' || ok('gift-accept')[0].body.id !== gift.received_coupon_id)) violations.push(`${where}: an acknowledged accept that did not stay`)
    if (ok('gift-cancel').length > 0 && gift.state !== 'cancelled') violations.push(`${where}: an acknowledged cancel that did not stay`)
    if (ok('gift-redeem').length > 0 && (gift.state === 'accepted' || gift.state === 'pending')) violations.push(`${where}: the giver's code was redeemed while the gift was ${gift.state}`)
  }
  return violations
}

export const CHECKERS: Record<string, Checker> = {
  nothingOverIssued,
  nothingRedeemedTwice,
  acknowledgedIsDurable,
  replaysIdentical,
  couponHistoriesFit,
  pointsNeverNegative,
  pointsLedgerAddsUp,
  pointsPostedOnce,
  giftsSettleOnce,
}
