// Share rewards (阶梯奖励) and fission coupons (裂变券): pure rules over friend counts.

import type { FieldError } from './types.ts'

/** One tier: when the `friends`-th friend claims through a sharer's link, the sharer gets a coupon of `card_id`. */
export interface ShareRewardTier {
  friends: number
  card_id: string
}

/** The longest a channel or campaign tag may be. */
export const MAX_TAG_LENGTH = 64

/** The tiers' own rules: each tier a different number of friends (one reward per tier and sharer). */
export function validateShareRewards(tiers: readonly ShareRewardTier[]): FieldError[] {
  const errors: FieldError[] = []
  const seen = new Set<number>()
  tiers.forEach((tier, i) => {
    if (seen.has(tier.friends)) errors.push({ field: `share_rewards[${i}].friends`, code: 'duplicate', message: `another tier is already reached at ${tier.friends} friends` })
    seen.add(tier.friends)
  })
  return errors
}

/** Tiers in the order they are reached. */
export function sortedTiers(tiers: readonly ShareRewardTier[]): ShareRewardTier[] {
  return [...tiers].sort((a, b) => a.friends - b.friends)
}

/**
 * The tiers a sharer has reached with `friends` friends: every tier at or below the count, so that a tier
 * added after the count passed it is still granted at the next friend (granting is once per tier, so
 * asking again is harmless).
 */
export function tiersReached(tiers: readonly ShareRewardTier[], friends: number): ShareRewardTier[] {
  return sortedTiers(tiers).filter((tier) => tier.friends <= friends)
}

/** Whether a claim through a share link counts as a new friend of the sharer. */
export function countsAsFriend(input: { sharerId: string; friendId: string; couponsOfCardBefore: number }): boolean {
  // A friend is someone else, and only their first coupon of the card brings them in.
  return input.sharerId !== input.friendId && input.couponsOfCardBefore === 0
}

/** Whether a locked fission coupon is unlocked by this many friends. */
export function isUnlocked(unlockAfterFriends: number | null, friends: number): boolean {
  return unlockAfterFriends === null || friends >= unlockAfterFriends
}

/** A user id as a stranger may see it on a claim page: `ab***yz` (short ids keep only their first character). */
export function maskUserId(userId: string): string {
  const chars = [...userId]
  if (chars.length <= 2) return `${chars[0] ?? ''}***`
  if (chars.length <= 6) return `${chars[0]}***${chars[chars.length - 1]}`
  return `${chars.slice(0, 2).join('')}***${chars.slice(-2).join('')}`
}
