import type { Db } from '../../db/database.ts'
import type { MemberCardTerms } from '../../domain/member-card-rules.ts'
import { decideUpgrade } from '../../domain/member-levels.ts'
import type { Notifier } from '../../ports/notifier.ts'
import { recordEvent } from '../events/events.repository.ts'
import { notifyLevelChanged, type LevelChangedData } from './member-notices.ts'
import { addMemberGrowth, setMemberLevel, type MemberRow } from './members.repository.ts'

export type LevelChangeReason = 'growth' | 'review'

/** Moves a (locked) member to another level, with a `member.level_changed` event, and tells the member. */
export async function setLevelInTx(
  tx: Db,
  input: { notifier: Notifier; member: MemberRow; terms: MemberCardTerms; level: number; reason: LevelChangeReason; now: number },
): Promise<MemberRow> {
  const { member, terms, level, reason, now } = input
  const updated = await setMemberLevel(tx, member, level, now)
  const data: LevelChangedData = {
    member_id: member.id,
    member_card_id: member.member_card_id,
    user_id: member.user_id,
    from_level: terms.levels[member.level_index].name,
    to_level: terms.levels[level].name,
    from_level_index: member.level_index,
    to_level_index: level,
    growth: member.growth,
    reason,
  }
  await recordEvent(tx, { merchantId: member.merchant_id, type: 'member.level_changed', data, now })
  await notifyLevelChanged(input.notifier, tx, member.merchant_id, data, now)
  return updated
}

/**
 * Adds growth to a (locked) member, or takes it back (never below zero), and moves the member up at once
 * when the growth reaches a higher level. Levels go down only at a review.
 */
export async function applyGrowthInTx(tx: Db, input: { notifier: Notifier; member: MemberRow; terms: MemberCardTerms; delta: number; now: number }): Promise<MemberRow> {
  const { member, terms, delta, now } = input
  if (delta === 0) return member
  const updated = await addMemberGrowth(tx, member, delta, now)
  if (!updated) throw new Error(`growth of member ${member.id} would go below zero`)
  const upgrade = decideUpgrade(terms.levels, updated.level_index, updated.growth)
  return upgrade === null ? updated : setLevelInTx(tx, { notifier: input.notifier, member: updated, terms, level: upgrade, reason: 'growth', now })
}
