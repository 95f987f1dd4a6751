import { sql } from 'kysely'
import type { Job } from './runner.ts'
import { fromJson } from '../db/database.ts'
import type { CardTerms } from '../domain/types.ts'
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
      await tx
        .updateTable('cards')
        .set({ stock_low_at: null })
        .where('stock_low_at', 'is not', null)
        .where((eb) => eb.or([eb('stock_low_threshold', 'is', null), eb('stock_remaining', '>', eb.ref('stock_low_threshold'))]))
        .execute()
      const low = await tx
        .selectFrom('cards')
        .innerJoin('card_versions', (join) =>
          join
            .onRef('card_versions.merchant_id', '=', 'cards.merchant_id')
            .onRef('card_versions.card_id', '=', 'cards.id')
            .onRef('card_versions.version', '=', 'cards.version'),
        )
        .select(['cards.merchant_id', 'cards.id', 'cards.stock_remaining', 'cards.stock_low_threshold', 'cards.issued_count', 'card_versions.terms'])
        .where('cards.status', '=', 'active')
        .where('cards.stock_low_at', 'is', null)
        .where('cards.stock_low_threshold', 'is not', null)
        .where('cards.stock_remaining', '<=', sql.ref<number>('cards.stock_low_threshold'))
        .limit(BATCH)
        .execute()
      let alerted = 0
      for (const card of low) {
        const marked = await tx
          .updateTable('cards')
          .set({ stock_low_at: now })
          .where('merchant_id', '=', card.merchant_id)
          .where('id', '=', card.id)
          .where('stock_low_at', 'is', null)
          .executeTakeFirst()
        if (Number(marked.numUpdatedRows) !== 1) continue
        alerted++
        await recordEvent(tx, {
          merchantId: card.merchant_id,
          type: 'card.stock_low',
          data: {
            card_id: card.id,
            title: fromJson<CardTerms>(card.terms).title,
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
