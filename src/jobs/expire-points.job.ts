import type { Job } from './runner.ts'
import { computeExpiry } from '../domain/points-rules.ts'
import { lockMemberWithCard } from '../features/members/members.repository.ts'
import { listLotsExpired } from '../features/points/points.repository.ts'
import { heldLots, postPointsInTx } from '../features/points/points.ledger.ts'

const BATCH = 200

/**
 * Expires points whose lot has reached its expiry: one `expiry` entry per member for all of their lots due,
 * oldest first, with its `points.changed` event, a batch of members per transaction. Each lot expires
 * once: the entry names its first lot as the source, and the lots are emptied with conditional updates.
 */
export const expirePoints: Job = {
  name: 'expire-points',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      const due = await listLotsExpired(tx, now, BATCH)
      // Members are locked in one order, so two batches can never wait on each other.
      const members = [...new Map(due.map((row) => [`${row.merchant_id} ${row.member_id}`, row])).values()].sort((a, b) =>
        a.member_id < b.member_id ? -1 : a.member_id > b.member_id ? 1 : 0,
      )
      let expired = 0
      for (const { merchant_id, member_id, timezone } of members) {
        const { member, card } = await lockMemberWithCard(tx, merchant_id, member_id)
        const { lots, points } = computeExpiry(await heldLots(tx, merchant_id, member_id), now)
        if (points === 0) continue
        await postPointsInTx(tx, {
          notifier: ctx.notifier,
          member,
          terms: card.terms,
          merchantTz: timezone,
          delta: -points,
          type: 'expiry',
          reason: `${points} points expired`,
          sourceRef: `expiry:${lots[0].id}`,
          takes: lots.map((lot) => ({ id: lot.id, take: lot.remaining })),
          now,
        })
        expired++
      }
      return expired
    })
  },
}
