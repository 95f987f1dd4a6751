import type { Job } from './runner.ts'
import { giftsDueToReturn } from '../features/gifts/gifts.repository.ts'
import { returnGiftInTx } from '../features/gifts/gifts.service.ts'

const BATCH = 200

/**
 * Gives pending gifts nobody accepted by their `expires_at` back to their givers (the coupon is available
 * again), each with a `coupon.gift_returned` event and a word to the giver, in one transaction per batch.
 * Each return is conditional on the gift still pending, so an acceptance or cancellation at the same moment
 * in another process wins or loses whole.
 */
export const returnExpiredGifts: Job = {
  name: 'return-expired-gifts',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      let returned = 0
      for (const gift of await giftsDueToReturn(tx, now, BATCH)) if (await returnGiftInTx(ctx, tx, gift, now)) returned++
      return returned
    })
  },
}
