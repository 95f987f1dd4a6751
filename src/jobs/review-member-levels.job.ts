import type { Job } from './runner.ts'
import { evaluateLevelReview, nextReviewAt } from '../domain/member-levels.ts'
import { listMembersDueForReview, lockMemberWithCard, updateMember } from '../features/members/members.repository.ts'
import { setLevelInTx } from '../features/members/member-levels.ts'

const BATCH = 200

/**
 * At the end of each review period, sets every member's level from the growth of the period just ended
 * (down as well as up, with a `member.level_changed` event) and starts the next period's growth at zero.
 */
export const reviewMemberLevels: Job = {
  name: 'review-member-levels',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      const due = await listMembersDueForReview(tx, now, BATCH)
      let reviewed = 0
      for (const { merchant_id, id, timezone } of due) {
        const { member, card } = await lockMemberWithCard(tx, merchant_id, id)
        if (member.next_review_at === null || member.next_review_at > now) continue
        const { terms } = card
        const review = evaluateLevelReview(terms.levels, member.level_index, member.growth)
        if (review.change !== 'same') await setLevelInTx(tx, { notifier: ctx.notifier, member, terms, level: review.level, reason: 'review', now })
        await updateMember(tx, merchant_id, id, { growth: 0, next_review_at: nextReviewAt(terms.level_review, now, timezone), updated_at: now })
        reviewed++
      }
      return reviewed
    })
  },
}
