import type { Attempt } from '../harness/history.ts'
import type { Client, OwnedMember, Request } from '../harness/client.ts'

/**
 * A posting to the client's member's points ledger (`POST /v1/members/:id/points`). Its reason names the
 * logical operation (`<op> <ref>`), so that the checkers find the entry it made, if any, whatever the answer
 * said. With an Idempotency-Key half the time and a source_ref a third of the time: either makes it safe to
 * send again while its outcome is unknown.
 */
export function pointsRequest(client: Client, member: OwnedMember, op: string, delta: number, options: { keyed?: boolean; sourced?: boolean; race?: string } = {}): Request {
  const ref = client.newRef(op)
  const keyed = options.keyed ?? Math.random() < 0.5
  const sourced = options.sourced ?? Math.random() < 0.3
  return {
    op,
    method: 'POST',
    path: `/v1/members/${member.id}/points`,
    body: { delta, reason: `${op} ${ref}`, ...(sourced ? { source_ref: ref } : {}) },
    key: keyed ? client.newKey() : null,
    retrySafe: sourced,
    member: member.id,
    ref,
    race: options.race ?? null,
  }
}

/** Sends a posting until it settles and updates what the client believes of the balance. */
export async function post(client: Client, member: OwnedMember, request: Request): Promise<Attempt> {
  const attempt = await client.settle(request)
  if (attempt.outcome === 'ok') {
    member.believed = attempt.body.points_balance
    await client.maybeReplay(request, attempt)
  } else {
    client.leaveUnsettled(request, attempt)
    await client.lookupMember(member)
  }
  return attempt
}

/** The message of an `insufficient_points` refusal: the balance the server saw and what was asked. */
export function parseInsufficient(text: string | null): { balance: number; needed: number } | null {
  const match = /has (\d+) points; (\d+) are needed/.exec(text ?? '')
  return match ? { balance: Number(match[1]), needed: Number(match[2]) } : null
}

/**
 * The client's member with a balance it believes, or what the client did instead: `true` when it spent
 * its turn (a late retry of an unsettled posting, or looking the balance up), `false` when it has no member.
 */
export async function memberWithBalance(client: Client): Promise<(OwnedMember & { believed: number }) | boolean> {
  const member = client.member
  if (!member) return false
  if (await client.lateRetry()) return true
  if (member.believed === null) {
    await client.lookupMember(member)
    return true
  }
  return member as OwnedMember & { believed: number }
}
