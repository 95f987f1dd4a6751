/**
 * Group coupons (拼团): a card with a group option issues its coupons only to full groups. A customer opens
 * a group (its first member) and friends join it; when the `size`-th member joins, every member gets one
 * coupon at once. A group still short when its time is up fails and issues nothing.
 */
import type { FieldError } from './types.ts'

export interface GroupOption {
  /** Members a group needs, the opener included. */
  size: number
  /** How long a group stays open for friends to join, from its opening. */
  hours: number
}

export const GROUP_MIN_SIZE = 2
export const GROUP_MAX_SIZE = 100
export const GROUP_MAX_HOURS = 720

/** Everything wrong with a card's group option, field names under `group.`. */
export function validateGroupOption(group: GroupOption): FieldError[] {
  const errors: FieldError[] = []
  if (!Number.isInteger(group.size) || group.size < GROUP_MIN_SIZE || group.size > GROUP_MAX_SIZE) {
    errors.push({ field: 'group.size', code: 'invalid', message: `size must be a whole number from ${GROUP_MIN_SIZE} to ${GROUP_MAX_SIZE}` })
  }
  if (!Number.isInteger(group.hours) || group.hours < 1 || group.hours > GROUP_MAX_HOURS) {
    errors.push({ field: 'group.hours', code: 'invalid', message: `hours must be a whole number from 1 to ${GROUP_MAX_HOURS}` })
  }
  return errors
}

/** The state stored for a group; an open group past its deadline reads as failed before the job writes it. */
export type GroupState = 'open' | 'completed' | 'failed'

export interface GroupFacts {
  state: GroupState
  size: number
  member_count: number
  expires_at: number
}

/** When a group opened now must be full. */
export function groupDeadline(option: GroupOption, openedAt: number): number {
  return openedAt + option.hours * 3_600_000
}

/** What a group reads as at `now`: open until its deadline (exclusive), then failed unless it completed. */
export function effectiveGroupState(group: GroupFacts, now: number): GroupState {
  if (group.state === 'open' && group.expires_at <= now) return 'failed'
  return group.state
}

export type JoinDecision = { ok: true; completes: boolean } | { ok: false; error: 'group_closed'; detail: string }

/** Whether one more member may join the group at `now`, and whether they are the one who fills it. */
export function decideGroupJoin(group: GroupFacts, now: number): JoinDecision {
  const state = effectiveGroupState(group, now)
  if (state === 'completed') return { ok: false, error: 'group_closed', detail: 'The group is already complete.' }
  if (state === 'failed') return { ok: false, error: 'group_closed', detail: group.state === 'failed' || group.expires_at <= now ? 'The group’s time is up; it did not fill.' : 'The group is closed.' }
  if (group.member_count >= group.size) return { ok: false, error: 'group_closed', detail: 'The group is full.' }
  return { ok: true, completes: group.member_count + 1 === group.size }
}

/** Members still needed to fill the group. */
export function membersNeeded(group: Pick<GroupFacts, 'size' | 'member_count'>): number {
  return Math.max(0, group.size - group.member_count)
}

/** How one member sees another's user id on the group page: enough to recognise a friend, not to copy it. */
export function maskUserId(userId: string): string {
  const chars = [...userId]
  if (chars.length <= 2) return `${chars[0] ?? ''}***`
  if (chars.length <= 5) return `${chars[0]}***${chars[chars.length - 1]}`
  return `${chars.slice(0, 2).join('')}***${chars.slice(-2).join('')}`
}
