import type { Job } from './runner.ts'
import { clearStockLowMarks, findLowStockCards, markStockLow } from '../features/cards/cards.repository.ts'
import { recordEvent } from '../features/events/events.repository.ts'

const BATCH = 200

/**
 * `card.stock_low` once per crossing: when an active card's stock falls to its `stock_low_threshold` or
 * below, the alert fires and `stock_low_at` is set in the same transaction; once the stock is back above
 * the threshold (stock added, a threshold lowered) the mark is cleared and the next fall alerts again.
 */
export const alertLowStock: Job = {
  name: 'stock-low-alerts',
  async run(ctx, now) {
    return ctx.database.db.transaction().execute(async (tx) => {
      await clearStockLowMarks(tx)
      const low = await findLowStockCards(tx, BATCH)
      let alerted = 0
      for (const { card, terms } of low) {
        if (!(await markStockLow(tx, card.merchant_id, card.id, now))) continue
        alerted++
        await recordEvent(tx, {
          merchantId: card.merchant_id,
          type: 'card.stock_low',
          data: {
            card_id: card.id,
            title: terms.title,
            stock_remaining: card.stock_remaining,
            stock_low_threshold: card.stock_low_threshold,
            issued_count: card.issued_count,
          },
          now,
        })
      }
      return alerted
    })
  },
}
